package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/redisstore"
	"github.com/acctsec/security/storetest"
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
	r, _, err := b.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "codeshared", MAC: randomMAC(), MaxTries: 5})
	require.NoError(t, err)
	assert.Equal(t, security.CodeMissing, r, "a code of another prefix")

	_, err = a.store.Count(ctx, now, []security.Hit{{Key: "k", Window: time.Hour, Add: 3}})
	require.NoError(t, err)
	tl, err := b.store.Count(ctx, now, []security.Hit{{Key: "k", Window: time.Hour, Add: 1, Max: 1}})
	require.NoError(t, err)
	assert.Equal(t, security.Tally{Count: 1, Applied: true, Next: tl[0].Next}, tl[0], "a counter of another prefix")

	require.NoError(t, a.store.PutTicket(ctx, security.Ticket{ID: "id", Scope: "s", ExpiresAt: now.Add(time.Hour)}))
	_, err = b.store.GetTicket(ctx, "id", now)
	require.ErrorIs(t, err, security.ErrNotFound, "a ticket of another prefix")
	require.NoError(t, b.store.DeleteTicketScope(ctx, "s"))
	_, err = a.store.GetTicket(ctx, "id", now)
	require.NoError(t, err, "DeleteTicketScope of another prefix")

	assert.Len(t, a.keys(t), 4, "code, counter, ticket and scope pointer")
	assert.Equal(t, []string{b.prefix + "cnt:{k}"}, b.keys(t), "b wrote only its own counter")
}

// TestFootprint checks how many keys each kind of state costs, their names,
// and their TTLs.
func TestFootprint(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	pttl := func(key string) time.Duration {
		d, err := e.client.PTTL(context.Background(), e.prefix+key).Result()
		require.NoError(t, err)
		return d
	}

	require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "s", MAC: randomMAC(), ExpiresAt: now.Add(5 * time.Minute)}))
	assert.Equal(t, []string{e.prefix + "code:{s}"}, e.keys(t), "one key per pending code")
	assert.Positive(t, pttl("code:{s}"))
	assert.LessOrEqual(t, pttl("code:{s}"), 6*time.Minute, "code TTL: lifetime plus a minute")
	require.NoError(t, e.store.DeleteCode(ctx, "s"))

	// A counter is one hash of at most 13 counted buckets, whatever the
	// number of events: older buckets are deleted by the next hit.
	const window = 12 * time.Minute // buckets of a minute
	for i := range 30 {
		tl, err := e.store.Count(ctx, now.Add(time.Duration(i)*time.Minute), []security.Hit{{Key: "k", Window: window, Add: 1000}})
		require.NoError(t, err)
		require.Equal(t, 1000*min(i+1, 13), tl[0].Count, "hit %d", i)
	}
	assert.Equal(t, []string{e.prefix + "cnt:{k}"}, e.keys(t), "one key per counter")
	n, err := e.client.HLen(ctx, e.prefix+"cnt:{k}").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 13, n, "the counted buckets, no more")
	assert.Greater(t, pttl("cnt:{k}"), window+time.Minute, "counter TTL: at least its window and a minute after the last bucket began")
	assert.LessOrEqual(t, pttl("cnt:{k}"), window+2*time.Minute, "counter TTL: at most its window, a bucket and a minute")
	// A read long after drops every bucket (and so the key); a read of
	// nothing writes nothing.
	_, err = e.store.Count(ctx, now.Add(time.Hour), []security.Hit{{Key: "k", Window: window}, {Key: "never", Window: window}})
	require.NoError(t, err)
	assert.Empty(t, e.keys(t), "a counter whose buckets all left the window")
	// A reset deletes the key; a refund to zero deletes its bucket.
	_, err = e.store.Count(ctx, now, []security.Hit{{Key: "k", Window: window, Add: 5}, {Key: "k", Window: window, Reset: true},
		{Key: "r", Window: window, Add: 2}, {Key: "r", Window: window, Add: -3}})
	require.NoError(t, err)
	assert.Empty(t, e.keys(t), "reset and refunded counters")

	// Code scopes and counter keys with a shard prefix (up to the first
	// ".") take it as their hash tag, so a code and its failure counters
	// share a slot.
	require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "Ab_-.c", MAC: randomMAC(), ExpiresAt: now.Add(5 * time.Minute)}))
	_, err = e.store.Count(ctx, now, []security.Hit{{Key: "Ab_-.f", Window: window, Add: 1}, {Key: ".f", Window: window, Add: 1}})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{e.prefix + "{Ab_-}:code:Ab_-.c", e.prefix + "{Ab_-}:cnt:Ab_-.f", e.prefix + "cnt:{.f}"}, e.keys(t))
	require.NoError(t, e.store.DeleteCode(ctx, "Ab_-.c"))
	require.NoError(t, e.client.Del(ctx, e.prefix+"{Ab_-}:cnt:Ab_-.f", e.prefix+"cnt:{.f}").Err())

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
		time.Date(2250, 6, 7, 8, 9, 10, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		t.Run(base.Format("2006"), func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			mac := randomMAC()
			require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "s", MAC: mac, ExpiresAt: base.Add(5 * time.Minute)}))
			r, _, err := e.store.VerifyCode(ctx, base.Add(5*time.Minute), security.CodeCheck{Scope: "s", MAC: mac, MaxTries: 5})
			require.NoError(t, err)
			assert.Equal(t, security.CodeMissing, r, "dead at ExpiresAt")
			r, _, err = e.store.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: mac, MaxTries: 5})
			require.NoError(t, err)
			assert.Equal(t, security.CodeMatched, r)

			tk := security.Ticket{ID: "i", Scope: "s", ExpiresAt: base.Add(time.Hour).Add(123456789)}
			require.NoError(t, e.store.PutTicket(ctx, tk))
			got, err := e.store.TakeTicket(ctx, "i", base, false)
			require.NoError(t, err)
			assert.True(t, tk.ExpiresAt.Equal(got.ExpiresAt), "ExpiresAt comes back to the nanosecond")

			if base.Year() < 2262 { // counters' buckets are numbered from UnixNano
				hit := security.Hit{Key: "k", Window: time.Hour, Add: 1, Max: 1}
				tl, err := e.store.Count(ctx, base, []security.Hit{hit})
				require.NoError(t, err)
				next := base.Truncate(5 * time.Minute).Add(time.Hour + 5*time.Minute)
				assert.Equal(t, security.Tally{Count: 1, Applied: true, Next: next}, tl[0])
				tl, err = e.store.Count(ctx, next.Add(-time.Nanosecond), []security.Hit{hit})
				require.NoError(t, err)
				assert.Equal(t, security.Tally{Count: 1, Next: next}, tl[0], "full until the bucket leaves")
				tl, err = e.store.Count(ctx, next, []security.Hit{hit})
				require.NoError(t, err)
				assert.True(t, tl[0].Applied, "room once it left")
			}

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
	require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "s", MAC: randomMAC(), ExpiresAt: base.Add(10 * time.Minute)}))
	d, err := e.client.PTTL(ctx, e.prefix+"code:{s}").Result()
	require.NoError(t, err)
	assert.Greater(t, d, 10*time.Minute, "beyond the one-minute floor: the clock was used")
	assert.LessOrEqual(t, d, 11*time.Minute)
}

// TestCodeTicketFootprint checks where a code's tickets go: a Code.Ticket
// and a CodeCheck.OnMatch take the keys PutTicket gives them, in the slot
// of the code when they share its shard prefix.
func TestCodeTicketFootprint(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	mac := randomMAC()
	flow := security.Ticket{ID: "Ab_-.i", Scope: "Ab_-.s", ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "Ab_-.c", MAC: mac, ExpiresAt: now.Add(5 * time.Minute), Ticket: &flow}))
	assert.ElementsMatch(t, []string{e.prefix + "{Ab_-}:code:Ab_-.c", e.prefix + "{Ab_-}:t:Ab_-.i", e.prefix + "{Ab_-}:s:Ab_-.s"}, e.keys(t))
	d, err := e.client.PTTL(ctx, e.prefix+"{Ab_-}:s:Ab_-.s").Result()
	require.NoError(t, err)
	assert.Greater(t, d, time.Hour-time.Minute, "the ticket's TTL, not the code's")

	verified := security.Ticket{ID: "Ab_-.v", Scope: "Ab_-.s", Verified: true, ExpiresAt: now.Add(time.Hour)}
	r, _, err := e.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "Ab_-.c", MAC: mac, MaxTries: 5, OnMatch: &verified})
	require.NoError(t, err)
	require.Equal(t, security.CodeMatched, r)
	assert.ElementsMatch(t, []string{e.prefix + "{Ab_-}:t:Ab_-.v", e.prefix + "{Ab_-}:s:Ab_-.s"}, e.keys(t),
		"the code is consumed and the verified ticket replaces the flow's")
	got, err := e.store.TakeTicket(ctx, "Ab_-.v", now, true)
	require.NoError(t, err)
	assert.Equal(t, verified.Scope, got.Scope)
	assert.Empty(t, e.keys(t))
}

// TestCodeTicketRefused checks that a ticket carried by a code operation is
// validated as PutTicket validates it, and on a client that may spread keys
// over nodes must share the code's hash tag, before anything is sent; a
// single-node client accepts any prefixes.
func TestCodeTicketRefused(t *testing.T) {
	now := time.Now()
	invalid := []security.Ticket{
		{Scope: "aaaa.s", ExpiresAt: now.Add(time.Hour)},
		{ID: "aaaa.i", Scope: "aaaa.s"},
		{ID: "aaaa.i", Scope: "bbbb.s", ExpiresAt: now.Add(time.Hour)},
		{ID: "i", Scope: "aaaa.s", ExpiresAt: now.Add(time.Hour)},
	}
	// refused calls PutCode and VerifyCode on s with tk, expecting
	// ErrInvalidArgument from both.
	refused := func(t *testing.T, s *redisstore.Store, scope string, tk security.Ticket) {
		t.Helper()
		err := storetest.StoreCode(t.Context(), s, security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(time.Minute), Ticket: &tk})
		require.ErrorIs(t, err, security.ErrInvalidArgument, "PutCode, ticket %+v", tk)
		_, _, err = s.VerifyCode(t.Context(), now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 5, OnMatch: &tk})
		require.ErrorIs(t, err, security.ErrInvalidArgument, "VerifyCode, ticket %+v", tk)
	}

	t.Run("single node", func(t *testing.T) {
		e := newEnv(t)
		ctx := t.Context()
		for _, tk := range invalid {
			refused(t, e.store, "aaaa.c", tk)
		}
		assert.Empty(t, e.trips.take(), "nothing sent")
		assert.Empty(t, e.keys(t))

		// One node runs a script on any keys: prefixes need not match.
		mac := randomMAC()
		tk := security.Ticket{ID: "bbbb.i", Scope: "bbbb.s", ExpiresAt: now.Add(time.Hour)}
		require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "aaaa.c", MAC: mac, ExpiresAt: now.Add(time.Minute), Ticket: &tk}))
		on := security.Ticket{ID: "v", Scope: "s", Verified: true, ExpiresAt: now.Add(time.Hour)}
		r, _, err := e.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "aaaa.c", MAC: mac, MaxTries: 5, OnMatch: &on})
		require.NoError(t, err)
		require.Equal(t, security.CodeMatched, r)
		assert.ElementsMatch(t, []string{e.prefix + "{bbbb}:t:bbbb.i", e.prefix + "{bbbb}:s:bbbb.s", e.prefix + "{tickets}:t:v", e.prefix + "{tickets}:s:s"}, e.keys(t))
	})

	t.Run("cluster client", func(t *testing.T) {
		// No server: anything sent would fail with a dial error, and the
		// hook would see it.
		client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, MaxRedirects: -1})
		defer client.Close()
		trips := &recorder{}
		client.AddHook(trips)
		s, err := redisstore.New(client)
		require.NoError(t, err)
		for _, tk := range invalid {
			refused(t, s, "aaaa.c", tk)
		}
		for _, c := range []struct {
			scope string
			tk    security.Ticket
		}{
			{"aaaa.c", security.Ticket{ID: "bbbb.i", Scope: "bbbb.s"}},
			{"aaaa.c", security.Ticket{ID: "bbbb.i"}},
			{"aaaa.c", security.Ticket{ID: "i", Scope: "s"}},
			{"c", security.Ticket{ID: "i", Scope: "s"}},
		} {
			c.tk.ExpiresAt = now.Add(time.Hour)
			refused(t, s, c.scope, c.tk)
		}
		assert.Empty(t, trips.take(), "nothing sent")
	})
}
