package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineWriter hands each Write (the dev notifier writes one JSON line per
// Write) to a channel.
type lineWriter chan []byte

func (c lineWriter) Write(b []byte) (int, error) {
	c <- append([]byte(nil), b...)
	return len(b), nil
}

// outLine is one message the dev notifier printed.
type outLine struct {
	Channel, To, Purpose, Code, Link string
}

type demo struct {
	t      *testing.T
	base   string
	client *http.Client
	lines  lineWriter
	mu     sync.Mutex
	now    time.Time
}

func newDemo(t *testing.T) *demo {
	lines := make(lineWriter, 64)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	d := &demo{t: t, base: base, lines: lines, now: time.Now()}
	a, err := newApp(base, lines, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), d.clock)
	require.NoError(t, err)
	srv.Config.Handler = a.handler
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, a.close(context.Background()))
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	d.client = &http.Client{Jar: jar}
	return d
}

func (d *demo) clock() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.now
}

func (d *demo) advance(by time.Duration) {
	d.mu.Lock()
	d.now = d.now.Add(by)
	d.mu.Unlock()
}

// call sends form as the query (GET) or a form body and checks the code.
func (d *demo) call(method, path, user string, form url.Values, code string) *http.Response {
	d.t.Helper()
	target := d.base + path
	var body io.Reader
	if method == http.MethodGet {
		target += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, target, body)
	require.NoError(d.t, err)
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		r.Header.Set("X-User-ID", user)
	}
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

// next returns the next printed message with a code, skipping notices.
func (d *demo) next(purpose string) outLine {
	d.t.Helper()
	for {
		select {
		case b := <-d.lines:
			var l outLine
			require.NoError(d.t, json.Unmarshal(bytes.TrimSpace(b), &l), string(b))
			if l.Code == "" && l.Link == "" {
				continue
			}
			require.Equal(d.t, purpose, l.Purpose)
			return l
		case <-time.After(20 * time.Second): // hang guard only
			d.t.Fatal("no message printed")
		}
	}
}

// TestDemoFlows drives the demo the way the printed curl examples do.
func TestDemoFlows(t *testing.T) {
	d := newDemo(t)
	const user, phone = "alice", "13800138000"
	v := url.Values{}
	form := func(kv ...string) url.Values {
		f := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	d.call(http.MethodPost, "/demo/register", "", form("userId", user, "password", "Plover-Orchid-71", "email", "alice@example.com"), "201")
	d.call(http.MethodPost, "/demo/register", "", form("userId", user, "password", "Plover-Orchid-71"), "409")
	d.call(http.MethodPost, "/demo/register", "", form("userId", "bob"), "400")
	d.call(http.MethodGet, "/demo/register", "", v, "405")

	d.call(http.MethodGet, "/member/userservice/security", user, form("phone", phone), "200")
	l := d.next("bind_phone")
	assert.Equal(t, "sms", l.Channel)
	assert.Equal(t, "+8613800138000", l.To)
	d.call(http.MethodPut, "/member/userservice/security/bindingPhone", user, form("phone", phone, "message", l.Code), "201")
	d.call(http.MethodPut, "/member/userservice/security/payPassword", user, form("payPasswordFirst", "472915"), "201")
	d.call(http.MethodGet, "/member/userservice/security/status", "", v, "401")

	// Forgot password, the flow carried by the cookie over plain HTTP,
	// after the phone's 60 s send cooldown.
	d.advance(61 * time.Second)
	d.call(http.MethodGet, "/web/userservice/security", "", form("phone", phone), "200")
	l = d.next("forgot_password")
	d.call(http.MethodPost, "/web/userservice/security", "", form("message", l.Code), "201")
	d.call(http.MethodPut, "/web/userservice/security", "", form("phone", phone, "passwordFirst", "Quartz-Meadow-58"), "201")

	// Email: the printed link points back at the demo and verifies.
	d.call(http.MethodPost, "/web/userservice/security/sendMail", "", form("email", "alice@example.com"), "200")
	l = d.next("verify_email")
	require.True(t, strings.HasPrefix(l.Link, d.base+"/web/userservice/security/verifyMail?token="), l.Link)
	resp, err := d.client.Get(l.Link)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
}

// signalWriter collects output and closes ready once it contains want.
type signalWriter struct {
	mu    sync.Mutex
	b     bytes.Buffer
	want  string
	ready chan struct{}
	once  sync.Once
}

func (s *signalWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	if strings.Contains(s.b.String(), s.want) {
		s.once.Do(func() { close(s.ready) })
	}
	return len(p), nil
}

// TestRunShutsDown: run prints its curl examples and returns cleanly when
// its context ends.
func TestRunShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &signalWriter{want: "curl -s", ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, io.Discard, stderr) }()
	select {
	case <-stderr.ready:
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	}
	cancel()
	require.NoError(t, <-done)
	stderr.mu.Lock()
	defer stderr.mu.Unlock()
	assert.Contains(t, stderr.b.String(), "DEMO")
	assert.Contains(t, stderr.b.String(), "/demo/register")

	require.Error(t, run(context.Background(), []string{"-addr", "256.0.0.1:bad"}, io.Discard, io.Discard))
}
