package redisstore_test

import (
	"context"
	"fmt"
	"slices"
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

// TestCountTTL: an add sets the counter's TTL to the end of its bucket
// plus the window plus a minute, relative to the add's now, and never
// shortens a TTL set before.
func TestCountTTL(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const window = 12 * time.Hour // buckets of an hour
	bucket := time.Now().UTC().Truncate(time.Hour)
	ttl := func() time.Duration {
		t.Helper()
		d, err := e.client.PTTL(ctx, e.prefix+"cnt:{k}").Result()
		require.NoError(t, err)
		return d
	}
	add := func(at time.Time) {
		t.Helper()
		_, err := e.store.Count(ctx, at, []security.Hit{{Key: "k", Window: window, Add: 1}})
		require.NoError(t, err)
	}
	add(bucket.Add(time.Minute))
	want := 59*time.Minute + window + time.Minute
	require.InDelta(t, want.Seconds(), ttl().Seconds(), 5, "the TTL of a new counter")
	add(bucket.Add(50 * time.Minute)) // its own TTL would be 10 min + window + 1 min
	require.InDelta(t, want.Seconds(), ttl().Seconds(), 5, "a later add never shortens it")
	add(bucket.Add(time.Hour + time.Minute))
	require.InDelta(t, want.Seconds(), ttl().Seconds(), 5, "the next bucket's add sets it again")
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
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(time.Hour)}))
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
	// 16 keys of their own slots, 4 keys sharing one tag, and 300 keys
	// sharing another, which take two calls on their slot.
	var keys []string
	for k := range 16 {
		keys = append(keys, fmt.Sprintf("k%d", k))
	}
	for k := range 4 {
		keys = append(keys, fmt.Sprintf("s.k%d", k))
	}
	for k := range 300 {
		keys = append(keys, fmt.Sprintf("t.k%d", k))
	}
	var hits []security.Hit
	for range 3 {
		for _, k := range keys {
			hits = append(hits, security.Hit{Key: k, Window: time.Hour, Add: 1, Max: 2})
		}
	}
	for pass := range 2 {
		require.NoError(t, client.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return node.ScriptFlush(ctx).Err()
		}))
		got, err := s.Count(ctx, now.Add(time.Duration(pass)*2*time.Hour), hits)
		require.NoError(t, err)
		for i, tl := range got {
			round := i / len(keys)
			assert.Equal(t, round < 2, tl.Applied, "pass %d hit %d", pass, i)
			assert.Equal(t, min(round+1, 2), tl.Count, "pass %d hit %d", pass, i)
		}
	}
}

// TestCountOneCall: on a single node, a send's batch of 15 hits is one
// script call naming all 15 keys.
func TestCountOneCall(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	_, err := e.store.Count(ctx, now, sendBatch(1, 0)) // caches the script
	require.NoError(t, err)
	e.trips.take()
	got, err := e.store.Count(ctx, now, sendBatch(1, 1))
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 0, 0, 1, 2, 2, 1, 1}, []int{got[0].Count, got[1].Count, got[2].Count, got[3].Count, got[4].Count, got[5].Count, got[6].Count, got[7].Count, got[8].Count})
	assert.Equal(t, []bool{true, true, true, true, false, true, true, true, true}, []bool{got[0].Applied, got[1].Applied, got[2].Applied, got[3].Applied, got[4].Applied, got[5].Applied, got[6].Applied, got[7].Applied, got[8].Applied})
	trips := e.trips.take()
	require.Len(t, trips, 1)
	assert.Equal(t, "evalsha", name(trips[0]))
	assert.Len(t, keysOf(trips[0]), 15)
	assert.Len(t, trips[0], 3+15+5*15, "one command: EVALSHA sha 15 keys, 5 arguments per hit")
}

// TestCountLargeBatch: a batch of more hits than one call takes is split
// into several calls, still one round trip, and the hits of each key
// still apply in order.
func TestCountLargeBatch(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	var hits []security.Hit
	for round := range 3 {
		for k := range 300 {
			hits = append(hits, security.Hit{Key: fmt.Sprintf("k%d", (k+round)%300), Window: time.Hour, Add: 1, Max: 2})
		}
	}
	_, err := e.store.Count(ctx, now, hits[:1]) // caches the script
	require.NoError(t, err)
	require.NoError(t, e.client.Del(ctx, e.keys(t)...).Err())
	e.trips.take()
	got, err := e.store.Count(ctx, now, hits)
	require.NoError(t, err)
	for i, tl := range got {
		round := i / 300
		assert.Equal(t, round < 2, tl.Applied, "hit %d", i)
		assert.Equal(t, min(round+1, 2), tl.Count, "hit %d", i)
	}
	assert.Len(t, e.trips.take(), 1, "round trips")
}

// TestCountBatches checks how Count groups a batch into script calls on
// each kind of client, without a server: one call on a single node (up to
// 256 keys), one per slot on a Cluster, one per hash tag on a Ring, every
// hit of a key in one call, hits in batch order inside a call.
func TestCountBatches(t *testing.T) {
	var keys []string
	for _, h := range sendBatch(7, 3) {
		keys = append(keys, "p:cnt:{"+h.Key+"}")
	}
	keys = append(keys, "p:{d7}:cnt:x", "p:{d7}:cnt:y", "p:cnt:{send-ip:7}") // a tag shared, a key again
	single := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	t.Cleanup(func() {
		assert.NoError(t, single.Close())
		assert.NoError(t, cluster.Close())
		assert.NoError(t, ring.Close())
	})
	batches := func(c redis.UniversalClient, opts ...redisstore.Option) [][]int {
		s, err := redisstore.New(c, opts...)
		require.NoError(t, err)
		calls := s.Batches(keys)
		var all []int
		for _, call := range calls {
			require.True(t, slices.IsSorted(call), "batch order in a call: %v", call)
			all = append(all, call...)
		}
		slices.Sort(all)
		require.Len(t, all, len(keys), "every hit in one call")
		for i := range all {
			require.Equal(t, i, all[i], "every hit once")
		}
		return calls
	}
	all := make([]int, len(keys))
	for i := range all {
		all[i] = i
	}
	assert.Equal(t, [][]int{all}, batches(single))
	assert.Len(t, batches(single, redisstore.WithCallPerHit()), len(keys))

	calls := batches(cluster)
	var want []int
	for _, call := range calls {
		var ks []string
		for _, i := range call {
			ks = append(ks, keys[i])
		}
		s := slots(ks)
		require.Len(t, s, 1, "keys %q of one call", ks)
		want = append(want, s[0])
	}
	assert.Len(t, slots(keys), len(calls), "one call per slot")
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(want))), len(calls), "one call per slot")

	tags := map[string]bool{}
	for _, k := range keys {
		tags[k[strings.IndexByte(k, '{')+1:strings.IndexByte(k, '}')]] = true
	}
	calls = batches(ring)
	assert.Len(t, calls, len(tags), "one call per hash tag")
	assert.Equal(t, []int{0, 17}, calls[0], "the IP key's hits")
	assert.Contains(t, calls, []int{15, 16}, "one tag, one call")

	// 600 keys: calls of 256, 256 and 88 keys; a key seen again joins its
	// first call, whatever its size.
	keys = nil
	for k := range 600 {
		keys = append(keys, fmt.Sprintf("p:cnt:{k%d}", k))
	}
	keys = append(keys, "p:cnt:{k0}", "p:cnt:{k599}")
	calls = batches(single)
	require.Len(t, calls, 3)
	assert.Equal(t, []int{257, 256, 89}, []int{len(calls[0]), len(calls[1]), len(calls[2])})
	assert.Equal(t, 600, calls[0][256])
	assert.Equal(t, 601, calls[2][88])
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
