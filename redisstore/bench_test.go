package redisstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/acctsec/security"
	"github.com/acctsec/security/redisstore"
	"github.com/acctsec/security/storetest"
)

// The pair below measures issue 5's redisstore target: VerifyCode, a
// verify-and-consume of a live code, against its physical limit, one bare
// EVALSHA of a no-op script on the same client. Both are one round trip;
// the ratio of their throughputs (ns/op of the bare call divided by ns/op
// of VerifyCode) shows what the script and the store's Go side cost on top.
//
//	go test -run '^$' -bench 'VerifyCode|BareEvalsha' -benchtime 3s .

// benchClient connects to the test server for b, or skips (fails under
// ACCTSEC_REQUIRE_SERVICES=1) when it is unreachable. Keys under the
// returned prefix are deleted when the benchmark ends (SCAN + DEL).
func benchClient(b *testing.B) (*redis.Client, string) {
	b.Helper()
	url := os.Getenv("ACCTSEC_REDIS_URL")
	if url == "" {
		url = defaultRedisURL
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Fatalf("ACCTSEC_REDIS_URL: %v", err)
	}
	opt.ContextTimeoutEnabled = true
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		msg := "redisstore: Redis unreachable at ACCTSEC_REDIS_URL (default " + defaultRedisURL + "): " + err.Error()
		if os.Getenv("ACCTSEC_REQUIRE_SERVICES") == "1" {
			b.Fatal(msg)
		}
		b.Skip(msg + "; set ACCTSEC_REQUIRE_SERVICES=1 to fail instead")
	}
	prefix := "acctsec-bench:" + strings.ToLower(rand.Text()) + ":"
	b.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			b.Error(err)
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := client.Del(ctx, keys[:n]...).Err(); err != nil {
				b.Error(err)
			}
			keys = keys[n:]
		}
		client.Close()
	})
	return client, prefix
}

// benchStore is a Store on benchClient's client and prefix, and the
// client.
func benchStore(b *testing.B) (*redis.Client, *redisstore.Store) {
	b.Helper()
	client, prefix := benchClient(b)
	st, err := redisstore.New(client, redisstore.WithPrefix(prefix))
	if err != nil {
		b.Fatal(err)
	}
	return client, st
}

// BenchmarkVerifyCode consumes one live code per operation: b.N codes are
// stored before the timer starts, and every VerifyCode must match.
func BenchmarkVerifyCode(b *testing.B) {
	_, st := benchStore(b)
	ctx := context.Background()
	now := time.Now()
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	fill := func(n int) {
		for i := range n {
			c := security.Code{Scope: "bench-" + strconv.Itoa(i), MAC: mac, ExpiresAt: now.Add(5 * time.Minute)}
			if err := storetest.StoreCode(ctx, st, c); err != nil {
				b.Fatal(err)
			}
		}
	}
	check := func(res security.CodeResult, _ []security.Tally, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if res != security.CodeMatched {
			b.Fatalf("VerifyCode = %d, want CodeMatched", res)
		}
	}

	b.Run("serial", func(b *testing.B) {
		fill(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			check(st.VerifyCode(ctx, now, security.CodeCheck{Scope: "bench-" + strconv.Itoa(i), MAC: mac, MaxTries: 5}))
		}
	})
	b.Run("parallel", func(b *testing.B) {
		fill(b.N)
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1) - 1
				check(st.VerifyCode(ctx, now, security.CodeCheck{Scope: "bench-" + strconv.FormatInt(i, 10), MAC: mac, MaxTries: 5}))
			}
		})
	})
}

// BenchmarkBareEvalsha is the limit of BenchmarkVerifyCode: one EVALSHA of
// a script that does nothing ("return 1"), on the same kind of client.
func BenchmarkBareEvalsha(b *testing.B) {
	client, _ := benchClient(b)
	ctx := context.Background()
	sha, err := client.ScriptLoad(ctx, "return 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	call := func() {
		n, err := client.EvalSha(ctx, sha, nil).Int64()
		if err != nil || n != 1 {
			b.Fatalf("EVALSHA = %d, %v", n, err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			call()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				call()
			}
		})
	})
}

// BenchmarkVerifyCodePaired runs VerifyCode and the bare EVALSHA in turn
// inside each operation, from parallel goroutines, so that both see the
// same machine: on a noisy host their ratio is the figure to trust. It
// reports the time of each and their throughput ratio (bare/verify).
func BenchmarkVerifyCodePaired(b *testing.B) {
	client, st := benchStore(b)
	ctx := context.Background()
	now := time.Now()
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	sha, err := client.ScriptLoad(ctx, "return 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		c := security.Code{Scope: "pair-" + strconv.Itoa(i), MAC: mac, ExpiresAt: now.Add(5 * time.Minute)}
		if err := storetest.StoreCode(ctx, st, c); err != nil {
			b.Fatal(err)
		}
	}
	var next, verifyNs, bareNs atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			t0 := time.Now()
			res, _, err := st.VerifyCode(ctx, now, security.CodeCheck{Scope: "pair-" + strconv.FormatInt(i, 10), MAC: mac, MaxTries: 5})
			t1 := time.Now()
			if err != nil || res != security.CodeMatched {
				b.Fatalf("VerifyCode = %d, %v", res, err)
			}
			if err := client.EvalSha(ctx, sha, nil).Err(); err != nil {
				b.Fatal(err)
			}
			verifyNs.Add(int64(t1.Sub(t0)))
			bareNs.Add(int64(time.Since(t1)))
		}
	})
	b.ReportMetric(float64(verifyNs.Load())/float64(b.N), "verify-ns/op")
	b.ReportMetric(float64(bareNs.Load())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(bareNs.Load())/float64(verifyNs.Load()), "verify/bare-throughput")
}

// BenchmarkCountHit measures one conditional counter hit (one EVALSHA) on
// a counter holding 10 events and on one holding 10^6, spread over their
// counted buckets (10 and 13), in turn inside each operation so that both see the
// same machine. A counter keeps one number per bucket, not one entry per
// event, so both cost the same: large/small stays near 1.
//
//	go test -run '^$' -bench CountHit -benchtime 3s .
func BenchmarkCountHit(b *testing.B) {
	const window = 12 * time.Hour // buckets of an hour
	_, st := benchStore(b)
	ctx := context.Background()
	now := time.Now()
	sizes := map[string]int{"small": 10, "large": 1_000_000}
	for key, events := range sizes {
		// Spread the events over the counted buckets, the last one at now:
		// 10 buckets of one event, 13 of about 77,000.
		per, n := max(events/13, 1), min(events, 13)
		for i := 13 - n; i < 13; i++ {
			add := per
			if i == 12 {
				add = events - per*(n-1)
			}
			if _, err := st.Count(ctx, now.Add(time.Duration(i-12)*time.Hour), []security.Hit{{Key: key, Window: window, Add: add}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	hit := func(key string) time.Duration {
		t0 := time.Now()
		tl, err := st.Count(ctx, now, []security.Hit{{Key: key, Window: window, Add: 1, Max: 1 << 40}})
		d := time.Since(t0)
		if err != nil || !tl[0].Applied || tl[0].Count <= sizes[key] {
			b.Fatalf("Count(%s) = %+v, %v", key, tl, err)
		}
		return d
	}
	var small, large time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 { // alternate which goes first
			small += hit("small")
			large += hit("large")
		} else {
			large += hit("large")
			small += hit("small")
		}
	}
	b.ReportMetric(float64(small)/float64(b.N), "small-ns/hit")
	b.ReportMetric(float64(large)/float64(b.N), "large-ns/hit")
	b.ReportMetric(float64(large)/float64(small), "large/small")
}

// sendBatch returns a Count batch shaped like the Service's send of an
// SMS code (15 hits): a cap on a client IP and on an account, two reads of
// failure counters with one shard prefix, three conditional adds on the
// destination's caps, and eight shards of the SMS budget, one adding and
// seven read. The IP, account and destination keys are new every op, as
// every flow has its own; the budget shards are shared by all.
func sendBatch(op int, shard int) []security.Hit {
	id := strconv.Itoa(op)
	hits := []security.Hit{
		{Key: "send-ip:" + id, Window: time.Hour, Add: 1, Max: 30},
		{Key: "send-account:" + id, Window: time.Hour, Add: 1, Max: 10},
		{Key: "d" + id + ".fail-requester", Window: 24 * time.Hour},
		{Key: "d" + id + ".fail-any", Window: 24 * time.Hour},
		{Key: "send-dest:" + id + ":min", Window: time.Minute, Add: 1, Max: 1},
		{Key: "send-dest:" + id + ":hour", Window: time.Hour, Add: 1, Max: 5},
		{Key: "send-dest:" + id + ":day", Window: 24 * time.Hour, Add: 1, Max: 10},
	}
	for i := range 8 {
		h := security.Hit{Key: "sms-budget:" + strconv.Itoa(i), Window: time.Hour}
		if i == shard {
			h.Add = 1
		}
		hits = append(hits, h)
	}
	return hits
}

// BenchmarkCountSendBatch measures one Count of a send's 15 hits (see
// sendBatch) on a single-node client, serially: the time of one batch.
//
//	go test -run '^$' -bench CountSendBatch -count 4 .
func BenchmarkCountSendBatch(b *testing.B) {
	_, st := benchStore(b)
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tl, err := st.Count(ctx, now, sendBatch(i, i%8))
		if err != nil || len(tl) != 15 || !tl[0].Applied || !tl[6].Applied {
			b.Fatalf("Count = %+v, %v", tl, err)
		}
	}
}

// BenchmarkCountSendBatchPaired runs a send's batch (see sendBatch) as
// Count sends it, one script call per node's share (on a single node, one
// call), and as it did before, one call per hit in a pipeline
// (redisstore.WithCallPerHit), in turn inside each operation, so both see
// the same machine. It reports the time of each and their ratio, on the
// single node and, with ACCTSEC_REDIS_CLUSTER_ADDRS set, on the cluster.
//
//	go test -run '^$' -bench CountSendBatchPaired -count 4 .
func BenchmarkCountSendBatchPaired(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		client, prefix := benchClient(b)
		pairSendBatch(b, client, prefix)
	})
	b.Run("cluster", func(b *testing.B) {
		client := newCluster(b)
		_, prefix := clusterStore(b, client)
		pairSendBatch(b, client, prefix)
	})
}

func pairSendBatch(b *testing.B, client redis.UniversalClient, prefix string) {
	// One prefix, so that both share the budget's keys (and their slots):
	// the other keys are new every call.
	batch, err := redisstore.New(client, redisstore.WithPrefix(prefix))
	if err != nil {
		b.Fatal(err)
	}
	perHit, err := redisstore.New(client, redisstore.WithPrefix(prefix), redisstore.WithCallPerHit())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	run := func(st *redisstore.Store, i int) time.Duration {
		t0 := time.Now()
		tl, err := st.Count(ctx, now, sendBatch(i, i%8))
		d := time.Since(t0)
		if err != nil || len(tl) != 15 || !tl[0].Applied || !tl[6].Applied {
			b.Fatalf("Count = %+v, %v", tl, err)
		}
		return d
	}
	var batchNs, perHitNs time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 { // alternate which goes first
			batchNs += run(batch, 2*i)
			perHitNs += run(perHit, 2*i+1)
		} else {
			perHitNs += run(perHit, 2*i+1)
			batchNs += run(batch, 2*i)
		}
	}
	b.ReportMetric(float64(batchNs)/float64(b.N), "batch-ns/op")
	b.ReportMetric(float64(perHitNs)/float64(b.N), "perhit-ns/op")
	b.ReportMetric(float64(perHitNs)/float64(batchNs), "perhit/batch")
}
