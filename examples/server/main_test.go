package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/examples/internal/demotest"
	"github.com/acctsec/security/examples/server/app"
)

// harness drives one demo app behind an httptest server.
type harness struct {
	t      *testing.T
	base   string
	client *http.Client
	lines  demotest.Lines
	clock  *demotest.Clock
}

func newHarness(t *testing.T, limits security.Limits) *harness {
	lines := make(demotest.Lines, 64)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h := &harness{t: t, base: base, lines: lines, clock: demotest.NewClock()}
	a, err := app.New(app.Options{
		Base: base, Stdout: lines, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: limits, Now: h.clock.Now,
	})
	require.NoError(t, err)
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, a.Close(context.Background()))
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	h.client = &http.Client{Jar: jar}
	return h
}

// call sends form as the query (GET) or a form body and checks the code.
func (d *harness) call(method, path, user string, form url.Values, code string) *http.Response {
	d.t.Helper()
	r, err := demotest.NewRequest(method, d.base+path, user, form)
	require.NoError(d.t, err)
	resp, err := d.client.Do(r)
	require.NoError(d.t, err)
	defer resp.Body.Close()
	var env map[string]json.RawMessage
	require.NoError(d.t, json.NewDecoder(resp.Body).Decode(&env))
	require.Len(d.t, env, 3)
	require.Equal(d.t, strconv.Quote(code), string(env["code"]), "%s %s: %s", method, path, env["data"])
	require.Equal(d.t, code, strconv.Itoa(resp.StatusCode))
	return resp
}

// TestDemoFlows drives the demo the way the printed curl examples do.
func TestDemoFlows(t *testing.T) {
	d := newHarness(t, security.Limits{})
	const user, phone = "alice", "13800138000"
	v := url.Values{}
	form := demotest.Form
	d.call(http.MethodPost, "/demo/register", "", form("userId", user, "password", "Plover-Orchid-71", "email", "alice@example.com"), "201")
	d.call(http.MethodPost, "/demo/register", "", form("userId", user, "password", "Plover-Orchid-71"), "409")
	d.call(http.MethodPost, "/demo/register", "", form("userId", "bob"), "400")
	d.call(http.MethodGet, "/demo/register", "", v, "405")

	d.call(http.MethodGet, "/member/userservice/security", user, form("phone", phone), "200")
	l := d.lines.Next(t, "bind_phone")
	assert.Equal(t, "sms", l.Channel)
	assert.Equal(t, "+8613800138000", l.To)
	d.call(http.MethodPut, "/member/userservice/security/bindingPhone", user, form("phone", phone, "message", l.Code), "201")
	d.call(http.MethodPut, "/member/userservice/security/payPassword", user, form("payPasswordFirst", "472915"), "201")
	d.call(http.MethodGet, "/member/userservice/security/status", "", v, "401")

	// Forgot password, the flow carried by the cookie over plain HTTP,
	// after the phone's 60 s send cooldown.
	d.clock.Advance(61 * time.Second)
	d.call(http.MethodGet, "/web/userservice/security", "", form("phone", phone), "200")
	l = d.lines.Next(t, "forgot_password")
	d.call(http.MethodPost, "/web/userservice/security", "", form("message", l.Code), "201")
	d.call(http.MethodPut, "/web/userservice/security", "", form("phone", phone, "passwordFirst", "Quartz-Meadow-58"), "201")

	// Email: the printed link points back at the demo; opening it shows a
	// confirmation page, whose form verifies the address once.
	d.call(http.MethodPost, "/web/userservice/security/sendMail", "", form("email", "alice@example.com"), "200")
	l = d.lines.Next(t, "verify_email")
	require.True(t, strings.HasPrefix(l.Link, d.base+"/web/userservice/security/verifyMail?token="), l.Link)
	link, err := url.Parse(l.Link)
	require.NoError(t, err)
	token := link.Query().Get("token")
	page := func(method, target string, body url.Values) string {
		t.Helper()
		r, err := http.NewRequest(method, target, strings.NewReader(body.Encode()))
		require.NoError(t, err)
		r.Header.Set("Accept", "text/html")
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := d.client.Do(r)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		return string(b)
	}
	body := page(http.MethodGet, l.Link, nil)
	assert.Contains(t, body, `<input type="hidden" name="token" value="`+token+`">`)
	body = page(http.MethodPost, d.base+"/web/userservice/security/verifyMail", url.Values{"token": {token}})
	assert.Contains(t, body, "Email address confirmed")
	d.call(http.MethodPost, "/web/userservice/security/verifyMail", "", form("token", token), "400")
}

// TestRunShutsDown: run prints its curl examples (and a warning with
// -max-limits) and returns cleanly when its context ends.
func TestRunShutsDown(t *testing.T) {
	demotest.CheckMaxLimitsFlag(t, func(t *testing.T, extra ...string) string {
		args := append([]string{"-addr", "127.0.0.1:0"}, extra...)
		stderr, stop := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
			return run(ctx, args, io.Discard, stderr)
		})
		require.NoError(t, stop())
		out := stderr.String()
		assert.Contains(t, out, "\naccount-security DEMO server on http://127.0.0.1:")
		assert.Contains(t, out, "DEMO ONLY")
		assert.Contains(t, out, "/demo/register")
		assert.Contains(t, out, "Outgoing SMS and email (codes and links) are printed")
		return out
	})
	require.Error(t, run(context.Background(), []string{"-addr", "256.0.0.1:bad"}, io.Discard, io.Discard))
	require.Error(t, run(context.Background(), []string{"-max-limits=maybe"}, io.Discard, io.Discard))
}

// TestMaxLimitsReachTheService: with demo.MaxLimits a phone can be sent a
// second code after 31 s (the cooldown's floor), which the default 60 s
// cooldown refuses.
func TestMaxLimitsReachTheService(t *testing.T) {
	tests := []struct {
		name   string
		limits security.Limits
		second string
	}{
		{name: "defaults", second: "429"},
		{name: "max limits", limits: demo.MaxLimits(), second: "200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newHarness(t, tc.limits)
			f := url.Values{"userId": {"alice"}, "password": {"Plover-Orchid-71"}}
			d.call(http.MethodPost, "/demo/register", "", f, "201")
			send := url.Values{"phone": {"13800138000"}}
			d.call(http.MethodGet, "/member/userservice/security", "alice", send, "200")
			d.lines.Next(t, "bind_phone")
			d.clock.Advance(31 * time.Second)
			d.call(http.MethodGet, "/member/userservice/security", "alice", send, tc.second)
		})
	}
}

// TestImportFlag: -import loads a migration file at start, reports its
// refused rows and summary on stderr, and an imported member signs in
// with the old password (an htpasswd bcrypt hash of "password").
func TestImportFlag(t *testing.T) {
	path := t.TempDir() + "/members.jsonl"
	input := `{"userId":"old-member","passwordHash":"$2y$04$JAVw00Dtroq0Xq23hXe.7OTcVqfz5ZfzqzhZSeVMayNA6A7CY9iYm","phone":"13800138000"}` + "\n" +
		`{"userId":"broken","passwordHash":"nope"}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(input), 0o600))
	stderr, stop := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-import", path}, io.Discard, stderr)
	})
	out := stderr.String()
	assert.Contains(t, out, `import: line 2 userId "broken": bad_hash`)
	assert.Contains(t, out, "imported: 1\n")
	assert.NotContains(t, out, "JAVw00")
	m := regexp.MustCompile(`DEMO server on (http://127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	signIn := func(pw string) string {
		resp, err := http.PostForm(m[1]+"/demo/signin", url.Values{"userId": {"old-member"}, "password": {pw}})
		require.NoError(t, err)
		defer resp.Body.Close()
		var body struct {
			Code string `json:"code"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return body.Code
	}
	assert.NotEqual(t, "201", signIn("wrong"))
	assert.Equal(t, "201", signIn("password"))
	assert.Equal(t, "201", signIn("password"), "again, on the upgraded hash")
	require.NoError(t, stop())

	require.Error(t, run(context.Background(), []string{"-addr", "127.0.0.1:0", "-import", path + ".txt"}, io.Discard, io.Discard))
	require.Error(t, run(context.Background(), []string{"-addr", "127.0.0.1:0", "-import", t.TempDir() + "/missing.csv"}, io.Discard, io.Discard))
}
