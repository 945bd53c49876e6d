package otelsecurity_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/otelsecurity"
)

// With AlwaysHTTP200 the status says nothing: the span still carries the
// envelope's code, read from the body, and joins the caller's trace.
func TestHandlerReadsEnvelopeCodeAndJoinsTheCallersTrace(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	in, err := otelsecurity.New(otelsecurity.Options{TracerProvider: tp, Propagators: propagation.TraceContext{}})
	require.NoError(t, err)
	store := memstore.New()
	defer store.Close()
	svc, err := in.NewService(store, &outbox{}, testConfig())
	require.NoError(t, err)
	defer svc.Close(context.Background())
	h := in.Handler(httpadapter.New(svc, httpadapter.Options{AlwaysHTTP200: true, PathPrefix: "/api"}),
		otelsecurity.HTTPOptions{PathPrefix: "/api/"})

	r := httptest.NewRequest(http.MethodGet, "/api/member/userservice/security/status", nil)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"code":"401","msg":"Please sign in first.","data":"unauthenticated"}`, w.Body.String())

	ended := spans.Ended()
	require.Len(t, ended, 1)
	s := ended[0]
	assert.Equal(t, "GET /api/member/userservice/security/status", s.Name())
	assert.Equal(t, traceID, s.SpanContext().TraceID().String())
	assert.Equal(t, "401", attr(s.Attributes(), "acctsec.code"))
	assert.Equal(t, "200", attr(s.Attributes(), "http.response.status_code"))
	assert.Equal(t, "/api/member/userservice/security/status", attr(s.Attributes(), "http.route"))
	assert.Equal(t, codes.Unset, s.Status().Code)

	// A host route listed in Routes is named; any other path is not.
	h = in.Handler(http.NotFoundHandler(), otelsecurity.HTTPOptions{Routes: []string{"/demo/register"}})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/demo/register", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/demo/register/alice", nil))
	ended = spans.Ended()
	require.Len(t, ended, 3)
	assert.Equal(t, "POST /demo/register", ended[1].Name())
	assert.Equal(t, "POST unmatched", ended[2].Name())
}

// A body that is not an envelope yields no code; the writer stays
// reachable through http.ResponseController.
func TestHandlerLeavesOtherResponsesAlone(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	in, err := otelsecurity.New(otelsecurity.Options{TracerProvider: tp})
	require.NoError(t, err)
	h := in.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)))
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"code":"12345678901","msg":"x"}`))
	}), otelsecurity.HTTPOptions{Route: func(*http.Request) string { return "/custom" }})
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Post(srv.URL+"/anything?secret=1", "text/plain", nil)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadGateway, res.StatusCode)
	ended := spans.Ended()
	require.Len(t, ended, 1)
	assert.Equal(t, "POST /custom", ended[0].Name())
	assert.Empty(t, attr(ended[0].Attributes(), "acctsec.code"))
	assert.Equal(t, "502", attr(ended[0].Attributes(), "http.response.status_code"))
	assert.Equal(t, codes.Error, ended[0].Status().Code)
}

// Every path the adapter serves (as its OpenAPI description lists them) is
// named by the default route, with and without a PathPrefix: a route added
// to httpadapter but not to otelsecurity would show as "unmatched".
func TestHandlerNamesEveryAdapterRoute(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(httpadapter.OpenAPI(), &doc))
	require.NotEmpty(t, doc.Paths)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	in, err := otelsecurity.New(otelsecurity.Options{TracerProvider: tp})
	require.NoError(t, err)
	for _, prefix := range []string{"", "/api"} {
		h := in.Handler(http.NotFoundHandler(), otelsecurity.HTTPOptions{PathPrefix: prefix})
		for path, ops := range doc.Paths {
			for method := range ops {
				if strings.HasPrefix(method, "x-") || method == "parameters" {
					continue
				}
				m := strings.ToUpper(method)
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(m, prefix+path, nil))
				ended := spans.Ended()
				assert.Equal(t, m+" "+prefix+path, ended[len(ended)-1].Name())
			}
		}
	}
}
