package httpadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// These benchmarks put the adapter next to its limit: a bare net/http
// handler that makes the same Service calls on the same kind of store and
// writes the same envelope with encoding/json. One op is one flow: send a
// bind-phone code (GET /member/userservice/security) and bind the phone
// with it (PUT .../bindingPhone). Every flow uses its own user, phone and
// client IP, so no throttle refuses it. Both handlers are called in
// process (ServeHTTP on a reused ResponseWriter), so the comparison is not
// diluted by the network stack both would share.

const (
	benchSendPath = "/member/userservice/security"
	benchBindPath = "/member/userservice/security/bindingPhone"
)

// benchCodes captures the code of each message, by destination.
type benchCodes struct {
	mu    sync.Mutex
	codes map[string]string
}

func (c *benchCodes) Send(_ context.Context, m security.Message) error {
	c.mu.Lock()
	c.codes[m.To] = m.Code
	c.mu.Unlock()
	return nil
}

// take returns and forgets the code sent to e164.
func (c *benchCodes) take(e164 string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	code := c.codes[e164]
	delete(c.codes, e164)
	return code
}

// benchFixture is a Service on memstore with n accounts, and the inputs of
// n flows.
type benchFixture struct {
	svc   *security.Service
	codes *benchCodes
	users []string
	// phones are national numbers; e164s the same in E.164.
	phones, e164s []string
	remote        []string
}

var (
	benchPHCOnce sync.Once
	benchPHC     string
)

func newBenchFixture(tb testing.TB, n int) *benchFixture {
	tb.Helper()
	benchPHCOnce.Do(func() {
		var err error
		benchPHC, err = argon2id.CreateHash("Plover-Orchid-71", argon2id.DefaultParams)
		if err != nil {
			panic(err)
		}
	})
	f := &benchFixture{codes: &benchCodes{codes: map[string]string{}}}
	store := memstore.New()
	svc, err := security.New(store, f.codes, security.Config{
		Secret: []byte("Y13UTCCOE35W5YJucyY2jBF632VMfXnLPjMBIVzpU0U="),
		Logger: slog.New(slog.DiscardHandler),
		// Every flow has its own phone, account and IP; only the global
		// SMS budget would refuse, so it is at its maximum.
		Limits: security.Limits{SMSBudgetPerHour: 10_000_000},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = svc.Close(context.Background())
		_ = store.Close()
	})
	f.svc = svc
	ctx := context.Background()
	for i := range n {
		user := "bench-" + strconv.Itoa(i)
		if err := svc.CreateAccount(ctx, security.NewAccount{UserID: user, PasswordHash: benchPHC}); err != nil {
			tb.Fatal(err)
		}
		d := strconv.Itoa(i)
		phone := "139" + strings.Repeat("0", 8-len(d)) + d
		f.users = append(f.users, user)
		f.phones = append(f.phones, phone)
		f.e164s = append(f.e164s, "+86"+phone)
		f.remote = append(f.remote, "10."+strconv.Itoa(i>>16&255)+"."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255)+":40000")
	}
	return f
}

// benchWriter is a reusable http.ResponseWriter that keeps the status and
// discards the body.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }

func (w *benchWriter) reset() {
	clear(w.h)
	w.status = http.StatusOK
}

// flow runs flow i through h and reports whether both steps succeeded.
func (f *benchFixture) flow(h http.Handler, w *benchWriter, i int) error {
	send := &http.Request{
		Method:     http.MethodGet,
		URL:        &url.URL{Path: benchSendPath, RawQuery: "phone=" + f.phones[i]},
		Header:     http.Header{"X-User-Id": {f.users[i]}},
		Body:       http.NoBody,
		RemoteAddr: f.remote[i],
	}
	w.reset()
	h.ServeHTTP(w, send)
	if w.status != http.StatusOK {
		return errors.New("send: status " + strconv.Itoa(w.status))
	}
	form := "phone=" + f.phones[i] + "&message=" + f.codes.take(f.e164s[i])
	bind := &http.Request{
		Method: http.MethodPut,
		URL:    &url.URL{Path: benchBindPath},
		Header: http.Header{
			"X-User-Id":    {f.users[i]},
			"Content-Type": {"application/x-www-form-urlencoded"},
		},
		Body:          io.NopCloser(strings.NewReader(form)),
		ContentLength: int64(len(form)),
		RemoteAddr:    f.remote[i],
	}
	w.reset()
	h.ServeHTTP(w, bind)
	if w.status != http.StatusCreated {
		return errors.New("bind: status " + strconv.Itoa(w.status))
	}
	return nil
}

func benchAdapter(svc *security.Service) http.Handler {
	return httpadapter.New(svc, httpadapter.Options{
		UserID: func(r *http.Request) (string, bool) {
			id := r.Header.Get("X-User-ID")
			return id, id != ""
		},
		Logger: slog.New(slog.DiscardHandler),
	})
}

// benchEnvelope is the response body both handlers write.
type benchEnvelope struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Data string `json:"data"`
}

// benchBare is the limit: the same two Service calls behind net/http's
// own query and form parsing, the client IP from RemoteAddr, and the
// envelope from encoding/json. Its error mapping is minimal (the benchmark
// only takes the success path).
func benchBare(svc *security.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := benchEnvelope{Msg: "success", Data: "success"}
		user := r.Header.Get("X-User-ID")
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		ctx := security.WithClient(r.Context(), security.Client{IP: ip, Locale: "en", UserAgent: r.UserAgent()})
		var err error
		switch {
		case user == "":
			env.Code, err = "401", errors.New("unauthenticated")
		case r.Method == http.MethodGet && r.URL.Path == benchSendPath:
			env.Code, err = "200", svc.SendPhoneCode(ctx, user, r.URL.Query().Get("phone"))
		case r.Method == http.MethodPut && r.URL.Path == benchBindPath:
			if err = r.ParseForm(); err == nil {
				env.Code, err = "201", svc.BindPhone(ctx, user, r.PostForm.Get("phone"), r.PostForm.Get("message"))
			}
		default:
			env.Code, err = "404", errors.New("not_found")
		}
		if err != nil {
			if env.Code < "400" {
				env.Code = "400"
			}
			env.Msg, env.Data = "error", "error"
		}
		body, _ := json.Marshal(env)
		status, _ := strconv.Atoi(env.Code)
		hd := w.Header()
		hd.Set("Content-Type", "application/json; charset=utf-8")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// benchFlows runs b.N flows through the handler mk builds and reports
// flows per second.
func benchFlows(b *testing.B, mk func(*security.Service) http.Handler) {
	f := newBenchFixture(b, b.N)
	h := mk(f.svc)
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.flow(h, w, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// BenchmarkSendVerify is one send-code + verify-code (bind phone) flow
// through the adapter and through the bare handler.
func BenchmarkSendVerify(b *testing.B) {
	b.Run("handler=adapter", func(b *testing.B) { benchFlows(b, benchAdapter) })
	b.Run("handler=bare", func(b *testing.B) { benchFlows(b, benchBare) })
}

// BenchmarkSendVerifyPaired runs one adapter flow and one bare flow per op,
// in alternating order, each on its own Service, and reports the adapter's throughput as
// a fraction of the bare handler's, measured in the same instants (so load
// from elsewhere on the machine hits both alike). The target is >= 0.8.
func BenchmarkSendVerifyPaired(b *testing.B) {
	fa, fb := newBenchFixture(b, b.N), newBenchFixture(b, b.N)
	ha, hb := benchAdapter(fa.svc), benchBare(fb.svc)
	w := &benchWriter{h: http.Header{}}
	var ta, tb time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Alternate which goes first, so neither always inherits the
		// other's garbage.
		first, second := func() { benchTimed(b, fa, ha, w, i, &ta) }, func() { benchTimed(b, fb, hb, w, i, &tb) }
		if i%2 == 1 {
			first, second = second, first
		}
		first()
		second()
	}
	b.ReportMetric(float64(tb)/float64(ta), "adapter/bare")
	b.ReportMetric(float64(ta.Nanoseconds())/float64(b.N), "adapter-ns/flow")
	b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/flow")
}

// benchTimed runs flow i of f through h and adds its time to total.
func benchTimed(b *testing.B, f *benchFixture, h http.Handler, w *benchWriter, i int, total *time.Duration) {
	t0 := time.Now()
	if err := f.flow(h, w, i); err != nil {
		b.Fatal(err)
	}
	*total += time.Since(t0)
}
