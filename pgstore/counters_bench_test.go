package pgstore_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// BenchmarkCountHit measures one conditional hit on one key already holding
// 10 or 10^6 events spread over its window (a budget such as the Service's
// SMS budget is the large case). A counter is 13 buckets whatever it
// counts, so both cost the same; the sliding log of earlier releases
// rewrote one timestamp per event in the window on every call.
func BenchmarkCountHit(b *testing.B) {
	ctx := context.Background()
	pool := newPool(b, nil)
	const window = time.Hour
	for _, events := range []int{10, 1_000_000} {
		b.Run(fmt.Sprint("events=", events), func(b *testing.B) {
			st := newStore(b, pool, pgstore.Config{})
			// Spread the events over the 12 buckets before now.
			step := window / security.CounterBuckets
			for i := range security.CounterBuckets {
				add := events / security.CounterBuckets
				if i == 0 {
					add += events % security.CounterBuckets
				}
				hit(b, st, base.Add(time.Duration(i-security.CounterBuckets)*step), security.Hit{Key: "budget", Window: window, Add: add})
			}
			h := []security.Hit{{Key: "budget", Window: window, Add: 1, Max: 1 << 40}}
			var last security.Tally
			for i := 0; b.Loop(); i++ {
				// Each call a microsecond later: in steady state on one bucket.
				got, err := st.Count(ctx, base.Add(time.Duration(i)*time.Microsecond), h)
				if err != nil || !got[0].Applied {
					b.Fatalf("call %d: %+v, %v", i, got, err)
				}
				last = got[0]
			}
			require.GreaterOrEqual(b, last.Count, events)
		})
	}
}

// BenchmarkCountParallel measures concurrent hits, from 32 goroutines, on
// one key (every hit takes turns on its lock) and spread over 8 keys (the
// Service's sharded global SMS budget) or a key per goroutine.
func BenchmarkCountParallel(b *testing.B) {
	ctx := context.Background()
	pool := newPool(b, func(c *pgxpool.Config) { c.MaxConns = 32 })
	for _, keys := range []int{1, 8, 32} {
		b.Run(fmt.Sprint("keys=", keys), func(b *testing.B) {
			st := newStore(b, pool, pgstore.Config{})
			var next atomic.Int64
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				key := fmt.Sprint("budget.", next.Add(1)%int64(keys))
				h := []security.Hit{{Key: key, Window: time.Hour, Add: 1, Max: 1 << 40}}
				for pb.Next() {
					if _, err := st.Count(ctx, base, h); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
