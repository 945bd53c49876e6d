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
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
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
	// vetoedPhone and vetoedEmail are refused by the test Service's SendVeto.
	vetoedPhone = "13700137000"
	vetoedE164  = "+8613700137000"
	vetoedEmail = "vetoed@example.com"
	otherE164   = "+8613900139000"
)

// sent is one captured message with the client the request carried.
type sent struct {
	msg    security.Message
	client security.Client
}

// harness is a Service on memstore behind the adapter, with a capturing
// notifier, captured events and captured logs (Service and adapter).
type harness struct {
	t     *testing.T
	clock *securitytest.Clock
	svc   *security.Service
	// h is the adapter, behind the exchange recorder when recording.
	h http.Handler
	// ad is the adapter itself, for its methods.
	ad   *httpadapter.Handler
	logs *securitytest.Logs

	msgs     chan sent
	mu       sync.Mutex
	failSend bool
	events   []security.Event
	// logins records the default OnLogin hook's calls (nil when the
	// test set its own hook or opted out).
	logins *logins
}

type harnessConfig struct {
	opts   httpadapter.Options
	limits security.Limits
	// store, when set, wraps the memstore the Service uses.
	store func(*memstore.Store) security.Store
	// noLogin leaves Options.OnLogin unset, so the SMS login routes are
	// not mounted. Otherwise, when opts has no OnLogin, the harness gives
	// it one that records the user and sets a session cookie.
	noLogin bool
}

func newHarness(t *testing.T, hc harnessConfig) *harness {
	t.Helper()
	hs := &harness{
		t:     t,
		clock: securitytest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)),
		logs:  &securitytest.Logs{},
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
			if r.To == vetoedE164 || r.To == vetoedEmail {
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
	if opts.OnLogin == nil && !hc.noLogin {
		hs.logins = &logins{}
		opts.OnLogin = hs.logins.hook
	}
	hs.h = record(t, httpadapter.New(svc, opts), opts)
	hs.ad = unwrap(hs.h)
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

// RecordEnv names the file that, when set, receives every request the tests
// send to the adapter and every response it gives, one JSON object a line,
// for the OpenAPI conformance test of the openapitest module. The first
// line lists the routes the adapter serves. Unset, nothing is recorded and
// requests reach the adapter untouched.
const recordEnv = "ACCTSEC_RECORD_EXCHANGES"

// exchange is one recorded request and response, with the options that
// shape them. Bodies are base64 in JSON.
type exchange struct {
	Kind string `json:"kind"` // "exchange"
	Test string `json:"test"`
	// PathPrefix, FlowCookieName, InsecureCookies and AlwaysHTTP200 are
	// the handler's options (the cookie name after its default).
	PathPrefix      string `json:"pathPrefix,omitempty"`
	FlowCookieName  string `json:"flowCookieName"`
	InsecureCookies bool   `json:"insecureCookies,omitempty"`
	AlwaysHTTP200   bool   `json:"alwaysHTTP200,omitempty"`
	// IgnoreParams are the handler's Options.IgnoreParams, which the
	// description cannot name: the conformance test drops them from the
	// request before validating it.
	IgnoreParams []string `json:"ignoreParams,omitempty"`
	// Options names the options set that mount routes ("OnLogin"), as
	// the description's x-acctsec-requires-option names them.
	Options []string `json:"options,omitempty"`

	Method        string      `json:"method"`
	Target        string      `json:"target"` // path and query, as sent
	Host          string      `json:"host"`
	Header        http.Header `json:"header"`
	ContentLength int64       `json:"contentLength"`
	Body          []byte      `json:"body"`

	Status         int         `json:"status"`
	ResponseHeader http.Header `json:"responseHeader"`
	ResponseBody   []byte      `json:"responseBody"`
}

// exchangeLog appends records to the file named by recordEnv; one per test
// process, shared by the parallel tests.
type exchangeLog struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

var exchanges = sync.OnceValue(func() *exchangeLog {
	path := os.Getenv(recordEnv)
	if path == "" {
		return nil
	}
	l := &exchangeLog{}
	l.f, l.err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if l.err == nil {
		l.err = l.write(struct {
			Kind   string   `json:"kind"`
			Routes []string `json:"routes"`
		}{"routes", httpadapter.ServedRoutes()})
	}
	return l
})

func (l *exchangeLog) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.f.Write(append(b, '\n'))
	return err
}

// record returns h, behind a recorder when recordEnv is set. opts are the
// options h was built with. Every test serving the adapter goes through it
// (openapi_test.go checks the sources for handlers built around it).
func record(t testing.TB, h http.Handler, opts httpadapter.Options) http.Handler {
	l := exchanges()
	if l == nil {
		return h
	}
	if l.err != nil {
		t.Fatalf("%s: %v", recordEnv, l.err)
	}
	// The name the handler uses, as Options.FlowCookieName documents it;
	// the conformance test checks it against the description and against
	// every Set-Cookie recorded.
	cookie := opts.FlowCookieName
	if cookie == "" {
		cookie = httpadapter.DefaultFlowCookieName
		if opts.InsecureCookies {
			cookie = httpadapter.DefaultInsecureFlowCookieName
		}
	}
	var mounting []string
	if opts.OnLogin != nil {
		mounting = append(mounting, "OnLogin")
	}
	return recorded{inner: h, HandlerFunc: func(w http.ResponseWriter, r *http.Request) {
		x := exchange{Kind: "exchange", Test: t.Name(), PathPrefix: opts.PathPrefix, FlowCookieName: cookie,
			InsecureCookies: opts.InsecureCookies, AlwaysHTTP200: opts.AlwaysHTTP200, IgnoreParams: opts.IgnoreParams,
			Options: mounting, Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host,
			Header: r.Header.Clone(), ContentLength: r.ContentLength}
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("recording a request body: %v", err)
			}
			x.Body = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		x.Status, x.ResponseHeader, x.ResponseBody = tw.status, tw.header, tw.body.Bytes()
		if err := l.write(x); err != nil {
			t.Errorf("recording an exchange: %v", err)
		}
	}}
}

// recorded is a handler behind the exchange recorder.
type recorded struct {
	http.HandlerFunc
	inner http.Handler
}

// unwrap returns the adapter behind h (which record may have wrapped).
func unwrap(h http.Handler) *httpadapter.Handler {
	if r, ok := h.(recorded); ok {
		h = r.inner
	}
	return h.(*httpadapter.Handler)
}

// teeWriter passes a response through and keeps a copy: the status, the
// header as sent, and the body.
type teeWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status, w.header = code, w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}
