package frameworks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/frameworks"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/securitytest"
)

const (
	alice      = "alice"
	alicePass  = "Plover-Orchid-71"
	newPass    = "Quartz-Meadow-58"
	alicePhone = "13800138000"
	aliceEmail = "alice@example.com"
)

func init() { gin.SetMode(gin.TestMode) }

// rig is a Service on memstore whose messages land in an Outbox.
type rig struct {
	svc *security.Service
	out *securitytest.Outbox
	// seen counts the messages next has gone past.
	seen int
}

func newRig(t *testing.T) *rig {
	t.Helper()
	s := securitytest.NewService(t, securitytest.WithConfig(func(c *security.Config) {
		c.LinkBaseURL = "https://accounts.example.com/web/userservice/security/verifyMail"
	}))
	r := &rig{svc: s.Service, out: s.Outbox}
	require.NoError(t, r.svc.CreateAccount(context.Background(),
		security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone, Email: aliceEmail}))
	return r
}

// next waits for the next message with a code of purpose, going past the
// others. The timeout only guards against a hang.
func (r *rig) next(t *testing.T, purpose security.Purpose) security.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		msgs, err := r.out.WaitFunc(ctx, r.seen+1, func(security.Message) bool { return true })
		if err != nil {
			t.Fatalf("no %s message", purpose)
		}
		m := msgs[r.seen]
		r.seen++
		if m.Purpose == purpose {
			return m
		}
	}
}

// options are the adapter options every mount gets: members named by a
// header (a test stand-in for the host's session).
func options() httpadapter.Options {
	return httpadapter.Options{UserID: func(r *http.Request) (string, bool) {
		id := r.Header.Get("X-User-ID")
		return id, id != ""
	}}
}

// browser is a client with a cookie jar, as a browser is.
type browser struct {
	t      *testing.T
	client *http.Client
	base   string // server URL + mount prefix
}

type envelope struct {
	Code string          `json:"code"`
	Data json.RawMessage `json:"data"`
}

func (b *browser) do(method, path string, form url.Values, header ...string) (*http.Response, []byte) {
	b.t.Helper()
	target := b.base + path
	var body io.Reader
	if method == http.MethodGet {
		if len(form) > 0 {
			target += "?" + form.Encode()
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(b.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp, raw
}

// call expects an envelope with code.
func (b *browser) call(method, path string, form url.Values, code string, header ...string) *http.Response {
	b.t.Helper()
	resp, raw := b.do(method, path, form, header...)
	require.Equal(b.t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), "%s %s: %s", method, path, raw)
	var env envelope
	require.NoError(b.t, json.Unmarshal(raw, &env), string(raw))
	require.Equal(b.t, code, env.Code, "%s %s: %s", method, path, raw)
	return resp
}

var actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// TestMounts drives each mount over TLS, so the flow cookie is the default
// __Host-acctsec_flow (Secure, Path=/): a member route with a signed-in
// user, the forgot-password flow carried by the cookie jar alone, the
// email link's page and its form (whose relative action must resolve under
// the mount), and a 404 in the adapter's envelope for an unknown path in
// either tree.
func TestMounts(t *testing.T) {
	mounts := []struct {
		name   string
		mount  func(*security.Service, httpadapter.Options) http.Handler
		prefix string
	}{
		{"net/http ServeMux", frameworks.ServeMux, ""},
		{"net/http ServeMux with PathPrefix", frameworks.ServeMuxPrefix, "/api"},
		{"net/http StripPrefix", frameworks.StripPrefix, "/api"},
		{"chi Mount with PathPrefix", frameworks.Chi, "/api"},
		{"gin", frameworks.Gin, ""},
		{"echo", frameworks.Echo, ""},
	}
	for _, m := range mounts {
		t.Run(m.name, func(t *testing.T) {
			r := newRig(t)
			srv := httptest.NewTLSServer(m.mount(r.svc, options()))
			t.Cleanup(srv.Close)
			jar, err := cookiejar.New(nil)
			require.NoError(t, err)
			client := srv.Client()
			client.Jar = jar
			b := &browser{t: t, client: client, base: srv.URL + m.prefix}

			// A member route, signed in.
			b.call(http.MethodGet, "/member/userservice/security/status", nil, "200", "X-User-ID", alice)
			b.call(http.MethodGet, "/member/userservice/security/status", nil, "401")

			// Forgot password: only the jar carries the flow.
			resp := b.call(http.MethodGet, "/web/userservice/security", url.Values{"phone": {alicePhone}}, "200")
			require.Len(t, resp.Cookies(), 1)
			assert.Equal(t, "__Host-acctsec_flow", resp.Cookies()[0].Name)
			flowURL, err := url.Parse(b.base + "/web/userservice/security")
			require.NoError(t, err)
			require.Len(t, jar.Cookies(flowURL), 1, "the browser sends the cookie back under the mount")
			code := r.next(t, security.PurposeForgotPassword).Code
			b.call(http.MethodPost, "/web/userservice/security", url.Values{"message": {code}}, "201")
			b.call(http.MethodPut, "/web/userservice/security",
				url.Values{"phone": {alicePhone}, "passwordFirst": {newPass}, "passwordSecond": {newPass}}, "201")
			require.NoError(t, r.svc.VerifyPassword(context.Background(), alice, newPass))
			assert.Empty(t, jar.Cookies(flowURL), "step 2 clears the cookie")

			// The email link: its page, then the page's form.
			b.call(http.MethodPost, "/web/userservice/security/sendMail", url.Values{"email": {aliceEmail}}, "200")
			link, err := url.Parse(r.next(t, security.PurposeVerifyEmail).Link)
			require.NoError(t, err)
			token := link.Query().Get("token")
			pageURL, err := url.Parse(b.base + "/web/userservice/security/verifyMail?token=" + url.QueryEscape(token))
			require.NoError(t, err)
			resp, page := b.do(http.MethodGet, "/web/userservice/security/verifyMail", url.Values{"token": {token}}, "Accept", "text/html")
			require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
			require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
			action := actionRE.FindSubmatch(page)
			require.NotNil(t, action, string(page))
			rel, err := url.Parse(string(action[1]))
			require.NoError(t, err)
			post := pageURL.ResolveReference(rel)
			assert.Equal(t, b.base+"/web/userservice/security/verifyMail", post.String())
			resp, result := b.do(http.MethodPost, strings.TrimPrefix(post.String(), b.base), url.Values{"token": {token}},
				"Accept", "text/html", "Sec-Fetch-Site", "same-origin")
			require.Equal(t, http.StatusOK, resp.StatusCode, string(result))
			assert.Contains(t, string(result), "Email address confirmed")
			st, err := r.svc.Status(context.Background(), alice)
			require.NoError(t, err)
			assert.True(t, st.EmailVerified)

			// Unknown paths under the routes get the adapter's envelope.
			b.call(http.MethodGet, "/web/userservice/security/nope", nil, "404")
			b.call(http.MethodGet, "/member/userservice/security/nope", nil, "404", "X-User-ID", alice)
		})
	}
}

// TestChiMountNeedsPathPrefix: chi's Mount does not strip its prefix, so
// without PathPrefix the adapter finds no route.
func TestChiMountNeedsPathPrefix(t *testing.T) {
	r := newRig(t)
	router := chi.NewRouter()
	router.Mount("/api", httpadapter.New(r.svc, options()))
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	b := &browser{t: t, client: srv.Client(), base: srv.URL + "/api"}
	b.call(http.MethodGet, "/member/userservice/security/status", nil, "404", "X-User-ID", alice)
}

// TestGinNeedsBothTrees: mounted on /member/* only, gin answers /web/...
// itself, in plain text: the forgot-password and email routes are gone.
func TestGinNeedsBothTrees(t *testing.T) {
	r := newRig(t)
	g := gin.New()
	g.Any("/member/*path", gin.WrapH(httpadapter.New(r.svc, options())))
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	b := &browser{t: t, client: srv.Client(), base: srv.URL}
	resp, body := b.do(http.MethodGet, "/web/userservice/security", url.Values{"phone": {alicePhone}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, resp.Header.Get("Content-Type"), "application/json", string(body))
}

// TestInsecureCookiesUnderStripPrefix: over plain HTTP (development), the
// cookie is acctsec_flow, still Path=/, so it comes back under the mount.
func TestInsecureCookiesUnderStripPrefix(t *testing.T) {
	r := newRig(t)
	opts := options()
	opts.InsecureCookies = true
	srv := httptest.NewServer(frameworks.StripPrefix(r.svc, opts))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := srv.Client()
	client.Jar = jar
	b := &browser{t: t, client: client, base: srv.URL + "/api"}
	resp := b.call(http.MethodGet, "/web/userservice/security", url.Values{"phone": {alicePhone}}, "200")
	require.Len(t, resp.Cookies(), 1)
	assert.Equal(t, "acctsec_flow", resp.Cookies()[0].Name)
	assert.Equal(t, "/", resp.Cookies()[0].Path)
	code := r.next(t, security.PurposeForgotPassword).Code
	b.call(http.MethodPost, "/web/userservice/security", url.Values{"message": {code}}, "201")
	b.call(http.MethodPut, "/web/userservice/security", url.Values{"phone": {alicePhone}, "passwordFirst": {newPass}}, "201")
	require.NoError(t, r.svc.VerifyPassword(context.Background(), alice, newPass))
}
