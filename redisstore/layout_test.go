package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/redisstore"
)

// TestPrefixIsolation checks that two stores with different prefixes on one
// database share nothing, and that every key lies under its prefix.
func TestPrefixIsolation(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	ctx := t.Context()
	now := time.Now()
	for _, o := range ops("shared", now)[:1] { // PutCode in a only
		require.NoError(t, o.run(ctx, a.store))
	}
	r, err := b.store.VerifyCode(ctx, "codeshared", randomMAC(), now, 5)
	require.NoError(t, err)
	assert.Equal(t, security.CodeMissing, r, "a code of another prefix")

	_, err = a.store.Allow(ctx, "k", now, windows)
	require.NoError(t, err)
	wait, err := b.store.Allow(ctx, "k", now, windows)
	require.NoError(t, err)
	assert.Zero(t, wait, "a rate limit of another prefix")

	for range 5 {
		_, err := a.store.BeginAttempt(ctx, "k", now, lockPolicy)
		require.NoError(t, err)
	}
	st, err := b.store.AttemptStatus(ctx, "k", now, lockPolicy)
	require.NoError(t, err)
	assert.True(t, st.Allowed, "a lock of another prefix")

	require.NoError(t, a.store.PutTicket(ctx, security.Ticket{ID: "id", Scope: "s", ExpiresAt: now.Add(time.Hour)}))
	_, err = b.store.GetTicket(ctx, "id", now)
	require.ErrorIs(t, err, security.ErrNotFound, "a ticket of another prefix")
	require.NoError(t, b.store.DeleteTicketScope(ctx, "s"))
	_, err = a.store.GetTicket(ctx, "id", now)
	require.NoError(t, err, "DeleteTicketScope of another prefix")

	assert.Len(t, a.keys(t), 6, "code, rate limit, attempt state and log, ticket and scope pointer")
	assert.Equal(t, []string{b.prefix + "rl:{k}"}, b.keys(t), "b wrote only its own rate limit")
}

// TestFootprint checks how many keys each kind of state costs and that
// every key carries a TTL, except a forever lock, which has none.
func TestFootprint(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	pttl := func(key string) time.Duration {
		d, err := e.client.PTTL(context.Background(), e.prefix+key).Result()
		require.NoError(t, err)
		return d
	}

	require.NoError(t, e.store.PutCode(ctx, security.Code{Scope: "s", MAC: randomMAC(), ExpiresAt: now.Add(5 * time.Minute)}))
	assert.Equal(t, []string{e.prefix + "code:{s}"}, e.keys(t), "one key per pending code")
	assert.Positive(t, pttl("code:{s}"))
	assert.LessOrEqual(t, pttl("code:{s}"), 6*time.Minute, "code TTL: lifetime plus a minute")
	require.NoError(t, e.store.DeleteCode(ctx, "s"))

	for i := range 5 {
		_, err := e.store.Allow(ctx, "k", now.Add(time.Duration(i)*20*time.Minute), windows)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{e.prefix + "rl:{k}"}, e.keys(t), "one key per throttle key")
	n, err := e.client.ZCard(ctx, e.prefix+"rl:{k}").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 3, n, "the log is trimmed to the longest window")
	assert.Positive(t, pttl("rl:{k}"))
	assert.LessOrEqual(t, pttl("rl:{k}"), time.Hour+time.Minute, "throttle TTL: longest window plus a minute")
	require.NoError(t, e.client.Del(ctx, e.prefix+"rl:{k}").Err())

	p := security.LockPolicy{Window: 24 * time.Hour, WindowMax: 5, WindowLocksUntilClear: true}
	_, err = e.store.BeginAttempt(ctx, "a", now, p)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{e.prefix + "att:{a}", e.prefix + "att:{a}:log"}, e.keys(t), "two keys per attempt key")
	assert.LessOrEqual(t, pttl("att:{a}"), 24*time.Hour, "window-only state is kept for its window, no longer")
	assert.Greater(t, pttl("att:{a}"), 23*time.Hour)
	_, err = e.store.BeginAttempt(ctx, "run", now, security.LockPolicy{Consecutive: 5, LockFor: time.Minute})
	require.NoError(t, err)
	assert.Greater(t, pttl("att:{run}"), 29*24*time.Hour, "a run of consecutive failures is remembered 30 days")
	require.NoError(t, e.store.ClearAttempts(ctx, "run"))
	for range 4 {
		a, err := e.store.BeginAttempt(ctx, "a", now.Add(2*time.Hour), p)
		require.NoError(t, err)
		require.True(t, a.Allowed)
	}
	st, err := e.store.AttemptStatus(ctx, "a", now.Add(2*time.Hour), p)
	require.NoError(t, err)
	require.True(t, st.Forever)
	assert.Equal(t, time.Duration(-1), pttl("att:{a}"), "a forever lock has no TTL")
	require.NoError(t, e.store.ClearAttempts(ctx, "a"))
	assert.Empty(t, e.keys(t))

	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: "i", Scope: "s", ExpiresAt: now.Add(time.Hour)}))
	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: "j", ExpiresAt: now.Add(time.Hour)}))
	assert.ElementsMatch(t, []string{e.prefix + "{tickets}:t:i", e.prefix + "{tickets}:s:s", e.prefix + "{tickets}:t:j"}, e.keys(t),
		"a scoped ticket is two keys, an unscoped one one")
	assert.LessOrEqual(t, pttl("{tickets}:s:s"), time.Hour+time.Minute)
	_, err = e.store.TakeTicket(ctx, "i", now, false)
	require.NoError(t, err)
	assert.Equal(t, []string{e.prefix + "{tickets}:t:j"}, e.keys(t), "a taken ticket leaves no scope pointer")
	_, err = e.store.TakeTicket(ctx, "j", now, false)
	require.NoError(t, err)

	// A shard prefix (up to the first ".") of ID and scope is their hash
	// tag; a ticket and its scope pointer then share it.
	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: "Ab_-.i", Scope: "Ab_-.s", ExpiresAt: now.Add(time.Hour)}))
	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: "Zz09.j", ExpiresAt: now.Add(time.Hour)}))
	assert.ElementsMatch(t, []string{e.prefix + "{Ab_-}:t:Ab_-.i", e.prefix + "{Ab_-}:s:Ab_-.s", e.prefix + "{Zz09}:t:Zz09.j"}, e.keys(t))
	// Replacing the scope's ticket, then deleting the scope, happens in the slot.
	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: "Ab_-.k", Scope: "Ab_-.s", ExpiresAt: now.Add(time.Hour)}))
	assert.ElementsMatch(t, []string{e.prefix + "{Ab_-}:t:Ab_-.k", e.prefix + "{Ab_-}:s:Ab_-.s", e.prefix + "{Zz09}:t:Zz09.j"}, e.keys(t))
	require.NoError(t, e.store.DeleteTicketScope(ctx, "Ab_-.s"))
	assert.Equal(t, []string{e.prefix + "{Zz09}:t:Zz09.j"}, e.keys(t))
	got, err := e.store.TakeTicket(ctx, "Zz09.j", now, false)
	require.NoError(t, err)
	assert.Equal(t, "Zz09.j", got.ID)
	// An empty prefix is no prefix.
	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: ".i", Scope: ".s", ExpiresAt: now.Add(time.Hour)}))
	assert.ElementsMatch(t, []string{e.prefix + "{tickets}:t:.i", e.prefix + "{tickets}:s:.s"}, e.keys(t))
	require.NoError(t, e.store.DeleteTicketScope(ctx, ".s"))
	assert.Empty(t, e.keys(t))
}

// TestTicketPrefixesMustMatch: a scoped ticket whose ID and scope have
// different shard prefixes cannot share a slot with its scope pointer, so
// PutTicket refuses it and writes nothing; an unscoped one has nothing to
// share a slot with.
func TestTicketPrefixesMustMatch(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	for _, tk := range []security.Ticket{
		{ID: "aaaa.ticket-id-x", Scope: "bbbb.scope-y"},
		{ID: "aaaa.ticket-id-x", Scope: "scope-y"},
		{ID: "ticket-id-x", Scope: "aaaa.scope-y"},
	} {
		tk.ExpiresAt = now.Add(time.Hour)
		err := e.store.PutTicket(ctx, tk)
		require.ErrorIs(t, err, security.ErrInvalidArgument, "ID %q scope %q", tk.ID, tk.Scope)
		assert.NotContains(t, err.Error(), "ticket-id-x")
		assert.NotContains(t, err.Error(), "scope-y")
	}
	assert.Empty(t, e.keys(t))
	require.NoError(t, e.store.PutTicket(ctx, security.Ticket{ID: "a.i", ExpiresAt: now.Add(time.Hour)}))
	assert.Equal(t, []string{e.prefix + "{a}:t:a.i"}, e.keys(t))
}

// TestFarTimes runs the state through times far from the wall clock: the
// semantics follow the passed now, and TTLs never cut a record's life short
// (they derive from durations, or from the wall clock with a margin).
func TestFarTimes(t *testing.T) {
	for _, base := range []time.Time{
		time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		t.Run(base.Format("2006"), func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			mac := randomMAC()
			require.NoError(t, e.store.PutCode(ctx, security.Code{Scope: "s", MAC: mac, ExpiresAt: base.Add(5 * time.Minute)}))
			r, err := e.store.VerifyCode(ctx, "s", mac, base.Add(5*time.Minute), 5)
			require.NoError(t, err)
			assert.Equal(t, security.CodeMissing, r, "dead at ExpiresAt")
			r, err = e.store.VerifyCode(ctx, "s", mac, base, 5)
			require.NoError(t, err)
			assert.Equal(t, security.CodeMatched, r)

			tk := security.Ticket{ID: "i", Scope: "s", ExpiresAt: base.Add(time.Hour).Add(123456789)}
			require.NoError(t, e.store.PutTicket(ctx, tk))
			got, err := e.store.TakeTicket(ctx, "i", base, false)
			require.NoError(t, err)
			assert.True(t, tk.ExpiresAt.Equal(got.ExpiresAt), "ExpiresAt comes back to the nanosecond")

			wait, err := e.store.Allow(ctx, "k", base, windows)
			require.NoError(t, err)
			assert.Zero(t, wait)
			wait, err = e.store.Allow(ctx, "k", base.Add(time.Second), windows)
			require.NoError(t, err)
			assert.Equal(t, 59*time.Second, wait)

			for range 5 {
				_, err := e.store.BeginAttempt(ctx, "a", base, lockPolicy)
				require.NoError(t, err)
			}
			a, err := e.store.BeginAttempt(ctx, "a", base.Add(time.Minute), lockPolicy)
			require.NoError(t, err)
			assert.False(t, a.Allowed)
			assert.True(t, base.Add(lockPolicy.LockFor).Equal(a.LockedUntil))

			for _, k := range e.keys(t) {
				d, err := e.client.PTTL(ctx, k).Result()
				require.NoError(t, err)
				assert.Positive(t, d, "key %s must carry a live TTL", strings.TrimPrefix(k, e.prefix))
			}
		})
	}
}

// TestWithClock checks that the clock option sets the TTL of codes and
// tickets: ExpiresAt minus the clock, plus a minute.
func TestWithClock(t *testing.T) {
	base := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	e := newEnv(t, redisstore.WithClock(func() time.Time { return base }))
	ctx := t.Context()
	require.NoError(t, e.store.PutCode(ctx, security.Code{Scope: "s", MAC: randomMAC(), ExpiresAt: base.Add(10 * time.Minute)}))
	d, err := e.client.PTTL(ctx, e.prefix+"code:{s}").Result()
	require.NoError(t, err)
	assert.Greater(t, d, 10*time.Minute, "beyond the one-minute floor: the clock was used")
	assert.LessOrEqual(t, d, 11*time.Minute)
}
