package security_test

import (
	"context"
	"crypto/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// ledgerStore keeps a model of the live state keys: what was written and
// not yet deleted, consumed or cleared. Expiry is ignored, so a key the
// Service merely let expire still shows.
type ledgerStore struct {
	security.Store
	mu       sync.Mutex
	codes    map[string]bool
	tickets  map[string]string // id -> scope
	counters map[string]bool
}

func newLedger(s security.Store) *ledgerStore {
	return &ledgerStore{Store: s, codes: map[string]bool{}, tickets: map[string]string{},
		counters: map[string]bool{}}
}

func (l *ledgerStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	stored, tallies, err := l.Store.PutCode(ctx, now, c, gates)
	l.mu.Lock()
	l.codes[c.Scope] = true
	if c.Ticket != nil {
		l.noteTicket(*c.Ticket)
	}
	l.mu.Unlock()
	return stored, tallies, err
}

func (l *ledgerStore) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	res, tallies, err := l.Store.VerifyCode(ctx, now, c)
	l.mu.Lock()
	if res == security.CodeMatched || res == security.CodeVoided {
		delete(l.codes, c.Scope)
	}
	if res == security.CodeMatched && c.OnMatch != nil {
		l.noteTicket(*c.OnMatch)
	}
	for i, t := range tallies {
		if t.Applied && c.Failures[i].Add > 0 {
			l.counters[c.Failures[i].Key] = true
		}
	}
	l.mu.Unlock()
	return res, tallies, err
}

func (l *ledgerStore) DeleteCode(ctx context.Context, scope string) error {
	l.mu.Lock()
	delete(l.codes, scope)
	l.mu.Unlock()
	return l.Store.DeleteCode(ctx, scope)
}

func (l *ledgerStore) PutTicket(ctx context.Context, t security.Ticket) error {
	l.mu.Lock()
	l.noteTicket(t)
	l.mu.Unlock()
	return l.Store.PutTicket(ctx, t)
}

// noteTicket records t as PutTicket stores it. The caller holds l.mu.
func (l *ledgerStore) noteTicket(t security.Ticket) {
	for id, sc := range l.tickets {
		if t.Scope != "" && sc == t.Scope {
			delete(l.tickets, id)
		}
	}
	l.tickets[t.ID] = t.Scope
}

func (l *ledgerStore) TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (*security.Ticket, error) {
	t, err := l.Store.TakeTicket(ctx, id, now, verified)
	if err == nil {
		l.mu.Lock()
		delete(l.tickets, id)
		l.mu.Unlock()
	}
	return t, err
}

func (l *ledgerStore) DeleteTicketScope(ctx context.Context, scope string) error {
	l.mu.Lock()
	for id, sc := range l.tickets {
		if scope != "" && sc == scope {
			delete(l.tickets, id)
		}
	}
	l.mu.Unlock()
	return l.Store.DeleteTicketScope(ctx, scope)
}

func (l *ledgerStore) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	tallies, err := l.Store.Count(ctx, now, hits)
	l.mu.Lock()
	for i, t := range tallies {
		switch h := hits[i]; {
		case h.Reset && t.Applied && h.Add <= 0:
			delete(l.counters, h.Key)
		case h.Add > 0 && t.Applied:
			l.counters[h.Key] = true
		}
	}
	l.mu.Unlock()
	return tallies, err
}

// kinds returns the sorted distinct kinds ("kind:" prefixes) of keys.
func kinds[V any](m map[string]V, value func(k string, v V) string) []string {
	seen := map[string]bool{}
	for k, v := range m {
		kind, _, _ := strings.Cut(value(k, v), ":")
		seen[kind] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func untaggedKey[V any](k string, _ V) string { return untagged(k) }

// valueOf returns a ticket's scope without its shard tag ("tag.").
func valueOf(_ string, scope string) string {
	return untagged(scope)
}

// untagged returns a key or scope without its shard tag ("tag.").
func untagged(scope string) string {
	if tag, rest, ok := strings.Cut(scope, "."); ok && !strings.Contains(tag, ":") {
		return rest
	}
	return scope
}

// TestDeleteAccountLeavesNothingNamingTheUser drives every flow that stores
// state about a user, deletes the user, and checks what is left: the
// record is gone and its phone and address are free; no code, ticket or
// failure count the Service can name survives (the two documented
// exceptions are checked to be the only ones left); throttle windows,
// which are kept on purpose, are the only other keys.
func TestDeleteAccountLeavesNothingNamingTheUser(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t)
	l := newLedger(e.store)
	svc, err := security.New(l, e.out, security.Config{Secret: testSecret, Now: e.clock.Now,
		LinkBaseURL: "https://x.example/v", MaxConcurrentHashes: 4, OnEvent: e.events.Add})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	const addr = "alice@example.com"
	require.NoError(t, svc.CreateAccount(bg, security.NewAccount{UserID: "alice", Password: goodPass, Phone: phoneA,
		Email: addr, EmailVerified: true}))
	require.NoError(t, svc.SetPayPassword(bg, "alice", "472915"))
	tok, err := svc.SignIn(bg, "alice", goodPass)
	require.NoError(t, err)
	dev := security.WithClient(context.Background(), security.Client{IP: "192.0.2.1", DeviceToken: tok, Locale: "en"})
	step := func() { e.clock.Advance(time.Minute) }

	// Signed in: a code to the bound phone, a wrong try at it; an email
	// code and link, a wrong try.
	require.NoError(t, svc.SendPhoneCode(bg, "alice", phoneA))
	require.ErrorIs(t, svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "alice", Phone: phoneA, PhoneCode: "000000", NewPIN: "830264"}), security.ErrInvalidCode)
	require.NoError(t, svc.SendEmailVerification(bg, "alice", addr))
	require.ErrorIs(t, svc.VerifyEmailCode(bg, "alice", addr, "000000"), security.ErrInvalidCode)
	// Public, from her device: an email link, a forgot-password flow and a
	// login code, with wrong tries.
	step()
	require.NoError(t, svc.SendPublicEmailVerification(dev, addr))
	step()
	_, err = svc.StartForgotPassword(dev, phoneA)
	require.NoError(t, err)
	step()
	require.NoError(t, svc.SendLoginCode(dev, phoneA))
	_, err = svc.VerifyLoginCode(dev, phoneA, "000000")
	require.ErrorIs(t, err, security.ErrInvalidCode)
	// Wrong passwords (unknown clients locked, and one on her device) and
	// wrong PINs.
	for range security.DefaultLimits().PasswordFailures {
		require.ErrorIs(t, svc.VerifyPassword(bg, "alice", goodPass2), security.ErrWrongPassword)
	}
	requireLocked(t, svc.VerifyPassword(bg, "alice", goodPass))
	require.ErrorIs(t, svc.VerifyPassword(dev, "alice", goodPass2), security.ErrWrongPassword)
	require.ErrorIs(t, svc.VerifyPayPassword(bg, "alice", "830264"), security.ErrWrongPayPassword)
	require.NoError(t, svc.Close(bg)) // every delivery done; a second Service goes on
	svc2, err := security.New(l, e.out, security.Config{Secret: testSecret, Now: e.clock.Now,
		LinkBaseURL: "https://x.example/v", MaxConcurrentHashes: 4, OnEvent: e.events.Add})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc2.Close(context.Background()) })

	l.mu.Lock()
	assert.Equal(t, []string{"code-email", "code-forgot", "code-login", "code-member"}, kinds(l.codes, untaggedKey))
	assert.Equal(t, []string{"forgot", "link"}, kinds(l.tickets, valueOf))
	assert.Subset(t, kinds(l.counters, untaggedKey), []string{"fail", "pay", "pw", "pw-device"})
	codes := make([]string, 0, len(l.codes))
	for c := range l.codes {
		codes = append(codes, c)
	}
	tickets := make([]string, 0, len(l.tickets))
	for id := range l.tickets {
		tickets = append(tickets, id)
	}
	l.mu.Unlock()

	require.NoError(t, svc2.DeleteAccount(bg, "alice"))
	assert.Equal(t, 1, e.events.Count(security.EventAccountDeleted))

	l.mu.Lock()
	assert.Equal(t, []string{"code-forgot"}, kinds(l.codes, untaggedKey),
		"only the flow's code is left, and its flow is gone")
	assert.Empty(t, l.tickets, "no flow or link survives")
	for _, k := range kinds(l.counters, untaggedKey) {
		assert.Contains(t, []string{"pw-device", "miss", "notice-account", "send-account", "send-dest", "send-dest-owner",
			"send-ip", "sms-budget", "sms-notice-budget"}, k,
			"throttle windows and the device counter the Service cannot name only")
	}
	l.mu.Unlock()

	// The store agrees: no ticket, no code but the orphaned flow code.
	now := e.clock.Now()
	for _, id := range tickets {
		_, err := e.store.GetTicket(bg, id, now)
		require.ErrorIs(t, err, security.ErrNotFound)
	}
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	for _, scope := range codes {
		if strings.HasPrefix(untagged(scope), "code-forgot:") {
			continue
		}
		res, _, err := e.store.VerifyCode(bg, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 5})
		require.NoError(t, err)
		require.Equal(t, security.CodeMissing, res, scope)
	}

	// The record is gone, its phone and address are free, and a new account
	// under the same ID starts with no lock.
	_, err = svc2.Account(bg, "alice")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
	require.ErrorIs(t, svc2.DeleteAccount(bg, "alice"), security.ErrAccountNotFound)
	require.NoError(t, svc2.CreateAccount(bg, security.NewAccount{UserID: "bob", Password: goodPass, Phone: phoneA, Email: addr}))
	require.NoError(t, svc2.CreateAccount(bg, security.NewAccount{UserID: "alice", Password: goodPass}))
	require.NoError(t, svc2.VerifyPassword(bg, "alice", goodPass), "the old lock went with the account")
}
