package memstore

import (
	"math"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

func TestCounterEntrySize(t *testing.T) {
	// 13 int32 buckets, the newest bucket's index and the width: a
	// counter costs the same whatever its number of events.
	require.Equal(t, uintptr(72), unsafe.Sizeof(counterEntry{}))
}

func TestBucketOf(t *testing.T) {
	for _, c := range []struct{ n, width, want int64 }{
		{0, 10, 0}, {9, 10, 0}, {10, 10, 1}, {-1, 10, -1}, {-10, 10, -1}, {-11, 10, -2},
	} {
		require.Equal(t, c.want, bucketOf(c.n, c.width), "bucketOf(%d, %d)", c.n, c.width)
	}
	require.Equal(t, ringLen-1, slot(-1))
	require.Equal(t, 0, slot(ringLen))
}

// TestCounterOutOfOrder: hits may come with a now older than the
// counter's newest bucket (clocks of two replicas, racing calls). One
// within the window counts in its own bucket; one older than every bucket
// held counts in the oldest, so it is never lost and leaves no earlier
// than it would have.
func TestCounterOutOfOrder(t *testing.T) {
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	const window = 12 * time.Minute // buckets of a minute
	t0 := time.Date(2026, 3, 1, 8, 0, 30, 0, time.UTC)

	add(t, s, "k", t0, window, 1)
	require.Equal(t, security.Tally{Count: 1, Applied: true, Next: leaves(t0.Add(-5*time.Minute), window)},
		add(t, s, "k", t0.Add(-5*time.Minute), window, 1), "an earlier bucket does not count a later one")
	oldest := t0.Add(-12 * time.Minute)
	require.Equal(t, security.Tally{Count: 1, Applied: true, Next: leaves(oldest, window)},
		add(t, s, "k", t0.Add(-time.Hour), window, 1), "kept in the oldest bucket held")
	require.Equal(t, security.Tally{Count: 3, Applied: true, Next: leaves(oldest, window)}, add(t, s, "k", t0, window, 0))
	require.Equal(t, 2, add(t, s, "k", leaves(oldest, window), window, 0).Count)
}

// TestCounterWindowChange: the contract has one Window per key; a counter
// met with another keeps its count rather than forget it.
func TestCounterWindowChange(t *testing.T) {
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	add(t, s, "k", t0, time.Hour, 3)
	later := t0.Add(30 * time.Minute)
	require.Equal(t, security.Tally{Count: 3, Applied: true, Next: leaves(later, 12*time.Minute)}, add(t, s, "k", later, 12*time.Minute, 0))
	require.Equal(t, 4, add(t, s, "k", later, 12*time.Minute, 1).Count)
}

func TestCounterSaturates(t *testing.T) {
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	add(t, s, "k", t0, time.Hour, math.MaxInt32)
	require.Equal(t, math.MaxInt32, add(t, s, "k", t0, time.Hour, math.MaxInt32).Count, "a bucket stops at MaxInt32")
	require.Equal(t, math.MaxInt32+1, add(t, s, "k", t0.Add(10*time.Minute), time.Hour, 1).Count)
	add(t, s, "k", t0, time.Hour, -10)
	require.Equal(t, math.MaxInt32-9, add(t, s, "k", t0.Add(10*time.Minute), time.Hour, 0).Count, "a refund takes from the cap")
}

func TestCounterBeforeEpoch(t *testing.T) {
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	const window = 12 * time.Second
	t0 := time.Unix(-5, 500) // bucket -5
	require.Equal(t, security.Tally{Count: 1, Applied: true, Next: time.Unix(8, 0).UTC()}, add(t, s, "k", t0, window, 1))
	require.Equal(t, 1, add(t, s, "k", time.Unix(7, 999_999_999), window, 0).Count)
	require.Zero(t, add(t, s, "k", time.Unix(8, 0), window, 0).Count)
}

func TestShardPrefix(t *testing.T) {
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	for i := range 100 {
		tag := strconv.Itoa(i)
		require.Equal(t, s.shardIndex(tag), s.shardIndex(tag+".code:x"), "a key with a prefix is placed by it")
		require.Equal(t, s.shardIndex(tag+".code:x"), s.shardIndex(tag+".fail:y.z"))
	}
	seen := map[int]bool{}
	for i := range 1000 {
		seen[s.shardIndex("."+strconv.Itoa(i))] = true
	}
	require.Greater(t, len(seen), 1, "an empty prefix does not put every key in one shard")
}

// distinctShards returns n keys without a shard prefix, each in its own
// shard.
func distinctShards(s *Store, n int) []string {
	var keys []string
	used := map[int]bool{}
	for i := 0; len(keys) < n; i++ {
		k := "key" + strconv.Itoa(i)
		if sh := s.shardIndex(k); !used[sh] {
			used[sh] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// TestVerifyCodeAcrossShards: a scope and failure keys in three shards,
// checked concurrently with the keys in both orders and counted at the
// same time: no deadlock, and the Max is exact.
func TestVerifyCodeAcrossShards(t *testing.T) {
	ctx := t.Context()
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	const n, maxFails, window = 60, 3, 24 * time.Hour
	keys := distinctShards(s, 4)
	scope, other, a, b := keys[0], keys[1], keys[2], keys[3]
	for _, sc := range []string{scope, other} {
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: sc, MAC: []byte("m"), ExpiresAt: now.Add(time.Hour)}))
	}
	gate := security.Hit{Key: a, Window: window, Add: 1, Max: maxFails}
	move := security.Hit{Key: b, Window: window, Add: 1}

	results := make([]security.CodeResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			failures := []security.Hit{gate, move}
			if i%2 == 1 {
				failures = []security.Hit{move, gate}
			}
			results[i], _, errs[i] = s.VerifyCode(ctx, now, security.CodeCheck{Scope: scope, MAC: []byte("x"), MaxTries: 100, Failures: failures})
		})
		wg.Go(func() { // the other scope locks the same shards
			_, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: other, MAC: []byte("m"),
				Failures: []security.Hit{{Key: b, Window: window}, {Key: a, Window: window}}})
			assert.NoError(t, err)
		})
		wg.Go(func() {
			_, err := s.Count(ctx, now, []security.Hit{{Key: b, Window: window}, {Key: a, Window: window}})
			assert.NoError(t, err)
		})
	}
	waitNoDeadlock(t, &wg)
	wrong := 0
	for i := range n {
		require.NoError(t, errs[i])
		if results[i] == security.CodeWrong {
			wrong++
		} else {
			require.Equal(t, security.CodeBlocked, results[i])
		}
	}
	require.Equal(t, maxFails, wrong)
	require.Equal(t, maxFails, add(t, s, b, now, window, 0).Count, "the other key moved only with the admitted")
	requireExact(t, s)
}

// waitNoDeadlock waits for wg, failing the test if it has not finished
// after 30 s: a hang guard, far beyond any real run, not a timing bound.
func waitNoDeadlock(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("deadlock")
	}
}
