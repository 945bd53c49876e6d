package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify"
)

// newService returns a Service on a memstore with limits, closed when the
// test ends.
func newService(t *testing.T, limits security.Limits) (*security.Service, error) {
	t.Helper()
	store := memstore.New()
	svc, err := security.New(store, notify.NewWriter(io.Discard), security.Config{
		Secret:             []byte("Y13UTCCOE35W5YJucyY2jBF632VMfXnLPjMBIVzpU0U="),
		LinkBaseURL:        "http://127.0.0.1:1/web/userservice/security/verifyMail",
		AllowInsecureLinks: true,
		Limits:             limits,
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	t.Cleanup(func() {
		assert.NoError(t, svc.Close(context.Background()))
		assert.NoError(t, store.Close())
	})
	return svc, nil
}

func TestMemberID(t *testing.T) {
	tests := []struct {
		name, header, want string
		ok                 bool
	}{
		{name: "named", header: "alice", want: "alice", ok: true},
		{name: "absent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.header != "" {
				r.Header.Set("X-User-ID", tc.header)
			}
			id, ok := demo.MemberID(r)
			assert.Equal(t, tc.want, id)
			assert.Equal(t, tc.ok, ok)
		})
	}
}

// TestNewHandler drives POST /demo/register and one adapter route through
// the handler, in order (the second registration conflicts).
func TestNewHandler(t *testing.T) {
	svc, err := newService(t, security.Limits{})
	require.NoError(t, err)
	h := demo.NewHandler(svc, demo.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	alice := url.Values{"userId": {"alice"}, "password": {"Plover-Orchid-71"}, "email": {"alice@example.com"}}
	tests := []struct {
		name, method, path, user string
		form                     url.Values
		header                   map[string]string
		status                   int
		code, data               string
	}{
		{name: "register", method: http.MethodPost, path: "/demo/register", form: alice, status: 201, code: "201", data: "success"},
		{name: "register again", method: http.MethodPost, path: "/demo/register", form: alice, status: 409, code: "409"},
		{name: "no password", method: http.MethodPost, path: "/demo/register", form: url.Values{"userId": {"bob"}}, status: 400, code: "400"},
		{name: "no user", method: http.MethodPost, path: "/demo/register", form: url.Values{"password": {"Plover-Orchid-71"}}, status: 400, code: "400"},
		{name: "unknown parameter", method: http.MethodPost, path: "/demo/register", form: url.Values{"userId": {"bob"}, "role": {"admin"}}, status: 400, code: "400"},
		{name: "GET", method: http.MethodGet, path: "/demo/register", status: 405, code: "405"},
		{name: "cross-origin", method: http.MethodPost, path: "/demo/register", form: url.Values{"userId": {"eve"}, "password": {"Plover-Orchid-71"}},
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "member status", method: http.MethodGet, path: "/member/userservice/security/status", user: "alice", status: 200, code: "200"},
		{name: "member status without X-User-ID", method: http.MethodGet, path: "/member/userservice/security/status", status: 401, code: "401"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.form != nil {
				body = strings.NewReader(tc.form.Encode())
			}
			r := httptest.NewRequest(tc.method, tc.path, body)
			if body != nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tc.user != "" {
				r.Header.Set("X-User-ID", tc.user)
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.method == http.MethodGet && tc.path == "/demo/register" {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			if tc.code == "" {
				return
			}
			var env struct {
				Code string          `json:"code"`
				Data json.RawMessage `json:"data"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), w.Body.String())
			assert.Equal(t, tc.code, env.Code)
			if tc.data != "" {
				assert.JSONEq(t, `"`+tc.data+`"`, string(env.Data))
			}
		})
	}
	// The cross-origin request created nothing.
	_, err = svc.Status(t.Context(), "eve")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
}
