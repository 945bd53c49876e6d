package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// TestCountInvalidSendsNothing: a batch with an invalid hit is refused
// before anything is sent, so nothing of it is applied.
func TestCountInvalidSendsNothing(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, err := e.store.Count(ctx, time.Now(), []security.Hit{{Key: "a", Window: time.Hour, Add: 1}, {Key: "", Window: time.Hour}})
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	_, _, err = e.store.VerifyCode(ctx, time.Now(), security.CodeCheck{Scope: "s.c", MAC: randomMAC(), Failures: []security.Hit{{Key: "s.f", Window: 11}}})
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	_, _, err = e.store.VerifyCode(ctx, time.Now(), security.CodeCheck{MAC: randomMAC()})
	require.ErrorIs(t, err, security.ErrInvalidArgument, "an empty scope")
	assert.Empty(t, e.trips.take(), "round trips")
	assert.Empty(t, e.keys(t))
}

// TestCountNoScript: after the server lost its scripts, a batch is sent
// again with EVAL (two round trips) and still applies every hit once, in
// order.
func TestCountNoScript(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	require.NoError(t, e.client.ScriptFlush(ctx).Err())
	e.trips.take()
	hits := []security.Hit{
		{Key: "a", Window: time.Hour, Add: 1, Max: 1},
		{Key: "b", Window: time.Hour, Add: 2},
		{Key: "a", Window: time.Hour, Add: 1, Max: 1},
	}
	got, err := e.store.Count(ctx, now, hits)
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, false}, []bool{got[0].Applied, got[1].Applied, got[2].Applied})
	assert.Equal(t, []int{1, 2, 1}, []int{got[0].Count, got[1].Count, got[2].Count})
	var trips [][]any
	for _, c := range e.trips.take() {
		if n := name(c); n != "hello" && n != "client" { // a new pooled connection's handshake
			trips = append(trips, c)
		}
	}
	require.Len(t, trips, 2, "EVALSHA, then EVAL of the hits that met NOSCRIPT")
	assert.Equal(t, "evalsha", name(trips[0]))
	assert.Equal(t, "eval", name(trips[1]))

	got, err = e.store.Count(ctx, now, hits)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 1}, []int{got[0].Count, got[1].Count, got[2].Count})
	assert.Len(t, e.trips.take(), 1, "cached again")
}

// TestCountClockBehind: a hit whose now runs a bucket behind the newest
// bucket of the counter (another replica's clock) neither counts nor
// deletes the newer bucket; it is counted once now reaches it. A bucket
// far ahead is dropped.
func TestCountClockBehind(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const window = 12 * time.Minute
	now := time.Now().UTC().Truncate(time.Minute)
	count := func(at time.Time, add int) security.Tally {
		t.Helper()
		got, err := e.store.Count(ctx, at, []security.Hit{{Key: "k", Window: window, Add: add}})
		require.NoError(t, err)
		return got[0]
	}
	count(now.Add(time.Minute), 5)
	assert.Equal(t, 1, count(now, 1).Count, "the bucket ahead is not counted")
	assert.Equal(t, security.Tally{Count: 6, Applied: true, Next: now.Add(13 * time.Minute)}, count(now.Add(time.Minute), 0))
	n, err := e.client.HLen(ctx, e.prefix+"cnt:{k}").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	// A hit more than a window behind drops every bucket it cannot place.
	count(now.Add(-time.Hour), 1)
	n, err = e.client.HLen(ctx, e.prefix+"cnt:{k}").Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

// TestCountTinyWindow: a window of 12 ns has buckets of a nanosecond,
// whose indexes (about 2^60 today) exceed what Lua's doubles hold exactly;
// bucket numbers modulo 2^52 keep them exact.
func TestCountTinyWindow(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	hit := security.Hit{Key: "k", Window: security.CounterBuckets, Add: 1}
	for i := range 20 {
		got, err := e.store.Count(ctx, now.Add(time.Duration(i)), []security.Hit{hit})
		require.NoError(t, err)
		require.Equal(t, min(i+1, 13), got[0].Count, "hit %d", i)
		oldest := now.Add(time.Duration(max(i-12, 0)))
		require.True(t, oldest.Add(13).Equal(got[0].Next), "hit %d: Next %v", i, got[0].Next)
	}
}

// TestVerifyCodeShardPrefixes: on a single node a code's failure counters
// may lie anywhere.
func TestVerifyCodeShardPrefixes(t *testing.T) {
	e := newEnv(t)
	checkSplitKeys(t, e.store, true)
}

// checkSplitKeys runs VerifyCode with failure keys of another shard prefix
// than the scope's, which only a store that is not on a cluster accepts.
func checkSplitKeys(t *testing.T, s security.StateStore, accepted bool) {
	t.Helper()
	ctx := t.Context()
	now := time.Now()
	for i, scope := range []string{"aaaa.code", "code"} {
		scope := fmt.Sprint(scope, i)
		require.NoError(t, s.PutCode(ctx, security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(time.Hour)}))
		for _, key := range []string{"bbbb.fail", "fail"} {
			c := security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 5, Failures: []security.Hit{{Key: key, Window: time.Hour, Add: 1}}}
			r, tl, err := s.VerifyCode(ctx, now, c)
			if accepted {
				require.NoError(t, err)
				assert.Equal(t, security.CodeWrong, r)
				assert.True(t, tl[0].Applied)
				continue
			}
			require.ErrorIs(t, err, security.ErrInvalidArgument, "scope %s, key %s", scope, key)
			assert.NotContains(t, err.Error(), "fail")
			got, err := s.Count(ctx, now, []security.Hit{{Key: key, Window: time.Hour}})
			require.NoError(t, err)
			assert.Zero(t, got[0].Count, "nothing counted")
		}
	}
}

// TestClusterVerifyCodeSlots: on a cluster, a code's failure counters must
// share its slot; split keys are refused and change nothing.
func TestClusterVerifyCodeSlots(t *testing.T) {
	client := newCluster(t)
	s, _ := clusterStore(t, client)
	checkSplitKeys(t, s, false)
}

// TestClusterCountBatch: a batch over keys on every master is one call,
// hits on one key apply in order, and it survives the masters losing
// their scripts.
func TestClusterCountBatch(t *testing.T) {
	client := newCluster(t)
	s, _ := clusterStore(t, client)
	ctx := t.Context()
	now := time.Now()
	var hits []security.Hit
	for range 3 {
		for k := range 16 {
			hits = append(hits, security.Hit{Key: fmt.Sprintf("k%d", k), Window: time.Hour, Add: 1, Max: 2})
		}
	}
	for pass := range 2 {
		require.NoError(t, client.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return node.ScriptFlush(ctx).Err()
		}))
		got, err := s.Count(ctx, now.Add(time.Duration(pass)*2*time.Hour), hits)
		require.NoError(t, err)
		for i, tl := range got {
			round := i / 16
			assert.Equal(t, round < 2, tl.Applied, "pass %d hit %d", pass, i)
			assert.Equal(t, min(round+1, 2), tl.Count, "pass %d hit %d", pass, i)
		}
	}
}

// TestCountResetRefused: a Reset whose Add Max refuses is not applied
// either (Applied covers both), as in memstore.
func TestCountResetRefused(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	got, err := e.store.Count(t.Context(), now, []security.Hit{
		{Key: "k", Window: time.Hour, Add: 2},
		{Key: "k", Window: time.Hour, Add: 3, Max: 2, Reset: true},
		{Key: "k", Window: time.Hour, Add: 2, Max: 2, Reset: true},
	})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 2}, []int{got[0].Count, got[1].Count, got[2].Count})
	assert.Equal(t, []bool{true, false, true}, []bool{got[0].Applied, got[1].Applied, got[2].Applied})
}
