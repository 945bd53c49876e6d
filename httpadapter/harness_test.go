package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// Test accounts and secrets. The passwords and PINs pass the policy.
const (
	alice      = "alice"
	alicePass  = "Plover-Orchid-71"
	alicePhone = "13800138000"
	aliceE164  = "+8613800138000"
	aliceEmail = "alice@example.com"
	newPass    = "Quartz-Meadow-58"
	pin1       = "472915"
	pin2       = "830264"
	otherPhone = "13900139000"
	// vetoedPhone is refused by the test Service's SendVeto.
	vetoedPhone = "13700137000"
	vetoedE164  = "+8613700137000"
	otherE164   = "+8613900139000"
)

// clock is a settable time source shared by the Service and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sent is one captured message with the client the request carried.
type sent struct {
	msg    security.Message
	client security.Client
}

// harness is a Service on memstore behind the adapter, with a capturing
// notifier, captured events and captured logs (Service and adapter).
type harness struct {
	t     *testing.T
	clock *clock
	svc   *security.Service
	h     *httpadapter.Handler
	logs  *syncBuffer

	msgs     chan sent
	mu       sync.Mutex
	failSend bool
	events   []security.Event
}

type harnessConfig struct {
	opts   httpadapter.Options
	limits security.Limits
	// store, when set, wraps the memstore the Service uses.
	store func(*memstore.Store) security.Store
}

func newHarness(t *testing.T, hc harnessConfig) *harness {
	t.Helper()
	hs := &harness{
		t:     t,
		clock: &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)},
		logs:  &syncBuffer{},
		msgs:  make(chan sent, 256),
	}
	// No time attribute: a 6-digit code must not match a timestamp by chance.
	logger := slog.New(slog.NewTextHandler(hs.logs, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	mem := memstore.New(memstore.WithClock(hs.clock.Now))
	t.Cleanup(func() { mem.Close() })
	var store security.Store = mem
	if hc.store != nil {
		store = hc.store(mem)
	}
	notifier := security.NotifierFunc(func(ctx context.Context, m security.Message) error {
		hs.mu.Lock()
		fail := hs.failSend
		hs.mu.Unlock()
		if fail {
			return errors.New("provider unreachable")
		}
		hs.msgs <- sent{msg: m, client: security.ClientFrom(ctx)}
		return nil
	})
	svc, err := security.New(store, notifier, security.Config{
		Secret:              []byte("Y13UTCCOE35W5YJucyY2jBF632VMfXnLPjMBIVzpU0U="),
		LinkBaseURL:         "https://app.example.com/verify",
		Limits:              hc.limits,
		Logger:              logger,
		Now:                 hs.clock.Now,
		MaxConcurrentHashes: 2,
		SendVeto: func(_ context.Context, r security.SendRequest) error {
			if r.To == vetoedE164 {
				return fmt.Errorf("captcha required: %w", security.ErrSendRefused)
			}
			return nil
		},
		OnEvent: func(_ context.Context, e security.Event) {
			hs.mu.Lock()
			hs.events = append(hs.events, e)
			hs.mu.Unlock()
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	hs.svc = svc
	opts := hc.opts
	if opts.UserID == nil {
		opts.UserID = func(r *http.Request) (string, bool) {
			id := r.Header.Get("X-User-ID")
			return id, id != ""
		}
	}
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hs.h = httpadapter.New(svc, opts)
	return hs
}

func (hs *harness) setFailSend(v bool) {
	hs.mu.Lock()
	hs.failSend = v
	hs.mu.Unlock()
}

func (hs *harness) eventsOf(typ security.EventType) []security.Event {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	var out []security.Event
	for _, e := range hs.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// createAccount makes a security record directly through the Service.
func (hs *harness) createAccount(n security.NewAccount) {
	hs.t.Helper()
	require.NoError(hs.t, hs.svc.CreateAccount(context.Background(), n))
}

// nextMsg waits for the next delivered message. The timeout only guards
// against a hang; nothing is asserted about time.
func (hs *harness) nextMsg() sent {
	hs.t.Helper()
	select {
	case m := <-hs.msgs:
		return m
	case <-time.After(20 * time.Second):
		hs.t.Fatal("no message delivered")
		return sent{}
	}
}

// nextCode waits for the next message that carries a code, skipping notices.
func (hs *harness) nextCode(purpose security.Purpose) sent {
	hs.t.Helper()
	for {
		m := hs.nextMsg()
		if m.msg.Purpose.IsNotice() {
			continue
		}
		require.Equal(hs.t, purpose, m.msg.Purpose)
		return m
	}
}

// drain empties the message channel and returns what was in it.
func (hs *harness) drain() []sent {
	var out []sent
	for {
		select {
		case m := <-hs.msgs:
			out = append(out, m)
		default:
			return out
		}
	}
}

// encoding is how a request carries its parameters.
type encoding string

const (
	encQuery     encoding = "query"
	encForm      encoding = "form"
	encMultipart encoding = "multipart"
	encJSON      encoding = "json"
)

var encodings = []encoding{encQuery, encForm, encMultipart, encJSON}

// kv is an ordered parameter list.
type kv [][2]string

// request builds a request with params in enc (GET requests always use the
// query string).
func request(t *testing.T, method, target string, enc encoding, params kv) *http.Request {
	t.Helper()
	if method == http.MethodGet || enc == encQuery {
		q := url.Values{}
		for _, p := range params {
			q.Add(p[0], p[1])
		}
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		return httptest.NewRequest(method, target, nil)
	}
	var body bytes.Buffer
	var ctype string
	switch enc {
	case encForm:
		q := url.Values{}
		for _, p := range params {
			q.Add(p[0], p[1])
		}
		body.WriteString(q.Encode())
		ctype = "application/x-www-form-urlencoded"
	case encMultipart:
		mw := multipart.NewWriter(&body)
		for _, p := range params {
			require.NoError(t, mw.WriteField(p[0], p[1]))
		}
		require.NoError(t, mw.Close())
		ctype = mw.FormDataContentType()
	case encJSON:
		body.WriteByte('{')
		for i, p := range params {
			if i > 0 {
				body.WriteByte(',')
			}
			k, _ := json.Marshal(p[0])
			v, _ := json.Marshal(p[1])
			body.Write(k)
			body.WriteByte(':')
			body.Write(v)
		}
		body.WriteByte('}')
		ctype = "application/json"
	}
	r := httptest.NewRequest(method, target, &body)
	r.Header.Set("Content-Type", ctype)
	return r
}

// envelope is a decoded response body.
type envelope struct {
	Code string          `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// dataKey returns data as a string ("" when it is not one).
func (e envelope) dataKey() string {
	var s string
	_ = json.Unmarshal(e.Data, &s)
	return s
}

// response is a recorded response with its decoded envelope.
type response struct {
	*httptest.ResponseRecorder
	env envelope
}

// serve runs r through the handler and checks the invariants every
// response must keep: the headers and exactly the three envelope fields.
func (hs *harness) serve(r *http.Request) response {
	hs.t.Helper()
	return serveOn(hs.t, hs.h, r)
}

func serveOn(t *testing.T, h http.Handler, r *http.Request) response {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &fields), w.Body.String())
	require.Len(t, fields, 3, w.Body.String())
	var env envelope
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
	require.NotEmpty(t, env.Code)
	require.NotEmpty(t, env.Msg)
	return response{ResponseRecorder: w, env: env}
}

// do builds and serves a request, as user (none when "").
func (hs *harness) do(method, path string, enc encoding, user string, params kv) response {
	hs.t.Helper()
	r := request(hs.t, method, path, enc, params)
	if user != "" {
		r.Header.Set("X-User-ID", user)
	}
	return hs.serve(r)
}

// expect asserts an envelope code and data key and that the HTTP status
// mirrors the code.
func expect(t *testing.T, res response, code, key string) {
	t.Helper()
	require.Equal(t, code, res.env.Code, res.Body.String())
	require.Equal(t, key, res.env.dataKey(), res.Body.String())
	require.Equal(t, code, strconv.Itoa(res.Code), "HTTP status mirrors the code")
}

// withBody replaces r's body with a raw one of content type ctype.
func withBody(r *http.Request, ctype, body string) *http.Request {
	r2 := httptest.NewRequest(r.Method, r.URL.String(), strings.NewReader(body))
	r2.Header = r.Header.Clone()
	if ctype != "" {
		r2.Header.Set("Content-Type", ctype)
	}
	return r2
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
