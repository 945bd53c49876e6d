package otelsecurity

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// HTTPOptions configure Handler.
type HTTPOptions struct {
	// PathPrefix is httpadapter.Options.PathPrefix of the wrapped handler,
	// when it has one.
	PathPrefix string
	// Routes are more fixed paths the wrapped handler serves (a host's
	// own, such as "/demo/register"), recorded as they are.
	Routes []string
	// Route names the route of a request, for the span name and the
	// http.route attribute. It must return a template, never anything
	// taken from the request as is. Default: the documented path of the
	// account-security API (after PathPrefix) or one of Routes that the
	// request's path equals, else the pattern of the http.ServeMux that
	// routed it, else "unmatched".
	Route func(r *http.Request) string
}

// routes are the documented paths of the account-security API (those of
// httpadapter).
var routes = map[string]bool{
	"/member/userservice/security":                   true,
	"/member/userservice/security/bindingPhone":      true,
	"/member/userservice/security/payPassword":       true,
	"/member/userservice/security/resetPayPassword":  true,
	"/member/userservice/security/updatePayPassword": true,
	"/member/userservice/security/status":            true,
	"/member/userservice/security/setPassword":       true,
	"/web/userservice/security":                      true,
	"/web/userservice/security/sendMail":             true,
	"/web/userservice/security/verifyMail":           true,
	"/web/userservice/security/loginCode":            true,
}

// Handler returns next, typically an *httpadapter.Handler, with a server
// span per request named "METHOD route" (its parent extracted from the
// request's headers by the propagators) and http.server.request.duration.
// Both carry the method, route, HTTP status and the envelope's code
// (acctsec.code), read from the first bytes of the response body; nothing
// else of the request or response is recorded: no URL, query, header,
// cookie, client address or body. The flow spans of the Service calls the
// request makes are children of this span.
func (in *Instrumentation) Handler(next http.Handler, opts HTTPOptions) http.Handler {
	prefix := strings.TrimSuffix(opts.PathPrefix, "/")
	if prefix != "" && prefix[0] != '/' {
		prefix = "/" + prefix
	}
	route := opts.Route
	if route == nil {
		extra := make(map[string]bool, len(opts.Routes))
		for _, p := range opts.Routes {
			extra[p] = true
		}
		route = func(r *http.Request) string {
			if p, ok := strings.CutPrefix(r.URL.Path, prefix); ok && routes[p] {
				return prefix + p
			}
			if extra[r.URL.Path] {
				return r.URL.Path
			}
			if r.Pattern != "" {
				return r.Pattern
			}
			return "unmatched"
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt := route(r)
		method := methodOf(r.Method)
		ctx := in.props.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := in.tracer.Start(ctx, method+" "+rt, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(rt)))
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(rt),
				semconv.HTTPResponseStatusCode(status)}
			if rec.code != "" {
				attrs = append(attrs, AttrCode.String(rec.code))
			}
			span.SetAttributes(attrs[2:]...)
			if status >= 500 || rec.code != "" && rec.code[0] == '5' {
				span.SetStatus(codes.Error, "")
			}
			span.End()
			in.httpDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// methodOf returns m when it is a standard method, else "_OTHER" (the
// semantic conventions' bound on the attribute's cardinality).
func methodOf(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// envelopePrefix opens every response of the adapter.
var envelopePrefix = []byte(`{"code":"`)

// recorder captures the status and the envelope's code of a response. The
// code is read from the first Write only (the adapter writes the envelope
// in one), and only when it is 1 to 6 digits; nothing is buffered.
type recorder struct {
	http.ResponseWriter
	status  int
	code    string
	written bool
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.written {
		r.written = true
		if r.status == 0 {
			r.status = http.StatusOK
		}
		if rest, ok := bytes.CutPrefix(p, envelopePrefix); ok {
			if i := bytes.IndexByte(rest, '"'); i > 0 && i <= 6 {
				if _, err := strconv.ParseUint(string(rest[:i]), 10, 32); err == nil {
					r.code = string(rest[:i])
				}
			}
		}
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
