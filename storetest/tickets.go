package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

var ticketTests = []roleTest[security.TicketStore]{
	{"PutGetTake", testTicketPutGetTake},
	{"NotFound", testTicketNotFound},
	{"TakeVerified", testTicketTakeVerified},
	{"Expiry", testTicketExpiry},
	{"ScopeReplaces", testTicketScopeReplaces},
	{"DeleteScope", testTicketDeleteScope},
	{"Copies", testTicketCopies},
	{"ConcurrentTake", testTicketConcurrentTake},
}

const ticketTTL = 15 * time.Minute

func newTicket(t *testing.T, now time.Time, scope string) security.Ticket {
	t.Helper()
	return security.Ticket{
		ID:          unique("ticket"),
		Scope:       scope,
		UserID:      unique("user"),
		Destination: uniquePhone(t),
		ExpiresAt:   now.Add(ticketTTL),
	}
}

func putTicket(t *testing.T, s security.TicketStore, tk security.Ticket) {
	t.Helper()
	require.NoError(t, s.PutTicket(t.Context(), tk))
}

func requireTicket(t *testing.T, want security.Ticket, got *security.Ticket) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.ID, got.ID, "ID")
	assert.Equal(t, want.Scope, got.Scope, "Scope")
	assert.Equal(t, want.UserID, got.UserID, "UserID")
	assert.Equal(t, want.Destination, got.Destination, "Destination")
	assert.Equal(t, want.Verified, got.Verified, "Verified")
	requireTime(t, want.ExpiresAt, got.ExpiresAt, "ExpiresAt")
}

func requireLive(t *testing.T, s security.TicketStore, want security.Ticket, now time.Time) {
	t.Helper()
	got, err := s.GetTicket(t.Context(), want.ID, now)
	require.NoError(t, err)
	requireTicket(t, want, got)
}

func requireGone(t *testing.T, s security.TicketStore, id string, now time.Time, msg ...any) {
	t.Helper()
	_, err := s.GetTicket(t.Context(), id, now)
	require.ErrorIs(t, err, security.ErrNotFound, msg...)
}

func testTicketPutGetTake(t *testing.T, s security.TicketStore) {
	ctx := t.Context()
	now := start()
	tk := newTicket(t, now, unique("scope"))
	tk.Verified = true
	tk.Destination = uniqueEmail()
	putTicket(t, s, tk)

	requireLive(t, s, tk, now)
	requireLive(t, s, tk, now.Add(time.Minute)) // GetTicket does not consume
	got, err := s.TakeTicket(ctx, tk.ID, now.Add(2*time.Minute), false)
	require.NoError(t, err)
	requireTicket(t, tk, got)

	_, err = s.TakeTicket(ctx, tk.ID, now.Add(2*time.Minute), false)
	require.ErrorIs(t, err, security.ErrNotFound, "a ticket is taken once")
	requireGone(t, s, tk.ID, now.Add(2*time.Minute))
}

func testTicketNotFound(t *testing.T, s security.TicketStore) {
	ctx := t.Context()
	now := start()
	id := unique("never")
	requireGone(t, s, id, now)
	_, err := s.TakeTicket(ctx, id, now, false)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.TakeTicket(ctx, id, now, true)
	require.ErrorIs(t, err, security.ErrNotFound)
}

func testTicketTakeVerified(t *testing.T, s security.TicketStore) {
	ctx := t.Context()
	now := start()
	tk := newTicket(t, now, unique("scope"))
	putTicket(t, s, tk)

	_, err := s.TakeTicket(ctx, tk.ID, now, true)
	require.ErrorIs(t, err, security.ErrNotFound, "an unverified ticket taken as verified")
	requireLive(t, s, tk, now) // and it was left alone

	// Re-putting the same ticket (same ID, same scope) marks it verified
	// without deleting it as "another ticket of the scope".
	tk.Verified = true
	putTicket(t, s, tk)
	requireLive(t, s, tk, now)
	got, err := s.TakeTicket(ctx, tk.ID, now, true)
	require.NoError(t, err)
	requireTicket(t, tk, got)
	requireGone(t, s, tk.ID, now)

	// verified=false takes a verified ticket too.
	v := newTicket(t, now, "")
	v.Verified = true
	putTicket(t, s, v)
	got, err = s.TakeTicket(ctx, v.ID, now, false)
	require.NoError(t, err)
	requireTicket(t, v, got)
}

func testTicketExpiry(t *testing.T, s security.TicketStore) {
	ctx := t.Context()
	now := start()
	tk := newTicket(t, now, unique("scope"))
	putTicket(t, s, tk)

	requireLive(t, s, tk, tk.ExpiresAt.Add(-time.Millisecond))
	requireGone(t, s, tk.ID, tk.ExpiresAt, "dead at ExpiresAt")
	_, err := s.TakeTicket(ctx, tk.ID, tk.ExpiresAt, false)
	require.ErrorIs(t, err, security.ErrNotFound)

	other := newTicket(t, now, "")
	putTicket(t, s, other)
	got, err := s.TakeTicket(ctx, other.ID, other.ExpiresAt.Add(-time.Millisecond), false)
	require.NoError(t, err, "live until ExpiresAt")
	requireTicket(t, other, got)
}

func testTicketScopeReplaces(t *testing.T, s security.TicketStore) {
	now := start()
	scope := unique("scope")
	first := newTicket(t, now, scope)
	putTicket(t, s, first)
	second := newTicket(t, now.Add(time.Minute), scope)
	putTicket(t, s, second)

	requireGone(t, s, first.ID, now.Add(time.Minute), "PutTicket must delete the earlier ticket of its scope")
	requireLive(t, s, second, now.Add(time.Minute))

	// Tickets without a scope do not replace each other.
	a, b := newTicket(t, now, ""), newTicket(t, now, "")
	putTicket(t, s, a)
	putTicket(t, s, b)
	requireLive(t, s, a, now)
	requireLive(t, s, b, now)
	requireLive(t, s, second, now)
}

func testTicketDeleteScope(t *testing.T, s security.TicketStore) {
	ctx := t.Context()
	now := start()
	a := newTicket(t, now, unique("scope"))
	b := newTicket(t, now, unique("scope"))
	c := newTicket(t, now, "")
	putTicket(t, s, a)
	putTicket(t, s, b)
	putTicket(t, s, c)

	require.NoError(t, s.DeleteTicketScope(ctx, a.Scope))
	requireGone(t, s, a.ID, now)
	requireLive(t, s, b, now)
	requireLive(t, s, c, now)

	require.NoError(t, s.DeleteTicketScope(ctx, a.Scope), "deleting an empty scope")
	require.NoError(t, s.DeleteTicketScope(ctx, unique("never")), "deleting a scope never used")

	// A taken ticket leaves nothing behind in its scope.
	_, err := s.TakeTicket(ctx, b.ID, now, false)
	require.NoError(t, err)
	require.NoError(t, s.DeleteTicketScope(ctx, b.Scope))
	d := newTicket(t, now, b.Scope)
	putTicket(t, s, d)
	requireLive(t, s, d, now)
}

func testTicketCopies(t *testing.T, s security.TicketStore) {
	ctx := t.Context()
	now := start()
	tk := newTicket(t, now, unique("scope"))
	putTicket(t, s, tk)

	got, err := s.GetTicket(ctx, tk.ID, now)
	require.NoError(t, err)
	got.UserID, got.Verified, got.ExpiresAt = "mutated", true, now.Add(24*time.Hour)
	requireLive(t, s, tk, now)
	_, err = s.TakeTicket(ctx, tk.ID, now, true)
	require.ErrorIs(t, err, security.ErrNotFound, "mutating a returned ticket must not verify the stored one")
}

func testTicketConcurrentTake(t *testing.T, s security.TicketStore) {
	const n = 50
	ctx := t.Context()
	now := start()
	tk := newTicket(t, now, unique("scope"))
	tk.Verified = true
	putTicket(t, s, tk)

	got := make([]*security.Ticket, n)
	errs := make([]error, n)
	race(n, func(i int) { got[i], errs[i] = s.TakeTicket(ctx, tk.ID, now, i%2 == 0) })

	winners := 0
	for i := range n {
		if errs[i] == nil {
			winners++
			requireTicket(t, tk, got[i])
			continue
		}
		require.ErrorIs(t, errs[i], security.ErrNotFound)
	}
	require.Equal(t, 1, winners, "exactly one TakeTicket must win")
}
