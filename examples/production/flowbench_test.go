package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/redisstore"
	"github.com/acctsec/security/securitytest"
)

// These benchmarks measure one flow, "send an SMS code and bind the phone
// with it" (GET /member/userservice/security?phone=..., then PUT
// .../bindingPhone with the code), over loopback TCP with keep-alive, from
// 1 and from 8 concurrent clients, each beside its floor measured in the
// same run. One op is one round: a slice of flows through the measured
// handler and a slice through its floor, in alternating order, so load
// from elsewhere on the machine hits both alike. Run them with
// -benchtime Nx (N rounds); the figures are medians over the rounds'
// slices (throughput) or over every flow of a side (latency):
//
//	go test -run '^$' -bench 'FlowSendBind' -benchtime 12x ./examples/production
//
// Every flow has its own member, phone and client IP (X-Forwarded-For,
// from a trusted loopback proxy), so no throttle refuses it.

const (
	flowSendPath = "/member/userservice/security"
	flowBindPath = "/member/userservice/security/bindingPhone"
)

// flowCodes is the notifier's output: it keeps the code of each message,
// by destination, from notify.Writer's JSON lines.
type flowCodes struct {
	mu    sync.Mutex
	codes map[string]string
}

func newFlowCodes() *flowCodes { return &flowCodes{codes: map[string]string{}} }

func (c *flowCodes) Write(b []byte) (int, error) {
	var m struct{ To, Code string }
	if err := json.Unmarshal(bytes.TrimSpace(b), &m); err != nil {
		return 0, err
	}
	if m.Code != "" {
		c.mu.Lock()
		c.codes[m.To] = m.Code
		c.mu.Unlock()
	}
	return len(b), nil
}

// take returns and forgets the code sent to e164 ("" if none).
func (c *flowCodes) take(e164 string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	code := c.codes[e164]
	delete(c.codes, e164)
	return code
}

// flowInputs are the member, phone and client IP of flows 0..n-1 of a side.
type flowInputs struct {
	users, phones, ips []string
}

// newFlowInputs returns n flows' inputs; tag (0..9) keeps the sides of a
// run apart when they share a store.
func newFlowInputs(n, tag int) flowInputs {
	var in flowInputs
	for i := range n {
		d := strconv.Itoa(i)
		in.users = append(in.users, "flow-"+strconv.Itoa(tag)+"-"+d)
		in.phones = append(in.phones, "13"+strconv.Itoa(tag)+strings.Repeat("0", 8-len(d))+d)
		in.ips = append(in.ips, "10."+strconv.Itoa(tag*20+i>>16&15)+"."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255))
	}
	return in
}

var (
	flowPHCOnce sync.Once
	flowPHC     string
)

// createFlowAccounts creates in's members on svc, from 8 goroutines.
func createFlowAccounts(b *testing.B, svc *security.Service, in flowInputs) {
	b.Helper()
	flowPHCOnce.Do(func() {
		var err error
		if flowPHC, err = argon2id.CreateHash(password, argon2id.DefaultParams); err != nil {
			panic(err)
		}
	})
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(in.users); i = int(next.Add(1) - 1) {
				if err := svc.CreateAccount(context.Background(), security.NewAccount{UserID: in.users[i], PasswordHash: flowPHC}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// flowTarget is one side of a pair: a server and how to run flow i on it.
type flowTarget struct {
	url    string
	client *http.Client
	in     flowInputs
	codes  *flowCodes // nil: the floor needs no real code
	// extra runs after the two HTTP round trips (the production floor's
	// bare store round trips).
	extra func(ctx context.Context) error
}

// newFlowTarget serves h on loopback and returns a target whose client
// keeps up to clients connections alive. Both close when b ends.
func newFlowTarget(b *testing.B, h http.Handler, clients int, in flowInputs, codes *flowCodes) *flowTarget {
	b.Helper()
	srv := httptest.NewServer(h)
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, DisableCompression: true}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return &flowTarget{url: srv.URL, client: &http.Client{Transport: tr}, in: in, codes: codes}
}

// call sends one request and checks the envelope's code.
func (t *flowTarget) call(ctx context.Context, method, target, user, ip string, body string, want string) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	r.Header.Set("X-User-ID", user)
	r.Header.Set("X-Forwarded-For", ip)
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := t.client.Do(r)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if strconv.Itoa(resp.StatusCode) != want || !bytes.Contains(raw, []byte(`"code":"`+want+`"`)) {
		return fmt.Errorf("%s %s: status %d, body %s", method, target, resp.StatusCode, raw)
	}
	return nil
}

// flow runs flow i: send, then bind with the code sent.
func (t *flowTarget) flow(ctx context.Context, i int) error {
	user, phone, ip := t.in.users[i], t.in.phones[i], t.in.ips[i]
	if err := t.call(ctx, http.MethodGet, t.url+flowSendPath+"?phone="+phone, user, ip, "", "200"); err != nil {
		return err
	}
	code := "000000"
	if t.codes != nil {
		if code = t.codes.take("+86" + phone); code == "" {
			return errors.New("no code sent to " + phone)
		}
	}
	if err := t.call(ctx, http.MethodPut, t.url+flowBindPath, user, ip, "phone="+phone+"&message="+code, "201"); err != nil {
		return err
	}
	if t.extra != nil {
		return t.extra(ctx)
	}
	return nil
}

// flowSide collects one side's slices.
type flowSide struct {
	t       *flowTarget
	next    int       // the first unused flow
	rates   []float64 // flows/s of each slice
	lat     []time.Duration
	mallocs uint64
	flows   int
	// cpu is the busy CPU time of the whole machine (from /proc/stat) and
	// goCPU this process's (getrusage), over the side's slices.
	cpu, goCPU time.Duration
}

// report reports s's throughput, latency, allocations and CPU per flow,
// each metric's name after prefix.
func (s *flowSide) report(b *testing.B, prefix string) {
	per := func(v float64) float64 { return v / float64(s.flows) }
	b.ReportMetric(median(s.rates), prefix+"flows/s")
	b.ReportMetric(percentile(s.lat, 50), prefix+"p50-µs")
	b.ReportMetric(percentile(s.lat, 95), prefix+"p95-µs")
	b.ReportMetric(per(float64(s.mallocs)), prefix+"allocs/flow")
	b.ReportMetric(per(float64(s.cpu.Microseconds())), prefix+"cpu-µs/flow")
	b.ReportMetric(per(float64(s.goCPU.Microseconds())), prefix+"go-cpu-µs/flow")
}

// slice runs n flows of s from clients goroutines and records them.
func (s *flowSide) slice(b *testing.B, clients, n int) float64 {
	ctx := context.Background()
	first := s.next
	s.next += n
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, go0 := machineBusy(), processCPU()
	t0 := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for j := int(next.Add(1) - 1); j < n; j = int(next.Add(1) - 1) {
				f0 := time.Now()
				if err := s.t.flow(ctx, first+j); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				lat[j] = time.Since(f0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	s.cpu += machineBusy() - cpu0
	s.goCPU += processCPU() - go0
	runtime.ReadMemStats(&ms1)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	rate := float64(n) / elapsed.Seconds()
	s.rates = append(s.rates, rate)
	s.lat = append(s.lat, lat...)
	s.mallocs += ms1.Mallocs - ms0.Mallocs
	s.flows += n
	return rate
}

// machineBusy returns the CPU time all CPUs spent outside idle and iowait
// since boot, from /proc/stat (0 where there is none).
func machineBusy() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	fields := strings.Fields(string(line))
	var busy int64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already in user
			break
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// processCPU returns this process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile returns the p-th percentile (nearest rank) of ds, in µs.
func percentile(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return float64(s[min(max(i, 0), len(s)-1)].Nanoseconds()) / 1e3
}

// runPaired runs b.N rounds of a slice of perSlice flows on measured and
// on floor, alternating which goes first, and reports: flows/s, p50 and
// p95 latency, and allocations per flow (client and server together, as
// both run in this process) of each side, and the ratio of the measured
// throughput to the floor's (median over the rounds of each round's
// ratio). A short warm-up slice on each side opens the connections first.
func runPaired(b *testing.B, clients, perSlice int, measured, floor *flowTarget) {
	m, f := &flowSide{t: measured}, &flowSide{t: floor}
	warm := min(perSlice, 4*clients)
	m.slice(b, clients, warm)
	f.slice(b, clients, warm)
	*m, *f = flowSide{t: measured, next: m.next}, flowSide{t: floor, next: f.next}
	var ratios []float64
	b.ResetTimer()
	for r := 0; r < b.N; r++ {
		var rm, rf float64
		if r%2 == 0 {
			rm = m.slice(b, clients, perSlice)
			rf = f.slice(b, clients, perSlice)
		} else {
			rf = f.slice(b, clients, perSlice)
			rm = m.slice(b, clients, perSlice)
		}
		ratios = append(ratios, rm/rf)
	}
	b.StopTimer()
	m.report(b, "")
	f.report(b, "floor-")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(slices.Min(ratios), "ratio-min")
	b.ReportMetric(slices.Max(ratios), "ratio-max")
}

// flowTrusted is the proxy the flows come through: loopback, as in
// startReplica.
var flowTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// flowClientIP is the bare handlers' client IP: the right-most
// X-Forwarded-For address when the peer is a trusted proxy, else the peer.
func flowClientIP(r *http.Request) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ap, err := netip.ParseAddr(host); err == nil && flowTrusted[0].Contains(ap) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			return strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
		}
	}
	return host
}

// flowEnvelope is the body every handler here answers.
type flowEnvelope struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Data string `json:"data"`
}

// flowBare is a bare net/http handler for the two routes: net/http's own
// query and form parsing, the client IP from X-Forwarded-For, the envelope
// from encoding/json. With svc it makes the same Service calls as the
// adapter (the memstore floor); with nil it does no store work at all (the
// HTTP floor of the production rows). Its error mapping is minimal: the
// benchmarks only take the success path.
func flowBare(svc *security.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := flowEnvelope{Msg: "success", Data: "success"}
		user := r.Header.Get("X-User-ID")
		ctx := security.WithClient(r.Context(), security.Client{IP: flowClientIP(r), Locale: "en", UserAgent: r.UserAgent()})
		var err error
		switch {
		case user == "":
			env.Code, err = "401", errors.New("unauthenticated")
		case r.Method == http.MethodGet && r.URL.Path == flowSendPath:
			env.Code = "200"
			if phone := r.URL.Query().Get("phone"); svc != nil {
				err = svc.SendPhoneCode(ctx, user, phone)
			}
		case r.Method == http.MethodPut && r.URL.Path == flowBindPath:
			if err = r.ParseForm(); err == nil {
				env.Code = "201"
				if phone, code := r.PostForm.Get("phone"), r.PostForm.Get("message"); svc != nil {
					err = svc.BindPhone(ctx, user, phone, code)
				}
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

// flowHandler is the production app's handler stack (newApp's) on svc.
func flowHandler(svc *security.Service) http.Handler {
	return httpadapter.Timeout(demo.RequestTimeout)(demo.NewHandler(svc, demo.Options{
		Logger:         slog.New(slog.DiscardHandler),
		TrustedProxies: flowTrusted,
	}))
}

var flowSecret = []byte("Y13UTCCOE35W5YJucyY2jBF632VMfXnLPjMBIVzpU0U=")

// newMem returns a memstore closed when b ends (after the Services built
// on it, whose cleanups are registered later and so run first).
func newMem(b *testing.B) *memstore.Store {
	st := memstore.New()
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// newMemService is a Service on a fresh memstore with the production
// app's configuration (max limits, so only the flows are measured), the
// dev notifier writing to codes, closed when b ends.
func newMemService(b *testing.B, store security.Store, codes *flowCodes) *security.Service {
	b.Helper()
	svc, err := security.New(store, notify.NewWriter(codes), security.Config{
		Secret: flowSecret,
		Logger: slog.New(slog.DiscardHandler),
		Limits: demo.MaxLimits(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close(context.Background()) })
	return svc
}

// flowRoundTrips runs one flow through h on svc's store wrapped as
// counting: the Service must be built on counting. It returns the store
// calls of the flow, all and those that were account calls.
func flowRoundTrips(b *testing.B, h http.Handler, codes *flowCodes, all, accounts *securitytest.CountingStore) (total, acct int) {
	b.Helper()
	mark := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(securitytest.Counted(r.Context())))
	})
	srv := httptest.NewServer(mark)
	defer srv.Close()
	in := newFlowInputs(1, 9)
	t := &flowTarget{url: srv.URL, client: srv.Client(), in: in, codes: codes}
	all.Take()
	if accounts != nil {
		accounts.Take()
	}
	if err := t.flow(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	srv.Client().CloseIdleConnections()
	total = all.Take()
	if accounts != nil {
		acct = accounts.Take()
	}
	return total, acct
}

// BenchmarkFlowSendBindMemstore: the production handler stack on memstore
// against a bare handler making the same Service calls on its own
// memstore, over loopback TCP. Target: ratio >= 0.85.
func BenchmarkFlowSendBindMemstore(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			perSlice := 400 * clients
			n := perSlice*b.N + 4*clients
			// Round trips per flow, on a Service of its own.
			cc := newFlowCodes()
			cs := &securitytest.CountingStore{Store: newMem(b)}
			csvc := newMemService(b, cs, cc)
			createFlowAccounts(b, csvc, newFlowInputs(1, 9))
			rt, _ := flowRoundTrips(b, flowHandler(csvc), cc, cs, nil)

			mc, fc := newFlowCodes(), newFlowCodes()
			msvc, fsvc := newMemService(b, newMem(b), mc), newMemService(b, newMem(b), fc)
			mIn, fIn := newFlowInputs(n, 1), newFlowInputs(n, 2)
			createFlowAccounts(b, msvc, mIn)
			createFlowAccounts(b, fsvc, fIn)
			measured := newFlowTarget(b, flowHandler(msvc), clients, mIn, mc)
			floor := newFlowTarget(b, flowBare(fsvc), clients, fIn, fc)
			runPaired(b, clients, perSlice, measured, floor)
			b.ReportMetric(float64(rt), "roundtrips/flow")
		})
	}
}

// flowServices is a reachable PostgreSQL and Redis, a fresh schema and
// prefix, and a pool and a client on them as the production binary opens
// them (connect: pgxpool's and go-redis's defaults).
type flowServices struct {
	pool           *pgxpool.Pool
	redis          *redis.Client
	schema, prefix string
}

// newFlowServices skips b when PostgreSQL or Redis is unreachable (fails
// it when ACCTSEC_REQUIRE_SERVICES=1), as requireServices does for tests,
// and removes the schema and the prefix's keys when b ends.
// ACCTSEC_BENCH_SYNCHRONOUS_COMMIT, when set, is the pool's
// synchronous_commit (a diagnostic: "off" shows what the WAL flush of a
// commit costs).
func newFlowServices(b *testing.B) *flowServices {
	b.Helper()
	requireServices(b)
	schema, prefix := isolate(b)
	pool := newPool(b, postgresURL(), func(c *pgxpool.Config) {
		if v := os.Getenv("ACCTSEC_BENCH_SYNCHRONOUS_COMMIT"); v != "" {
			c.ConnConfig.RuntimeParams["synchronous_commit"] = v
		}
	})
	return &flowServices{pool: pool, redis: newRedis(b, ""), schema: schema, prefix: prefix}
}

// newFlowApp builds the production app (newApp) on s with max limits and
// codes as its notifier's output, closed when b ends.
func newFlowApp(b *testing.B, s *flowServices, codes *flowCodes) *app {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := newApp(ctx, appConfig{
		Pool: s.pool, Redis: s.redis, Schema: s.schema, Prefix: s.prefix,
		Secret: flowSecret, Base: "http://127.0.0.1", Stdout: codes,
		Logger:          slog.New(slog.DiscardHandler),
		Limits:          demo.MaxLimits(),
		RequestTimeout:  demo.RequestTimeout,
		CleanupInterval: time.Hour,
		TrustedProxies:  flowTrusted,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.close(ctx); err != nil {
			b.Error(err)
		}
	})
	return a
}

// productionRoundTrips counts the store calls of one flow on the same
// stores as newApp composes (pgstore for accounts, redisstore for state),
// each wrapped in a securitytest.CountingStore, behind the same handler:
// the account calls, how many of them write, and the state calls.
func productionRoundTrips(b *testing.B, s *flowServices) (acct, writes, state int) {
	b.Helper()
	accounts, err := pgstore.New(s.pool, pgstore.Config{Schema: s.schema})
	if err != nil {
		b.Fatal(err)
	}
	if err := accounts.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	st, err := redisstore.New(s.redis, redisstore.WithPrefix(s.prefix))
	if err != nil {
		b.Fatal(err)
	}
	w := &flowWrites{Store: accounts}
	ca := &securitytest.CountingStore{Store: w}
	all := &securitytest.CountingStore{Store: security.Compose(ca, st)}
	codes := newFlowCodes()
	svc := newMemService(b, all, codes)
	createFlowAccounts(b, svc, newFlowInputs(1, 9))
	w.n.Store(0)
	total, acct := flowRoundTrips(b, flowHandler(svc), codes, all, ca)
	return acct, int(w.n.Load()), total - acct
}

// flowWrites counts the account writes made through it.
type flowWrites struct {
	security.Store
	n atomic.Int64
}

func (w *flowWrites) CreateAccount(ctx context.Context, a *security.Account) error {
	w.n.Add(1)
	return w.Store.CreateAccount(ctx, a)
}

func (w *flowWrites) UpdateAccount(ctx context.Context, a *security.Account) error {
	w.n.Add(1)
	return w.Store.UpdateAccount(ctx, a)
}

func (w *flowWrites) DeleteAccount(ctx context.Context, id string) error {
	w.n.Add(1)
	return w.Store.DeleteAccount(ctx, id)
}

// BenchmarkFlowSendBindProduction: the production app (newApp: pgstore +
// redisstore, isolated schema and prefix) over loopback TCP.
//
//   - clients=1: the floor is, per flow, the same two HTTP round trips to
//     a handler doing no store work plus, sequentially on the app's own
//     pool and client, one bare "SELECT 1" per account call and one
//     EVALSHA of a no-op script per state call the flow makes (target:
//     ratio >= 0.8).
//   - clients=1,floor=commit: the same, but each account write of the flow
//     is a bare one-row UPDATE on the same pool, committed like the
//     flow's own write (no target: it shows what the commit costs).
//   - clients=8: the floor is the HTTP limit, the handler doing no store
//     work from the same 8 clients (target: ratio >= 0.5).
func BenchmarkFlowSendBindProduction(b *testing.B) {
	cases := []struct {
		name    string
		clients int
		commit  bool
	}{{"clients=1", 1, false}, {"clients=1,floor=commit", 1, true}, {"clients=8", 8, false}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			clients := c.clients
			s := newFlowServices(b)
			acctRT, writes, stateRT := productionRoundTrips(b, s)
			perSlice := 100 * clients
			n := perSlice*b.N + 4*clients
			codes := newFlowCodes()
			a := newFlowApp(b, s, codes)
			mIn, fIn := newFlowInputs(n, 1), newFlowInputs(n, 2)
			createFlowAccounts(b, a.svc, mIn)
			measured := newFlowTarget(b, a.handler, clients, mIn, codes)
			floor := newFlowTarget(b, flowBare(nil), clients, fIn, nil)
			if clients == 1 {
				floor.extra = bareRoundTrips(b, s, acctRT, writes, stateRT, c.commit)
			}
			runPaired(b, clients, perSlice, measured, floor)
			b.ReportMetric(float64(acctRT), "pg-roundtrips/flow")
			b.ReportMetric(float64(writes), "pg-writes/flow")
			b.ReportMetric(float64(stateRT), "redis-roundtrips/flow")
		})
	}
}

// bareRoundTrips returns the store part of the 1-client floor: acct bare
// statements on s.pool ("SELECT 1", or for writes of them with commit a
// one-row UPDATE) and state EVALSHAs of a no-op script on s.redis, one
// after the other.
func bareRoundTrips(b *testing.B, s *flowServices, acct, writes, state int, commit bool) func(context.Context) error {
	b.Helper()
	ctx := context.Background()
	sha, err := s.redis.ScriptLoad(ctx, "return 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	table := pgx.Identifier{s.schema, "bench_floor"}.Sanitize()
	if !commit {
		writes = 0
	} else if _, err := s.pool.Exec(ctx, "CREATE TABLE "+table+" (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO "+table+" VALUES (1, 0)"); err != nil {
		b.Fatal(err)
	}
	update := "UPDATE " + table + " SET n = n + 1 WHERE id = 1"
	return func(ctx context.Context) error {
		for i := range acct {
			if i < writes {
				if _, err := s.pool.Exec(ctx, update); err != nil {
					return err
				}
				continue
			}
			var one int
			if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				return err
			}
		}
		for range state {
			if err := s.redis.EvalSha(ctx, sha, nil).Err(); err != nil {
				return err
			}
		}
		return nil
	}
}

// flowWriter is a reusable ResponseWriter that keeps the status.
type flowWriter struct {
	h      http.Header
	status int
}

func (w *flowWriter) Header() http.Header         { return w.h }
func (w *flowWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *flowWriter) WriteHeader(status int)      { w.status = status }

// serveFlow runs flow i in process (ServeHTTP, no network): the server's
// side of one flow, for its allocations.
func serveFlow(h http.Handler, w *flowWriter, in flowInputs, codes *flowCodes, i int) error {
	user, phone, ip := in.users[i], in.phones[i], in.ips[i]
	hdr := func() http.Header { return http.Header{"X-User-Id": {user}, "X-Forwarded-For": {ip}} }
	send := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: flowSendPath, RawQuery: "phone=" + phone},
		Header: hdr(), Body: http.NoBody, RemoteAddr: "127.0.0.1:40000"}
	clear(w.h)
	w.status = http.StatusOK
	h.ServeHTTP(w, send.WithContext(context.Background()))
	if w.status != http.StatusOK {
		return errors.New("send: status " + strconv.Itoa(w.status))
	}
	code := "000000"
	if codes != nil {
		code = codes.take("+86" + phone)
	}
	form := "phone=" + phone + "&message=" + code
	bind := &http.Request{Method: http.MethodPut, URL: &url.URL{Path: flowBindPath}, Header: hdr(),
		Body: io.NopCloser(strings.NewReader(form)), ContentLength: int64(len(form)), RemoteAddr: "127.0.0.1:40000"}
	bind.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	clear(w.h)
	w.status = http.StatusOK
	h.ServeHTTP(w, bind.WithContext(context.Background()))
	if w.status != http.StatusCreated {
		return errors.New("bind: status " + strconv.Itoa(w.status))
	}
	return nil
}

// BenchmarkFlowServerAllocs is the server's side of one flow, in process,
// one op per flow: run it with -benchmem for allocations per flow without
// the HTTP client's. handler=bare on memstore is the memstore floor's
// handler; on production it is the handler doing no store work.
func BenchmarkFlowServerAllocs(b *testing.B) {
	run := func(b *testing.B, h http.Handler, svc *security.Service, codes *flowCodes) {
		in := newFlowInputs(b.N, 3)
		if svc != nil {
			createFlowAccounts(b, svc, in)
		}
		w := &flowWriter{h: http.Header{}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := serveFlow(h, w, in, codes, i); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("store=memstore/handler=app", func(b *testing.B) {
		codes := newFlowCodes()
		svc := newMemService(b, newMem(b), codes)
		run(b, flowHandler(svc), svc, codes)
	})
	b.Run("store=memstore/handler=bare", func(b *testing.B) {
		codes := newFlowCodes()
		svc := newMemService(b, newMem(b), codes)
		run(b, flowBare(svc), svc, codes)
	})
	b.Run("store=production/handler=app", func(b *testing.B) {
		s := newFlowServices(b)
		codes := newFlowCodes()
		a := newFlowApp(b, s, codes)
		run(b, a.handler, a.svc, codes)
	})
	b.Run("store=none/handler=bare", func(b *testing.B) {
		run(b, flowBare(nil), nil, nil)
	})
}

// flowTimed records the time of each store call the flow makes, by
// method (Count by its number of hits).
type flowTimed struct {
	security.Store
	mu sync.Mutex
	d  map[string][]time.Duration
}

func (t *flowTimed) rec(name string, t0 time.Time) {
	d := time.Since(t0)
	t.mu.Lock()
	t.d[name] = append(t.d[name], d)
	t.mu.Unlock()
}

func (t *flowTimed) GetAccount(ctx context.Context, id string) (*security.Account, error) {
	defer t.rec("GetAccount", time.Now())
	return t.Store.GetAccount(ctx, id)
}

func (t *flowTimed) AccountByPhone(ctx context.Context, p string) (*security.Account, error) {
	defer t.rec("AccountByPhone", time.Now())
	return t.Store.AccountByPhone(ctx, p)
}

func (t *flowTimed) UpdateAccount(ctx context.Context, a *security.Account) error {
	defer t.rec("UpdateAccount", time.Now())
	return t.Store.UpdateAccount(ctx, a)
}

func (t *flowTimed) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	defer t.rec("PutCode", time.Now())
	return t.Store.PutCode(ctx, now, c, gates)
}

func (t *flowTimed) VerifyCode(ctx context.Context, now time.Time, cc security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	defer t.rec("VerifyCode", time.Now())
	return t.Store.VerifyCode(ctx, now, cc)
}

func (t *flowTimed) DeleteCode(ctx context.Context, scope string) error {
	defer t.rec("DeleteCode", time.Now())
	return t.Store.DeleteCode(ctx, scope)
}

func (t *flowTimed) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	defer t.rec("Count"+strconv.Itoa(len(hits))+"hits", time.Now())
	return t.Store.Count(ctx, now, hits)
}

// BenchmarkFlowStoreCalls is a diagnostic of the production rows: one op
// is one flow, from 1 client over loopback TCP, on pgstore + redisstore
// composed as newApp does (behind the same handler), followed by one bare
// "SELECT 1" on the pool and one EVALSHA of a no-op script on the client.
// It reports the median time of each kind of store call, beside the bare
// round trips.
func BenchmarkFlowStoreCalls(b *testing.B) {
	s := newFlowServices(b)
	ctx := context.Background()
	accounts, err := pgstore.New(s.pool, pgstore.Config{Schema: s.schema})
	if err != nil {
		b.Fatal(err)
	}
	if err := accounts.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	st, err := redisstore.New(s.redis, redisstore.WithPrefix(s.prefix))
	if err != nil {
		b.Fatal(err)
	}
	sha, err := s.redis.ScriptLoad(ctx, "return 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	tm := &flowTimed{Store: security.Compose(accounts, st)}
	codes := newFlowCodes()
	svc := newMemService(b, tm, codes)
	in := newFlowInputs(b.N, 4)
	createFlowAccounts(b, svc, in)
	tm.d = map[string][]time.Duration{}
	t := newFlowTarget(b, flowHandler(svc), 1, in, codes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := t.flow(ctx, i); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		var one int
		if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			b.Fatal(err)
		}
		tm.rec("bare SELECT 1", t0)
		t0 = time.Now()
		if err := s.redis.EvalSha(ctx, sha, nil).Err(); err != nil {
			b.Fatal(err)
		}
		tm.rec("bare EVALSHA", t0)
	}
	b.StopTimer()
	for name, ds := range tm.d {
		b.ReportMetric(percentile(ds, 50), strings.ReplaceAll(name, " ", "-")+"-p50-µs")
	}
}
