package pwned_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/pwned"
)

const testPassword = "correct horse battery staple"

// hashOf returns the upper-case SHA-1 hex of pw split into prefix and suffix.
func hashOf(pw string) (prefix, suffix string) {
	sum := sha1.Sum([]byte(pw))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	return h[:5], h[5:]
}

// recorded is what the fake API saw of one request.
type recorded struct {
	method, path, rawQuery, padding, userAgent string
	dump                                       string // method, URL, headers and body
}

// fakeAPI serves body for every range request and records the requests.
type fakeAPI struct {
	mu     sync.Mutex
	seen   []recorded
	status int
	body   func(prefix string) string
	block  chan struct{} // if non-nil, handlers wait on it
	// arrived, if non-nil, gets a value as each request arrives.
	arrived chan struct{}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.String())
	for k, v := range r.Header {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(v, ","))
	}
	buf := make([]byte, 1024)
	n, _ := r.Body.Read(buf)
	b.Write(buf[:n])
	f.mu.Lock()
	f.seen = append(f.seen, recorded{
		method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery,
		padding: r.Header.Get("Add-Padding"), userAgent: r.Header.Get("User-Agent"),
		dump: b.String(),
	})
	f.mu.Unlock()
	if f.arrived != nil {
		f.arrived <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-r.Context().Done():
			return
		}
	}
	if f.status != 0 && f.status != http.StatusOK {
		w.WriteHeader(f.status)
		return
	}
	fmt.Fprint(w, f.body(strings.TrimPrefix(r.URL.Path, "/range/")))
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.seen...)
}

// rangeBody builds a padded range response: filler lines, padding lines
// (count 0) and the given extra lines, CRLF-separated as the API does.
func rangeBody(extra ...string) string {
	var lines []string
	for i := range 300 {
		lines = append(lines, fmt.Sprintf("%035X:%d", i*7919+1, i%50+1))
	}
	for i := range 200 {
		lines = append(lines, fmt.Sprintf("%035X:0", i*104729+3))
	}
	lines = append(lines[:150], append(extra, lines[150:]...)...)
	return strings.Join(lines, "\r\n")
}

func newChecker(t *testing.T, url string, mutate func(*pwned.Options)) *pwned.Checker {
	t.Helper()
	opts := pwned.Options{BaseURL: url}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := pwned.New(opts)
	require.NoError(t, err)
	return c
}

func requirePolicy(t *testing.T, err error, reason string) {
	t.Helper()
	require.ErrorIs(t, err, security.ErrWeakPassword)
	var pe *security.PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, reason, pe.Reason)
}

func TestCheckPasswordFound(t *testing.T) {
	_, suffix := hashOf(testPassword)
	tests := []struct {
		name     string
		line     string
		minCount int
		breached bool
	}{
		{"listed once", suffix + ":1", 0, true},
		{"listed many times", suffix + ":3861493", 0, true},
		{"lower-case suffix", strings.ToLower(suffix) + ":5", 0, true},
		{"below MinCount", suffix + ":4", 5, false},
		{"at MinCount", suffix + ":5", 5, true},
		{"padding entry ignored", suffix + ":0", 0, false},
		{"not listed", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{body: func(string) string {
				if tt.line == "" {
					return rangeBody()
				}
				return rangeBody(tt.line)
			}}
			srv := httptest.NewServer(api)
			defer srv.Close()
			var failures []error
			c := newChecker(t, srv.URL, func(o *pwned.Options) {
				o.MinCount = tt.minCount
				o.FailClosed = true
				o.OnError = func(err error) { failures = append(failures, err) }
			})
			err := c.CheckPassword(context.Background(), testPassword)
			if tt.breached {
				requirePolicy(t, err, "breached")
			} else {
				require.NoError(t, err)
			}
			assert.Empty(t, failures)
			assert.Len(t, api.requests(), 1)
		})
	}
}

// TestCheckPasswordSendsOnlyPrefix: the API sees the 5-character prefix in
// the path, the padding header and nothing else of the password.
func TestCheckPasswordSendsOnlyPrefix(t *testing.T) {
	prefix, suffix := hashOf(testPassword)
	api := &fakeAPI{body: func(string) string { return rangeBody() }}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := newChecker(t, srv.URL+"/", func(o *pwned.Options) { o.UserAgent = "acctsec-test" })

	require.NoError(t, c.CheckPassword(context.Background(), testPassword))

	reqs := api.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodGet, r.method)
	assert.Equal(t, "/range/"+prefix, r.path)
	assert.Empty(t, r.rawQuery)
	assert.Equal(t, "true", r.padding)
	assert.Equal(t, "acctsec-test", r.userAgent)
	sum := sha1.Sum([]byte(testPassword))
	for _, secret := range []string{
		testPassword, "correct", suffix, strings.ToLower(suffix), suffix[:8],
		hex.EncodeToString(sum[:]), string(sum[:]),
	} {
		assert.NotContains(t, r.dump, secret)
		assert.NotContains(t, strings.ToUpper(r.dump), strings.ToUpper(secret))
	}
}

func TestCheckPasswordFailures(t *testing.T) {
	_, suffix := hashOf(testPassword)
	huge := rangeBody(suffix+":9") + "\r\n" + strings.Repeat(fmt.Sprintf("%035X:1\r\n", 1), 1<<20/38+10)
	tests := []struct {
		name   string
		server func(t *testing.T) string // returns the base URL
	}{
		{"status 500", func(t *testing.T) string {
			srv := httptest.NewServer(&fakeAPI{status: http.StatusInternalServerError})
			t.Cleanup(srv.Close)
			return srv.URL
		}},
		{"status 429", func(t *testing.T) string {
			srv := httptest.NewServer(&fakeAPI{status: http.StatusTooManyRequests})
			t.Cleanup(srv.Close)
			return srv.URL
		}},
		{"connection refused", func(t *testing.T) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			require.NoError(t, ln.Close())
			return "http://" + addr
		}},
		{"malformed body", func(t *testing.T) string {
			srv := httptest.NewServer(&fakeAPI{body: func(string) string { return "<html>maintenance</html>" }})
			t.Cleanup(srv.Close)
			return srv.URL
		}},
		{"body over 1 MiB", func(t *testing.T) string {
			srv := httptest.NewServer(&fakeAPI{body: func(string) string { return huge }})
			t.Cleanup(srv.Close)
			return srv.URL
		}},
	}
	for _, tt := range tests {
		for _, failClosed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/failClosed=%v", tt.name, failClosed), func(t *testing.T) {
				var failures []error
				c := newChecker(t, tt.server(t), func(o *pwned.Options) {
					o.FailClosed = failClosed
					o.OnError = func(err error) { failures = append(failures, err) }
				})
				err := c.CheckPassword(context.Background(), testPassword)
				if failClosed {
					requirePolicy(t, err, "check_failed")
				} else {
					require.NoError(t, err)
				}
				require.Len(t, failures, 1)
				prefix, _ := hashOf(testPassword)
				assert.NotContains(t, failures[0].Error(), prefix)
				assert.NotContains(t, failures[0].Error(), testPassword)
			})
		}
	}
}

// TestCheckPasswordTimeout: a server that never answers is cut off by
// Options.Timeout (1 ms, so the test does not wait) and counts as a failure.
func TestCheckPasswordTimeout(t *testing.T) {
	for _, failClosed := range []bool{false, true} {
		t.Run(fmt.Sprintf("failClosed=%v", failClosed), func(t *testing.T) {
			api := &fakeAPI{body: func(string) string { return rangeBody() }, block: make(chan struct{})}
			srv := httptest.NewServer(api)
			defer srv.Close()
			defer close(api.block)
			var failures []error
			c := newChecker(t, srv.URL, func(o *pwned.Options) {
				o.Timeout = time.Millisecond
				o.FailClosed = failClosed
				o.OnError = func(err error) { failures = append(failures, err) }
			})
			err := c.CheckPassword(context.Background(), testPassword)
			if failClosed {
				requirePolicy(t, err, "check_failed")
			} else {
				require.NoError(t, err)
			}
			require.Len(t, failures, 1)
			assert.ErrorIs(t, failures[0], context.DeadlineExceeded)
		})
	}
}

// TestCheckPasswordContextCanceled: when the caller's context ends, its
// error comes back, neither accepting nor refusing, and OnError is not
// called.
func TestCheckPasswordContextCanceled(t *testing.T) {
	t.Run("before the call", func(t *testing.T) {
		api := &fakeAPI{body: func(string) string { return rangeBody() }}
		srv := httptest.NewServer(api)
		defer srv.Close()
		called := false
		c := newChecker(t, srv.URL, func(o *pwned.Options) { o.OnError = func(error) { called = true } })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := c.CheckPassword(ctx, testPassword)
		require.ErrorIs(t, err, context.Canceled)
		assert.False(t, called)
		assert.Empty(t, api.requests())
	})
	t.Run("during the request", func(t *testing.T) {
		api := &fakeAPI{
			body:    func(string) string { return rangeBody() },
			block:   make(chan struct{}),
			arrived: make(chan struct{}, 1),
		}
		srv := httptest.NewServer(api)
		defer srv.Close()
		defer close(api.block)
		called := false
		c := newChecker(t, srv.URL, func(o *pwned.Options) {
			o.FailClosed = true
			o.Timeout = time.Hour
			o.OnError = func(error) { called = true }
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.CheckPassword(ctx, testPassword) }()
		<-api.arrived // the server holds the request
		cancel()
		err := <-done
		require.ErrorIs(t, err, context.Canceled)
		var pe *security.PolicyError
		assert.False(t, errors.As(err, &pe))
		assert.False(t, called)
	})
}

func TestNewValidates(t *testing.T) {
	for name, opts := range map[string]pwned.Options{
		"relative URL":      {BaseURL: "/range"},
		"ftp URL":           {BaseURL: "ftp://example.com"},
		"URL with query":    {BaseURL: "https://example.com/?x=1"},
		"negative timeout":  {Timeout: -time.Second},
		"negative MinCount": {MinCount: -1},
		"UserAgent CRLF":    {UserAgent: "a\r\nX-Evil: 1"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := pwned.New(opts)
			require.Error(t, err)
			assert.Nil(t, c)
		})
	}
	c, err := pwned.New(pwned.Options{})
	require.NoError(t, err)
	assert.NotNil(t, c)
}
