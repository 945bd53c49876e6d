package securitytest

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// CountingStore counts the calls made to the Store it wraps on contexts
// marked by Counted: on a networked backend each call is one round trip
// (one statement or one script). Background work (queued deliveries) runs
// on contexts of its own and is not counted.
type CountingStore struct {
	security.Store
	n atomic.Int64
}

type counted struct{}

// Counted marks ctx: calls made on it (or a context derived from it) count.
func Counted(ctx context.Context) context.Context { return context.WithValue(ctx, counted{}, true) }

// Take returns the calls counted since the last Take.
func (c *CountingStore) Take() int { return int(c.n.Swap(0)) }

func (c *CountingStore) add(ctx context.Context) {
	if ctx.Value(counted{}) != nil {
		c.n.Add(1)
	}
}

func (c *CountingStore) CreateAccount(ctx context.Context, a *security.Account) error {
	c.add(ctx)
	return c.Store.CreateAccount(ctx, a)
}
func (c *CountingStore) GetAccount(ctx context.Context, id string) (*security.Account, error) {
	c.add(ctx)
	return c.Store.GetAccount(ctx, id)
}
func (c *CountingStore) AccountByPhone(ctx context.Context, p string) (*security.Account, error) {
	c.add(ctx)
	return c.Store.AccountByPhone(ctx, p)
}
func (c *CountingStore) AccountByEmail(ctx context.Context, e string) (*security.Account, error) {
	c.add(ctx)
	return c.Store.AccountByEmail(ctx, e)
}
func (c *CountingStore) UpdateAccount(ctx context.Context, a *security.Account) error {
	c.add(ctx)
	return c.Store.UpdateAccount(ctx, a)
}
func (c *CountingStore) DeleteAccount(ctx context.Context, id string) error {
	c.add(ctx)
	return c.Store.DeleteAccount(ctx, id)
}
func (c *CountingStore) PutCode(ctx context.Context, now time.Time, code security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	c.add(ctx)
	return c.Store.PutCode(ctx, now, code, gates)
}
func (c *CountingStore) VerifyCode(ctx context.Context, now time.Time, cc security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	c.add(ctx)
	return c.Store.VerifyCode(ctx, now, cc)
}
func (c *CountingStore) DeleteCode(ctx context.Context, scope string) error {
	c.add(ctx)
	return c.Store.DeleteCode(ctx, scope)
}
func (c *CountingStore) PutTicket(ctx context.Context, t security.Ticket) error {
	c.add(ctx)
	return c.Store.PutTicket(ctx, t)
}
func (c *CountingStore) GetTicket(ctx context.Context, id string, now time.Time) (*security.Ticket, error) {
	c.add(ctx)
	return c.Store.GetTicket(ctx, id, now)
}
func (c *CountingStore) TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (*security.Ticket, error) {
	c.add(ctx)
	return c.Store.TakeTicket(ctx, id, now, verified)
}
func (c *CountingStore) DeleteTicketScope(ctx context.Context, scope string) error {
	c.add(ctx)
	return c.Store.DeleteTicketScope(ctx, scope)
}
func (c *CountingStore) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	c.add(ctx)
	return c.Store.Count(ctx, now, hits)
}

// FlowStep is one step of a flow as RoundTrips measured it.
type FlowStep struct {
	Name string
	// RoundTrips is the store calls the request waited for.
	RoundTrips int
	// Max is what this version of the library holds the step to.
	Max int
}

// Steps are the measured steps and their maxima, in the order RoundTrips
// runs them.
var Steps = []FlowStep{
	{Name: "send code (member)", Max: 2},
	{Name: "bind phone", Max: 3},
	{Name: "forgot start", Max: 2},
	{Name: "forgot verify", Max: 2},
	{Name: "forgot complete", Max: 3},
	{Name: "email send (member)", Max: 2},
	{Name: "email verify (member)", Max: 5},
	{Name: "status", Max: 1},
}

// RoundTrips runs the code flows once on store (wrapped in a CountingStore;
// the clock is the wall clock, so a store that expires keys by the passed
// time keeps them) and returns each step's store round trips that the
// request waited for: a member route's synchronous SMS included,
// background deliveries not. It fails t when a step fails or exceeds its
// Max in Steps. Every user ID, phone and address is random, so stores may
// be shared.
func RoundTrips(t testing.TB, store security.Store) []FlowStep {
	t.Helper()
	cs := &CountingStore{Store: store}
	clock := NewClock(time.Now().UTC().Truncate(time.Millisecond))
	svc := NewService(t, WithClock(clock), WithStore(func(*memstore.Store) security.Store { return cs }))
	u1, u2 := randomID("rt"), randomID("rt")
	phoneA, phoneB := randomPhone(t), randomPhone(t)
	email := strings.ToLower(u1) + "@example.com"
	bg := context.Background()
	const pass = "correct horse battery staple"
	if err := svc.CreateAccount(bg, security.NewAccount{UserID: u1, Password: pass, Email: email}); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateAccount(bg, security.NewAccount{UserID: u2, Password: pass, Phone: phoneB}); err != nil {
		t.Fatal(err)
	}
	ctx := Counted(bg)
	var handle string
	runs := []func() error{
		func() error { return svc.SendPhoneCode(ctx, u1, phoneA) },
		func() error { return svc.BindPhone(ctx, u1, phoneA, svc.Outbox.LastCode(t, phoneA)) },
		func() (err error) {
			clock.Advance(time.Minute)
			cs.Take()
			handle, err = svc.StartForgotPassword(ctx, phoneB)
			return err
		},
		func() (err error) {
			wctx, cancel := context.WithTimeout(bg, 10*time.Second)
			defer cancel()
			if _, err := svc.Outbox.Wait(wctx, phoneB, 1); err != nil {
				return err
			}
			cs.Take()
			handle, err = svc.VerifyForgotPassword(ctx, handle, svc.Outbox.LastCode(t, phoneB))
			return err
		},
		func() error { return svc.CompleteForgotPassword(ctx, handle, phoneB, "a brand new passphrase") },
		func() error { clock.Advance(time.Minute); cs.Take(); return svc.SendEmailVerification(ctx, u1, email) },
		func() error { return svc.VerifyEmailCode(ctx, u1, email, svc.Outbox.LastCode(t, email)) },
		func() error { _, err := svc.Status(ctx, u1); return err },
	}
	steps := make([]FlowStep, len(Steps))
	copy(steps, Steps)
	cs.Take()
	for i, run := range runs {
		if err := run(); err != nil {
			t.Fatalf("%s: %v", steps[i].Name, err)
		}
		steps[i].RoundTrips = cs.Take()
		if steps[i].RoundTrips > steps[i].Max {
			t.Errorf("%s: %d store round trips, want at most %d", steps[i].Name, steps[i].RoundTrips, steps[i].Max)
		}
	}
	return steps
}

// FormatSteps renders steps as a table.
func FormatSteps(steps []FlowStep) string {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "%-24s %d (max %d)\n", s.Name, s.RoundTrips, s.Max)
	}
	return b.String()
}

func randomID(prefix string) string { return prefix + "-" + strings.ToLower(rand.Text())[:16] }

func randomPhone(t testing.TB) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("+8613%09d", n.Int64())
}
