package security_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// clock is a fake clock the tests move by hand.
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

// outbox is a capturing Notifier; failWith makes every Send fail.
type outbox struct {
	mu       sync.Mutex
	msgs     []security.Message
	failWith error
	failed   []security.Message
	sent     chan struct{}
}

// attemptedCodes returns the codes of messages whose delivery failed.
func (o *outbox) attemptedCodes() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, m := range o.failed {
		if m.Code != "" {
			out = append(out, m.Code)
		}
	}
	return out
}

func (o *outbox) Send(ctx context.Context, m security.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failWith != nil {
		o.failed = append(o.failed, m)
		return o.failWith
	}
	o.msgs = append(o.msgs, m)
	select {
	case o.sent <- struct{}{}:
	default:
	}
	return nil
}

func (o *outbox) fail(err error) {
	o.mu.Lock()
	o.failWith = err
	o.mu.Unlock()
}

func (o *outbox) all() []security.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]security.Message(nil), o.msgs...)
}

// to returns the messages sent to dest.
func (o *outbox) to(dest string) []security.Message {
	var out []security.Message
	for _, m := range o.all() {
		if m.To == dest {
			out = append(out, m)
		}
	}
	return out
}

// lastCode returns the code of the last message to dest with a code.
func (o *outbox) lastCode(t *testing.T, dest string) string {
	t.Helper()
	msgs := o.to(dest)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Code != "" {
			return msgs[i].Code
		}
	}
	t.Fatalf("no code sent to %s", dest)
	return ""
}

func (o *outbox) count(dest string, p security.Purpose) int {
	n := 0
	for _, m := range o.to(dest) {
		if m.Purpose == p {
			n++
		}
	}
	return n
}

// events records emitted events.
type events struct {
	mu sync.Mutex
	ev []security.Event
}

func (e *events) add(_ context.Context, ev security.Event) {
	e.mu.Lock()
	e.ev = append(e.ev, ev)
	e.mu.Unlock()
}

func (e *events) count(t security.EventType) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.ev {
		if ev.Type == t {
			n++
		}
	}
	return n
}

// reasons counts the events of type t by Reason.
func (e *events) reasons(t security.EventType) map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := map[string]int{}
	for _, ev := range e.ev {
		if ev.Type == t {
			n[ev.Reason]++
		}
	}
	return n
}

func (e *events) all() []security.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]security.Event(nil), e.ev...)
}

// env is one Service with its fakes.
type env struct {
	svc    *security.Service
	store  *memstore.Store
	clock  *clock
	out    *outbox
	events *events
	logs   *syncBuffer
}

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

var testSecret = []byte("1iwCAzPBShnwO0Lw/k2wE6LHyHnYpgkBvK9UZC+omL0=") // head -c 32 /dev/urandom | base64

const (
	phoneA    = "+8613800138000"
	phoneB    = "+8613900139000"
	testIP    = "203.0.113.7"
	goodPass  = "correct horse battery"
	goodPass2 = "purple monkey dishwasher"
)

// newEnv builds a Service on memstore with a fake clock, a capturing
// notifier, an event recorder and a debug JSON logger into a buffer.
func newEnv(t *testing.T, mutate ...func(*security.Config)) *env {
	t.Helper()
	e := &env{
		clock:  &clock{t: time.Now().UTC().Truncate(time.Millisecond)},
		out:    &outbox{sent: make(chan struct{}, 1024)},
		events: &events{},
		logs:   &syncBuffer{},
	}
	e.store = memstore.New(memstore.WithClock(e.clock.Now))
	cfg := security.Config{
		Secret:              testSecret,
		LinkBaseURL:         "https://accounts.example.com/verify",
		Now:                 e.clock.Now,
		OnEvent:             e.events.add,
		Logger:              slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxConcurrentHashes: 4,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	svc, err := security.New(e.store, e.out, cfg)
	require.NoError(t, err)
	e.svc = svc
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Close(ctx)
		_ = e.store.Close()
	})
	return e
}

// ctx is a request context from testIP.
func ctxFrom(ip string) context.Context {
	return security.WithClient(context.Background(), security.Client{IP: ip, Locale: "en"})
}

var bg = ctxFrom(testIP)

// register creates an account with goodPass and the given phone.
func (e *env) register(t *testing.T, userID, phone string) {
	t.Helper()
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: userID, Password: goodPass, Phone: phone}))
}

// waitFor waits until the outbox holds n messages to dest (background
// delivery), failing after a generous bound.
func (e *env) waitFor(t *testing.T, dest string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(e.out.to(dest)) < n {
		select {
		case <-e.out.sent:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("want %d messages to %s, have %d", n, dest, len(e.out.to(dest)))
		}
	}
}

// drain closes the service so every queued delivery has happened.
func (e *env) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.svc.Close(ctx))
}

// changePhone moves userID from its bound phone to phone, with a code to
// each (past the send cooldown).
func (e *env) changePhone(t *testing.T, userID, phone string) {
	t.Helper()
	a, err := e.store.GetAccount(bg, userID)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, userID, a.Phone))
	require.NoError(t, e.svc.SendPhoneCode(bg, userID, phone))
	require.NoError(t, e.svc.ChangePhone(bg, security.ChangePhoneRequest{UserID: userID, NewPhone: phone, NewPhoneCode: e.out.lastCode(t, phone), CurrentPhoneCode: e.out.lastCode(t, a.Phone)}))
}

// bindPhone sends a code to phone for userID and binds it.
func (e *env) bindPhone(t *testing.T, userID, phone string) {
	t.Helper()
	require.NoError(t, e.svc.SendPhoneCode(bg, userID, phone))
	require.NoError(t, e.svc.BindPhone(bg, userID, phone, e.out.lastCode(t, phone)))
}

func wrongCode(right string) string {
	if right == "000000" {
		return "000001"
	}
	return "000000"
}

func requireRateLimited(t *testing.T, err error) *security.RateLimitError {
	t.Helper()
	require.ErrorIs(t, err, security.ErrRateLimited)
	var rl *security.RateLimitError
	require.True(t, errors.As(err, &rl))
	require.Greater(t, rl.RetryAfter, time.Duration(0))
	return rl
}

func requireLocked(t *testing.T, err error) *security.LockedError {
	t.Helper()
	require.ErrorIs(t, err, security.ErrLocked)
	var le *security.LockedError
	require.True(t, errors.As(err, &le))
	return le
}

func requireReason(t *testing.T, err error, sentinel error, reason string) {
	t.Helper()
	require.ErrorIs(t, err, sentinel)
	var pe *security.PolicyError
	require.True(t, errors.As(err, &pe), "want *PolicyError, got %v", err)
	require.Equal(t, reason, pe.Reason)
}

func (*env) storeAndOutbox() (security.Store, *outbox) {
	return memstore.New(memstore.WithSweepInterval(0)), &outbox{sent: make(chan struct{}, 16)}
}
