package security_test

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
)

// benchHeapSampler records the peak HeapInuse, and the peak live heap as
// of the last collection, seen while it runs.
type benchHeapSampler struct {
	peak atomic.Uint64
	live atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startBenchHeapSampler(every time.Duration) *benchHeapSampler {
	s := &benchHeapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		var m runtime.MemStats
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			runtime.ReadMemStats(&m)
			s.peak.Store(max(s.peak.Load(), m.HeapInuse))
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				s.live.Store(max(s.live.Load(), sample[0].Value.Uint64()))
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the peaks of HeapInuse and of the live heap.
func (s *benchHeapSampler) Stop() (inuse, live uint64) {
	close(s.stop)
	<-s.done
	return s.peak.Load(), s.live.Load()
}

// TestFloodOfPasswordChanges: 1,000 concurrent ChangePassword calls, one
// per account, each with a 2 s deadline. Every call ends in success or a
// clean busy/deadline error, and every success, and only a success, changed
// its account's hash.
//
// The hashing slots bound the memory: at most MaxConcurrentHashes argon2id
// buffers (19 MiB each) are live at once, plus 64 MiB for everything else,
// over the heap in use before the flood. That bounds the live heap. The heap
// in use also holds garbage the collector has not yet reclaimed: under GOGC
// it may grow to (1+GOGC/100) times the live heap, and under a memory limit
// (GOMEMLIMIT) the collector holds it near the limit: a soft limit, which an
// allocation burst between two collections can pass by at most one more
// argon2id buffer per slot.
func TestFloodOfPasswordChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test skipped in -short mode")
	}
	const (
		hashMiB  = 19
		slackMiB = 64
	)
	slots := runtime.GOMAXPROCS(0)
	gogc := debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)

	t.Run("GOGC", func(t *testing.T) {
		r := benchFlood(t, slots)
		live := uint64(slots*hashMiB+slackMiB)<<20 + r.baseline
		total := live
		if gogc > 0 {
			total = live + live*uint64(gogc)/100
		}
		t.Logf("GOGC=%d, %d slots: %d succeeded, %d busy/deadline; baseline %.1f MiB; peak live heap %.1f MiB (bound %.1f); peak heap in use %.1f MiB (bound %.1f)",
			gogc, slots, r.ok, r.busy, benchMiB(r.baseline), benchMiB(r.peakLive), benchMiB(live), benchMiB(r.peakInuse), benchMiB(total))
		require.LessOrEqual(t, r.peakLive, live, "peak live heap above MaxConcurrentHashes x 19 MiB + 64 MiB over the baseline")
		require.LessOrEqual(t, r.peakInuse, total, "peak heap in use above (1+GOGC/100) x the live bound")
	})

	t.Run("GOMEMLIMIT", func(t *testing.T) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		limit := int64(slots*hashMiB+slackMiB)<<20 + int64(ms.HeapInuse)
		prev := debug.SetMemoryLimit(limit)
		t.Cleanup(func() { debug.SetMemoryLimit(prev) })
		r := benchFlood(t, slots)
		bound := uint64(slots*hashMiB+slackMiB)<<20 + r.baseline
		t.Logf("GOMEMLIMIT=%.1f MiB, %d slots: %d succeeded, %d busy/deadline; baseline %.1f MiB; peak live heap %.1f MiB; peak heap in use %.1f MiB (bound %.1f)",
			benchMiB(uint64(limit)), slots, r.ok, r.busy, benchMiB(r.baseline), benchMiB(r.peakLive), benchMiB(r.peakInuse), benchMiB(bound))
		require.LessOrEqual(t, r.peakLive, bound, "peak live heap above MaxConcurrentHashes x 19 MiB + 64 MiB over the baseline")
		// The memory limit is soft: between two collections an allocation
		// burst can pass it, by at most one more argon2id buffer per slot.
		require.LessOrEqual(t, r.peakInuse, bound+uint64(slots*hashMiB)<<20, "peak heap in use far above the memory limit")
	})
}

// benchFloodResult is the outcome of one flood.
type benchFloodResult struct {
	ok, busy                      int
	baseline, peakLive, peakInuse uint64
}

// benchFlood runs 1,000 concurrent password changes on a fresh Service with
// the given hashing slots and checks every outcome.
func benchFlood(t *testing.T, slots int) benchFloodResult {
	const calls = 1000
	oldPHC, err := argon2id.CreateHash(benchPasswords[0], benchParams)
	require.NoError(t, err)
	svc, store := benchService(t, slots, "")
	ctx := context.Background()
	for i := range calls {
		// Imported hashes: creating 1,000 accounts costs no hashing.
		require.NoError(t, svc.CreateAccount(ctx, security.NewAccount{UserID: "flood-" + strconv.Itoa(i), PasswordHash: oldPHC}))
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r := benchFloodResult{baseline: ms.HeapInuse}
	sampler := startBenchHeapSampler(2 * time.Millisecond)

	errs := make([]error, calls)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			cctx = security.WithClient(cctx, security.Client{IP: "198.51.100.1"})
			errs[i] = svc.ChangePassword(cctx, "flood-"+strconv.Itoa(i), benchPasswords[0], benchPasswords[1])
		}()
	}
	close(start)
	wg.Wait()
	r.peakInuse, r.peakLive = sampler.Stop()

	for i, err := range errs {
		a, gerr := store.GetAccount(ctx, "flood-"+strconv.Itoa(i))
		require.NoError(t, gerr)
		switch {
		case err == nil:
			r.ok++
			require.NotEqual(t, oldPHC, a.PasswordHash, "call %d succeeded but the hash is unchanged", i)
		case errors.Is(err, security.ErrBusy), errors.Is(err, context.DeadlineExceeded):
			r.busy++
			require.Equal(t, oldPHC, a.PasswordHash, "call %d failed but changed the hash", i)
		default:
			t.Fatalf("call %d: unexpected error %v", i, err)
		}
	}
	require.Equal(t, calls, r.ok+r.busy, "every call accounted for")
	require.Positive(t, r.ok, "some changes got through: holding one slot per flow lets started work finish")
	return r
}

func benchMiB(b uint64) float64 { return float64(b) / (1 << 20) }
