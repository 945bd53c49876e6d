package memstore

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// counts returns how many entries each map of s holds.
func (s *Store) counts() map[string]int {
	c := map[string]int{}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		c["codes"] += len(sh.codes)
		c["limits"] += len(sh.limits)
		c["attempts"] += len(sh.attempts)
		sh.mu.Unlock()
	}
	s.ticketMu.Lock()
	c["tickets"] += len(s.tickets)
	c["ticketScopes"] += len(s.ticketScopes)
	s.ticketMu.Unlock()
	return c
}

func empty() map[string]int {
	return map[string]int{"codes": 0, "limits": 0, "attempts": 0, "tickets": 0, "ticketScopes": 0}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// bytesPerKey is the documented bound on the heap cost of one rate-limit
// key holding one event.
const bytesPerKey = 200

func TestFloodOfKeys(t *testing.T) {
	const keys = 200_000
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	windows := []security.Window{{Period: time.Minute, Max: 1}, {Period: time.Hour, Max: 5}, {Period: 24 * time.Hour, Max: 10}}

	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	before := heapAlloc()
	for i := range keys {
		wait, err := s.Allow(ctx, "flood:"+strconv.Itoa(i), now, windows)
		require.NoError(t, err)
		require.Zero(t, wait)
	}
	flooded := heapAlloc()
	require.Equal(t, keys, s.counts()["limits"])
	perKey := float64(flooded-before) / keys
	t.Logf("heap per rate-limit key: %.0f B", perKey)
	require.LessOrEqual(t, perKey, float64(bytesPerKey))

	s.sweep(now.Add(24*time.Hour - time.Nanosecond))
	require.Equal(t, keys, s.counts()["limits"], "a sweep inside the longest window removes nothing")

	s.sweep(now.Add(24 * time.Hour))
	require.Equal(t, empty(), s.counts())
	swept := heapAlloc()
	t.Logf("heap per key left after the sweep: %.1f B", float64(int64(swept)-int64(before))/keys)
	require.Less(t, int64(swept)-int64(before), int64(keys*8), "the sweep must release the maps' memory")
}

func TestSweep(t *testing.T) {
	const day = 24 * time.Hour
	now := time.Now().UTC().Truncate(time.Millisecond)
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store)
		// The entry is kept by a sweep just before gone and removed by one at gone.
		gone time.Duration
	}{
		{"Code", func(t *testing.T, s *Store) {
			require.NoError(t, s.PutCode(t.Context(), security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now.Add(5 * time.Minute)}))
		}, 5 * time.Minute},
		{"Ticket", func(t *testing.T, s *Store) {
			require.NoError(t, s.PutTicket(t.Context(), security.Ticket{ID: "t", Scope: "sc", ExpiresAt: now.Add(15 * time.Minute)}))
		}, 15 * time.Minute},
		{"RateLimit", func(t *testing.T, s *Store) {
			_, err := s.Allow(t.Context(), "k", now, []security.Window{{Period: time.Minute, Max: 1}, {Period: time.Hour, Max: 5}})
			require.NoError(t, err)
		}, time.Hour},
		{"RateLimitNewestEvent", func(t *testing.T, s *Store) {
			w := []security.Window{{Period: time.Hour, Max: 5}}
			for _, at := range []time.Duration{0, 10 * time.Minute, 50 * time.Minute} {
				_, err := s.Allow(t.Context(), "k", now.Add(at), w)
				require.NoError(t, err)
			}
		}, 110 * time.Minute},
		{"AttemptRunRemembered", func(t *testing.T, s *Store) {
			_, err := s.BeginAttempt(t.Context(), "a", now, security.LockPolicy{Consecutive: 1, LockFor: 15 * time.Minute})
			require.NoError(t, err)
		}, runMemory},
		{"AttemptWindowOnly", func(t *testing.T, s *Store) {
			// Failures per destination: no consecutive rule, so nothing
			// outlives the window (issue 8: not 30 days).
			_, err := s.BeginAttempt(t.Context(), "a", now, security.LockPolicy{Window: 24 * time.Hour, WindowMax: 10})
			require.NoError(t, err)
		}, 24 * time.Hour},
		{"AttemptWindowAfterSuccess", func(t *testing.T, s *Store) {
			p := security.LockPolicy{Window: time.Hour, WindowMax: 5}
			first, err := s.BeginAttempt(t.Context(), "a", now, p)
			require.NoError(t, err)
			_, err = s.BeginAttempt(t.Context(), "a", now.Add(time.Minute), p)
			require.NoError(t, err)
			require.NoError(t, s.SucceedAttempt(t.Context(), "a", first.ID, now.Add(time.Minute)))
		}, time.Hour + time.Minute},
		{"AttemptForever", func(t *testing.T, s *Store) {
			_, err := s.BeginAttempt(t.Context(), "a", now, security.LockPolicy{MaxConsecutive: 1})
			require.NoError(t, err)
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(WithSweepInterval(0))
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			tc.setup(t, s)
			if tc.gone == 0 { // kept until cleared
				s.sweep(now.Add(10 * 365 * day))
				require.NotEqual(t, empty(), s.counts())
				require.NoError(t, s.ClearAttempts(t.Context(), "a"))
				require.Equal(t, empty(), s.counts())
				return
			}
			s.sweep(now.Add(tc.gone - time.Nanosecond))
			require.NotEqual(t, empty(), s.counts(), "removed too early")
			s.sweep(now.Add(tc.gone))
			require.Equal(t, empty(), s.counts())
		})
	}
}

func TestLazyExpiry(t *testing.T) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	require.NoError(t, s.PutCode(ctx, security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now}))
	res, err := s.VerifyCode(ctx, "c", []byte("m"), now, 5)
	require.NoError(t, err)
	require.Equal(t, security.CodeMissing, res)

	require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: "t", Scope: "sc", ExpiresAt: now}))
	_, err = s.GetTicket(ctx, "t", now)
	require.ErrorIs(t, err, security.ErrNotFound)

	a, err := s.BeginAttempt(ctx, "a", now, security.LockPolicy{Consecutive: 5, LockFor: time.Minute})
	require.NoError(t, err)
	require.NoError(t, s.SucceedAttempt(ctx, "a", a.ID, now))

	require.Equal(t, empty(), s.counts())
}

func TestSweeperRunsUntilClose(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	calls := make(chan struct{})
	clock := func() time.Time {
		select {
		case calls <- struct{}{}:
		default:
		}
		return now
	}
	s := New(WithSweepInterval(time.Millisecond), WithClock(clock))
	require.NoError(t, s.PutCode(t.Context(), security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now}))
	// The second reading of the clock comes after the first sweep ended.
	<-calls
	<-calls
	require.Equal(t, empty(), s.counts())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
}
