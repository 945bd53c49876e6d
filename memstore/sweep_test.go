package memstore

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

// counts returns how many entries each map of s holds.
func (s *Store) counts() map[string]int {
	c := map[string]int{}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		c["codes"] += len(sh.codes)
		c["counters"] += len(sh.counters)
		sh.mu.Unlock()
	}
	s.ticketMu.Lock()
	c["tickets"] += len(s.tickets)
	c["ticketScopes"] += len(s.ticketScopes)
	s.ticketMu.Unlock()
	return c
}

func empty() map[string]int {
	return map[string]int{"codes": 0, "counters": 0, "tickets": 0, "ticketScopes": 0}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// leaves is when the bucket of window holding t stops being counted: a
// counter whose newest event is at t is forgotten then.
func leaves(t time.Time, window time.Duration) time.Time {
	w := int64(window) / security.CounterBuckets
	return time.Unix(0, (bucketOf(t.UnixNano(), w)+ringLen)*w).UTC()
}

// add counts n events of key over window at now and returns the tally.
func add(t *testing.T, s *Store, key string, now time.Time, window time.Duration, n int) security.Tally {
	t.Helper()
	got, err := s.Count(t.Context(), now, []security.Hit{{Key: key, Window: window, Add: n}})
	require.NoError(t, err)
	return got[0]
}

// bytesPerKey is the documented bound on the heap cost of one counter,
// key string included: about 250 bytes measured with the Service's key
// shape just after the shards' maps have doubled (at one and two million
// counters), 175 when they are fuller.
const bytesPerKey = 280

func TestFloodOfKeys(t *testing.T) {
	const keys = 200_000
	now := time.Now().UTC().Truncate(time.Millisecond)

	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	before := heapAlloc()
	for i := range keys {
		require.Equal(t, 1, add(t, s, "flood:"+strconv.Itoa(i), now, 24*time.Hour, 1).Count)
	}
	flooded := heapAlloc()
	require.Equal(t, keys, s.counts()["counters"])
	perKey := float64(flooded-before) / keys
	t.Logf("heap per counter: %.0f B", perKey)
	require.LessOrEqual(t, perKey, float64(bytesPerKey))

	gone := leaves(now, 24*time.Hour)
	s.sweep(gone.Add(-time.Nanosecond))
	require.Equal(t, keys, s.counts()["counters"], "a sweep while the bucket is counted removes nothing")

	s.sweep(gone)
	require.Equal(t, empty(), s.counts())
	swept := heapAlloc()
	t.Logf("heap per key left after the sweep: %.1f B", float64(int64(swept)-int64(before))/keys)
	require.Less(t, int64(swept)-int64(before), int64(keys*8), "the sweep must release the maps' memory")
}

func TestSweep(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store)
		// The entry is kept by a sweep just before gone and removed by one at gone.
		gone time.Time
	}{
		{"Code", func(t *testing.T, s *Store) {
			require.NoError(t, storetest.StoreCode(t.Context(), s, security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now.Add(5 * time.Minute)}))
		}, now.Add(5 * time.Minute)},
		{"Ticket", func(t *testing.T, s *Store) {
			require.NoError(t, s.PutTicket(t.Context(), security.Ticket{ID: "t", Scope: "sc", ExpiresAt: now.Add(15 * time.Minute)}))
		}, now.Add(15 * time.Minute)},
		{"Counter", func(t *testing.T, s *Store) {
			add(t, s, "k", now, time.Hour, 1)
		}, leaves(now, time.Hour)},
		{"CounterNewestEvent", func(t *testing.T, s *Store) {
			for _, at := range []time.Duration{0, 10 * time.Minute, 50 * time.Minute} {
				add(t, s, "k", now.Add(at), time.Hour, 1)
			}
		}, leaves(now.Add(50*time.Minute), time.Hour)},
		{"FailureCounter", func(t *testing.T, s *Store) {
			// A wrong code moves its failure counters; the code itself
			// expires long before the day's counter.
			require.NoError(t, storetest.StoreCode(t.Context(), s, security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now.Add(5 * time.Minute)}))
			res, _, err := s.VerifyCode(t.Context(), now, security.CodeCheck{Scope: "c", MAC: []byte("x"), MaxTries: 1,
				Failures: []security.Hit{{Key: "f", Window: 24 * time.Hour, Add: 1, Max: 10}}})
			require.NoError(t, err)
			require.Equal(t, security.CodeVoided, res)
		}, leaves(now, 24*time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(WithSweepInterval(0))
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			tc.setup(t, s)
			s.sweep(tc.gone.Add(-time.Nanosecond))
			require.NotEqual(t, empty(), s.counts(), "removed too early")
			s.sweep(tc.gone)
			require.Equal(t, empty(), s.counts())
			require.Zero(t, s.entries.Load())
		})
	}
}

func TestLazyExpiry(t *testing.T) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now}))
	res, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: "c", MAC: []byte("m"), MaxTries: 5})
	require.NoError(t, err)
	require.Equal(t, security.CodeMissing, res)

	require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: "t", Scope: "sc", ExpiresAt: now}))
	_, err = s.GetTicket(ctx, "t", now)
	require.ErrorIs(t, err, security.ErrNotFound)

	// A counter read once its events have left is removed.
	add(t, s, "old", now, time.Minute, 1)
	require.Equal(t, security.Tally{Applied: true}, add(t, s, "old", leaves(now, time.Minute), time.Minute, 0))
	// A counter refunded or reset to nothing is removed.
	add(t, s, "refund", now, time.Hour, 2)
	add(t, s, "refund", now, time.Hour, -2)
	add(t, s, "reset", now, time.Hour, 2)
	_, err = s.Count(ctx, now, []security.Hit{{Key: "reset", Window: time.Hour, Reset: true}})
	require.NoError(t, err)

	// Reads, refused hits, refunds and resets of a missing key create nothing.
	got, err := s.Count(ctx, now, []security.Hit{
		{Key: "read", Window: time.Hour},
		{Key: "refused", Window: time.Hour, Add: 4, Max: 3},
		{Key: "refund", Window: time.Hour, Add: -1},
		{Key: "reset", Window: time.Hour, Reset: true},
	})
	require.NoError(t, err)
	require.Equal(t, []security.Tally{{Applied: true}, {}, {Applied: true}, {Applied: true}}, got)
	// Nor do the failure counters of a check that matches or misses.
	require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now.Add(time.Minute)}))
	for _, want := range []security.CodeResult{security.CodeMatched, security.CodeMissing} {
		res, _, err = s.VerifyCode(ctx, now, security.CodeCheck{Scope: "c", MAC: []byte("m"), MaxTries: 5,
			Failures: []security.Hit{{Key: "f", Window: time.Hour, Add: 1, Max: 3}}})
		require.NoError(t, err)
		require.Equal(t, want, res)
	}

	require.Equal(t, empty(), s.counts())
	require.Zero(t, s.entries.Load())
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
	require.NoError(t, storetest.StoreCode(t.Context(), s, security.Code{Scope: "c", MAC: []byte("m"), ExpiresAt: now}))
	// The second reading of the clock comes after the first sweep ended.
	<-calls
	<-calls
	require.Equal(t, empty(), s.counts())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
}
