package security_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
)

// env is one Service with its fakes: the pieces of a securitytest.Service
// under the short names the tests use.
type env struct {
	svc    *security.Service
	store  *memstore.Store
	clock  *securitytest.Clock
	out    *securitytest.Outbox
	events *securitytest.Events
	logs   *securitytest.Logs
}

// attemptedCodes returns the codes of the messages whose delivery failed.
func attemptedCodes(o *securitytest.Outbox) []string {
	var out []string
	for _, m := range o.Failed() {
		if m.Code != "" {
			out = append(out, m.Code)
		}
	}
	return out
}

var testSecret = []byte("1iwCAzPBShnwO0Lw/k2wE6LHyHnYpgkBvK9UZC+omL0=") // head -c 32 /dev/urandom | base64

const (
	phoneA    = "+8613800138000"
	phoneB    = "+8613900139000"
	testIP    = "203.0.113.7"
	goodPass  = "correct horse battery"
	goodPass2 = "purple monkey dishwasher"
)

// newEnv builds a securitytest.Service with the fixed testSecret, a clock
// at securitytest.Start, at most 4 concurrent hashes, and mutate applied to its
// Config. A mutate that sets OnEvent runs after e.events records.
func newEnv(t *testing.T, mutate ...func(*security.Config)) *env {
	t.Helper()
	s := securitytest.NewService(t,
		securitytest.WithConfig(func(c *security.Config) {
			c.Secret = testSecret
			c.MaxConcurrentHashes = 4
			for _, m := range mutate {
				m(c)
			}
		}))
	return &env{svc: s.Service, store: s.Store, clock: s.Clock, out: s.Outbox, events: s.Events, logs: s.Logs}
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.out.Wait(ctx, dest, n)
	require.NoError(t, err)
}

// waitMatching waits until the outbox holds n messages for which match is
// true (background delivery), failing with msg after a generous bound.
func (e *env) waitMatching(t *testing.T, n int, match func(security.Message) bool, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.out.WaitFunc(ctx, n, match)
	require.NoError(t, err, msg)
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
	require.NoError(t, e.svc.ChangePhone(bg, security.ChangePhoneRequest{UserID: userID, NewPhone: phone, NewPhoneCode: e.out.LastCode(t, phone), CurrentPhoneCode: e.out.LastCode(t, a.Phone)}))
}

// bindPhone sends a code to phone for userID and binds it.
func (e *env) bindPhone(t *testing.T, userID, phone string) {
	t.Helper()
	require.NoError(t, e.svc.SendPhoneCode(bg, userID, phone))
	require.NoError(t, e.svc.BindPhone(bg, userID, phone, e.out.LastCode(t, phone)))
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

func (*env) storeAndOutbox() (security.Store, *securitytest.Outbox) {
	return memstore.New(memstore.WithSweepInterval(0)), &securitytest.Outbox{}
}

// counted is how long past an event a limit over window may still count
// it: a counter keeps it up to a twelfth of the window longer (see
// security.CounterBuckets). Advancing the clock by it always clears it.
func counted(window time.Duration) time.Duration {
	return window + window/security.CounterBuckets + time.Second
}

// requireUntil checks that a lock or wait that began at now over window
// ends no earlier than window and no later than a counter may hold it.
func requireUntil(t *testing.T, now time.Time, window time.Duration, until time.Time) {
	t.Helper()
	require.False(t, until.Before(now.Add(window)), "until %v, before %v", until, now.Add(window))
	require.False(t, until.After(now.Add(window+window/security.CounterBuckets)), "until %v, after %v", until, now.Add(window+window/security.CounterBuckets))
}
