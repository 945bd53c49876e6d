package app

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
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/httpadapter"

	"github.com/acctsec/security/examples/internal/demotest"
)

// server is one App behind httptest, on a clock the test moves.
type server struct {
	t     *testing.T
	base  string
	clock *demotest.Clock
	app   *App
}

func newServer(t *testing.T) *server {
	srv := httptest.NewUnstartedServer(nil)
	s := &server{t: t, base: "http://" + srv.Listener.Addr().String(), clock: demotest.NewClock()}
	a, err := New(Options{Base: s.base, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: s.clock.Now})
	require.NoError(t, err)
	s.app = a
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, a.Close(context.Background()))
	})
	return s
}

// do sends one request: form as a body (or the query for GET), with the
// headers given as name, value pairs.
func (s *server) do(method, path string, form url.Values, headers ...string) *http.Response {
	s.t.Helper()
	var body io.Reader
	target := s.base + path
	if method == http.MethodGet {
		if len(form) > 0 {
			target += "?" + form.Encode()
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, target, body)
	require.NoError(s.t, err)
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	require.NoError(s.t, err)
	s.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// envelope decodes a JSON answer.
func envelope(t *testing.T, resp *http.Response) (code string, data json.RawMessage) {
	t.Helper()
	var env struct {
		Code string          `json:"code"`
		Data json.RawMessage `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	return env.Code, env.Data
}

func (s *server) register(user, password string) {
	s.t.Helper()
	code, data := envelope(s.t, s.do(http.MethodPost, "/demo/register", url.Values{"userId": {user}, "password": {password}}))
	require.Equal(s.t, "201", code, string(data))
}

// signIn returns the session cookie header value.
func (s *server) signIn(user, password string) string {
	s.t.Helper()
	resp := s.do(http.MethodPost, "/demo/signin", url.Values{"userId": {user}, "password": {password}})
	code, data := envelope(s.t, resp)
	require.Equal(s.t, "201", code, string(data))
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == SessionCookie {
			c = k
		}
	}
	require.NotNil(s.t, c)
	assert.True(s.t, c.HttpOnly)
	assert.Equal(s.t, http.SameSiteLaxMode, c.SameSite)
	assert.Equal(s.t, "/", c.Path)
	return c.Name + "=" + c.Value
}

func (s *server) whoami(cookie string, headers ...string) (string, json.RawMessage) {
	s.t.Helper()
	return envelope(s.t, s.do(http.MethodGet, "/demo/session", nil, append([]string{"Cookie", cookie}, headers...)...))
}

func TestSignIn(t *testing.T) {
	s := newServer(t)
	s.register("alice", "Plover-Orchid-71")
	s.register("bob", "Quartz-Meadow-58")

	code, _ := s.whoami("")
	assert.Equal(t, "401", code)

	resp := s.do(http.MethodPost, "/demo/signin", url.Values{"userId": {"alice"}, "password": {"Quartz-Meadow-58"}})
	code, data := envelope(t, resp)
	assert.Equal(t, "403", code)
	assert.JSONEq(t, `"wrong_password"`, string(data))
	assert.Empty(t, resp.Cookies(), "no session for a wrong password")
	code, _ = envelope(t, s.do(http.MethodPost, "/demo/signin", url.Values{"userId": {"nobody"}, "password": {"Quartz-Meadow-58"}}))
	assert.Equal(t, "403", code)

	cookie := s.signIn("alice", "Plover-Orchid-71")
	code, data = s.whoami(cookie)
	assert.Equal(t, "200", code)
	assert.JSONEq(t, `{"userId":"alice"}`, string(data))

	// The cookie is a member's session on the API.
	code, data = envelope(t, s.do(http.MethodGet, "/member/userservice/security/status", nil, "Cookie", cookie))
	assert.Equal(t, "200", code, string(data))
	// X-User-ID, for curl, still wins.
	code, data = s.whoami(cookie, "X-User-ID", "bob")
	assert.Equal(t, "200", code)
	assert.JSONEq(t, `{"userId":"bob"}`, string(data))

	code, _ = envelope(t, s.do(http.MethodGet, "/demo/signin", nil))
	assert.Equal(t, "405", code)
}

func TestSessionCookieCannotBeForgedAndExpires(t *testing.T) {
	s := newServer(t)
	s.register("alice", "Plover-Orchid-71")
	cookie := s.signIn("alice", "Plover-Orchid-71")
	name, value, _ := strings.Cut(cookie, "=")
	parts := strings.Split(value, ".")
	require.Len(t, parts, 3)

	forged := []string{
		"Ym9i." + parts[1] + "." + parts[2],        // "bob" with alice's MAC
		parts[0] + ".9999999999." + parts[2],       // a later expiry
		parts[0] + "." + parts[1] + ".",            // no MAC
		parts[0] + "." + parts[1],                  // no MAC at all
		parts[0] + "." + parts[1] + "." + parts[0], // not a MAC
		"",
		"garbage",
	}
	for _, v := range forged {
		code, _ := s.whoami(name + "=" + v)
		assert.Equal(t, "401", code, "cookie %q", v)
		code, _ = envelope(t, s.do(http.MethodGet, "/member/userservice/security/status", nil, "Cookie", name+"="+v))
		assert.Equal(t, "401", code, "cookie %q on a member route", v)
	}
	// Another server's key does not sign for this one.
	other := newServer(t)
	other.register("alice", "Plover-Orchid-71")
	code, _ := s.whoami(other.signIn("alice", "Plover-Orchid-71"))
	assert.Equal(t, "401", code)

	code, _ = s.whoami(cookie)
	assert.Equal(t, "200", code)
	s.clock.Advance(sessionTTL)
	code, _ = s.whoami(cookie)
	assert.Equal(t, "401", code, "expired")
}

func TestSignOutAndCrossOrigin(t *testing.T) {
	s := newServer(t)
	s.register("alice", "Plover-Orchid-71")

	// A sign-in or sign-out posted from another site is refused.
	resp := s.do(http.MethodPost, "/demo/signin", url.Values{"userId": {"alice"}, "password": {"Plover-Orchid-71"}},
		"Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Cookies())
	resp = s.do(http.MethodPost, "/demo/signout", nil, "Sec-Fetch-Site", "same-site")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Cookies())

	resp = s.do(http.MethodPost, "/demo/signout", nil, "Sec-Fetch-Site", "same-origin")
	code, _ := envelope(t, resp)
	assert.Equal(t, "200", code)
	require.Len(t, resp.Cookies(), 1)
	assert.Equal(t, SessionCookie, resp.Cookies()[0].Name)
	assert.Negative(t, resp.Cookies()[0].MaxAge, "deleted")
}

func TestInboxRoute(t *testing.T) {
	s := newServer(t)
	code, data := envelope(t, s.do(http.MethodGet, "/demo/inbox", nil))
	assert.Equal(t, "200", code)
	assert.JSONEq(t, `[]`, string(data))

	s.register("alice", "Plover-Orchid-71")
	code, _ = envelope(t, s.do(http.MethodGet, "/member/userservice/security", url.Values{"phone": {"13800138000"}}, "X-User-ID", "alice"))
	require.Equal(t, "200", code)
	s.clock.Advance(time.Second)
	code, _ = envelope(t, s.do(http.MethodPost, "/web/userservice/security/sendMail", url.Values{"email": {"alice@example.com"}}, "X-User-ID", "alice"))
	require.Equal(t, "200", code)

	resp := s.do(http.MethodGet, "/demo/inbox", nil)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var env struct {
		Code string         `json:"code"`
		Data []InboxMessage `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	require.Len(t, env.Data, 2)
	assert.Equal(t, "verify_email", env.Data[0].Purpose, "newest first")
	assert.Equal(t, "alice@example.com", env.Data[0].To)
	assert.True(t, strings.HasPrefix(env.Data[0].Link, s.base+"/web/userservice/security/verifyMail?token="), env.Data[0].Link)
	assert.Regexp(t, `^[0-9]{6}$`, env.Data[0].Code)
	assert.Equal(t, "bind_phone", env.Data[1].Purpose)
	assert.Equal(t, "+8613800138000", env.Data[1].To)

	code, _ = envelope(t, s.do(http.MethodPost, "/demo/inbox", nil))
	assert.Equal(t, "405", code)
}

func TestPage(t *testing.T) {
	s := newServer(t)
	resp := s.do(http.MethodGet, "/", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	csp := resp.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'self'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "unsafe-inline")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), `<script src="/assets/app.js" defer></script>`)
	assert.NotContains(t, string(body), "http://", "no external assets")
	assert.NotContains(t, string(body), "https://", "no external assets")

	for path, ctype := range map[string]string{"/assets/app.js": "text/javascript; charset=utf-8", "/assets/app.css": "text/css; charset=utf-8"} {
		resp := s.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, ctype, resp.Header.Get("Content-Type"), path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
	}
	for _, path := range []string{"/assets/", "/assets/index.html", "/assets/web.go", "/index.html"} {
		assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, path, nil).StatusCode, path)
	}
	// The API around the page is unchanged.
	code, _ := envelope(t, s.do(http.MethodPost, "/", nil))
	assert.Equal(t, "404", code)
}

// TestOpenAPIServed: the description of the routes is at /openapi.json, the
// same bytes httpadapter embeds.
func TestOpenAPIServed(t *testing.T) {
	s := newServer(t)
	resp := s.do(http.MethodGet, "/openapi.json", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, httpadapter.OpenAPI(), body)
}
