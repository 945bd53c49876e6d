package browser

import (
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attackPage auto-submits a form to another origin, as a hostile site
// would.
var attackPage = template.Must(template.New("attack").Parse(`<!doctype html>
<title>win a prize</title>
<form id="f" method="POST" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}</form>
<script>document.getElementById('f').submit()</script>
`))

// newAttacker serves, on host, pages that post to target: /sendMail asks
// for a verification email to the attacker's address, /signin signs the
// victim in as the attacker (login CSRF).
func newAttacker(t *testing.T, host, target string) string {
	t.Helper()
	forms := map[string]struct {
		Action string
		Fields map[string]string
	}{
		"/sendMail": {target + "/web/userservice/security/sendMail", map[string]string{"email": "mallory@evil.example"}},
		"/signin":   {target + "/demo/signin", map[string]string{"userId": "mallory", "password": "Lantern-Harbor-93"}},
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := forms[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		attackPage.Execute(w, f) //nolint:errcheck // test server
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCrossOriginFormPostRefused: a signed-in member visits a hostile
// page that auto-submits a form to the demo. From another port of the same
// host (same site: the SameSite=Lax session cookie comes along) and from
// another host (cross site), the adapter answers "403" cross_origin, the
// demo's sign-in refuses too, and nothing changes.
func TestCrossOriginFormPostRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	resp, err := http.PostForm(s.base+"/demo/register", url.Values{"userId": {"mallory"}, "password": {"Lantern-Harbor-93"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	p := open(t, s)
	p.load()
	p.register("alice", "Plover-Orchid-71", "", "")

	for _, tc := range []struct {
		name, host, fetchSite string
		sessionSent           bool
	}{
		{"same-site", "127.0.0.1", "same-site", true},
		{"cross-site", "127.0.0.2", "cross-site", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attacker := newAttacker(t, tc.host, s.base)
			require.NotEqual(t, s.base, attacker)

			p.do(chromedp.Navigate(attacker + "/sendMail"))
			env := p.bodyJSON(s.base + "/web/userservice/security/sendMail")
			assert.Equal(t, "403", env["code"], env)
			assert.Equal(t, "cross_origin", env["data"], env)
			reqs := s.seen("POST", "/web/userservice/security/sendMail")
			require.NotEmpty(t, reqs)
			last := reqs[len(reqs)-1]
			assert.Equal(t, http.StatusForbidden, last.Status)
			assert.Equal(t, tc.fetchSite, last.FetchSite)
			assert.Equal(t, tc.sessionSent, last.Session, "session cookie sent")
			assert.False(t, s.sentTo("mallory@evil.example"), "no email went out")

			p.do(chromedp.Navigate(attacker + "/signin"))
			p.waitFor("the refused sign-in", `location.href === `+js(s.base+"/demo/signin")+` && document.readyState === 'complete'`, `location.href`)
			reqs = s.seen("POST", "/demo/signin")
			require.NotEmpty(t, reqs)
			assert.Equal(t, http.StatusForbidden, reqs[len(reqs)-1].Status)
			assert.Contains(t, strings.ToLower(eval[string](p, `document.body.innerText`)), "cross-origin")

			p.load()
			p.waitText("#who", "alice")
			p.waitText("#st-email", "none")
		})
	}

	// The same request from the page itself goes through: what stopped
	// the hostile ones was their origin.
	p.fill("#em-addr", "mallory@evil.example")
	p.click("#f-mailsend button[type=submit]")
	p.waitMsg("#f-mailsend", "If the address can be verified, a code and a link are on their way.", false)
	assert.True(t, s.sentTo("mallory@evil.example"))
}
