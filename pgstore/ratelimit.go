package pgstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/acctsec/security"
)

// Count applies hits in order at now in one statement (a call of the
// count_hits function) and reports each counter after its hit. A counter is
// one row of the counters table per key and bucket width, holding the 13
// buckets a count sums, so a hit costs the same whatever the number of
// events. count_hits first takes the lock of every counter the batch may
// change, in ascending order (see counter_lock), so hits on one counter
// take turns, hits on different counters never wait for each other, and
// batches sharing counters cannot deadlock. The batch is one transaction.
//
// Every hit is validated before the statement is sent: an empty key or a
// Window below security.CounterBuckets nanoseconds is an error wrapping
// security.ErrInvalidArgument, and nothing of the batch is applied.
func (s *Store) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	a, err := newHitArgs(now, hits)
	if err != nil {
		return nil, err
	}
	if len(hits) == 0 {
		return []security.Tally{}, nil
	}
	var (
		counts  []int64
		applied []bool
		oldest  []*int64
	)
	err = s.pool.QueryRow(ctx, s.q.countHits, a.keys, a.widths, a.buckets, a.adds, a.maxes, a.resets).
		Scan(&counts, &applied, &oldest)
	if err != nil {
		return nil, wrap("count", err)
	}
	return a.tallies(counts, applied, oldest)
}

// hitArgs are the hits of a batch as the parallel arrays the SQL functions
// take: each hit's key, bucket width and bucket of now (in
// security.CounterBuckets' arithmetic), Add, Max and Reset.
type hitArgs struct {
	keys                         []string
	widths, buckets, adds, maxes []int64
	resets                       []bool
}

// newHitArgs validates hits and converts them for a statement.
func newHitArgs(now time.Time, hits []security.Hit) (hitArgs, error) {
	a := hitArgs{
		keys:    make([]string, len(hits)),
		widths:  make([]int64, len(hits)),
		buckets: make([]int64, len(hits)),
		adds:    make([]int64, len(hits)),
		maxes:   make([]int64, len(hits)),
		resets:  make([]bool, len(hits)),
	}
	ns := toNS(now)
	for i, h := range hits {
		if h.Key == "" {
			return a, fmt.Errorf("pgstore: hit %d: empty key: %w", i, security.ErrInvalidArgument)
		}
		if h.Window < security.CounterBuckets {
			return a, fmt.Errorf("pgstore: hit %d: window %v below %d ns: %w", i, h.Window, security.CounterBuckets, security.ErrInvalidArgument)
		}
		w := int64(h.Window) / security.CounterBuckets
		a.keys[i], a.widths[i], a.buckets[i] = h.Key, w, floorDiv(ns, w)
		a.adds[i], a.maxes[i], a.resets[i] = int64(h.Add), int64(h.Max), h.Reset
	}
	return a, nil
}

// tallies builds the Tally of each hit from what a function returned: the
// count after the hit, whether it was applied, and the oldest counted bucket
// holding events (nil when the count is zero).
func (a hitArgs) tallies(counts []int64, applied []bool, oldest []*int64) ([]security.Tally, error) {
	n := len(a.keys)
	if len(counts) != n || len(applied) != n || len(oldest) != n {
		return nil, fmt.Errorf("pgstore: %d hits, %d results", n, len(counts))
	}
	t := make([]security.Tally, n)
	for i := range t {
		t[i] = security.Tally{Count: int(min(counts[i], math.MaxInt)), Applied: applied[i]}
		if counts[i] > 0 && oldest[i] != nil {
			t[i].Next = bucketStart(*oldest[i]+security.CounterBuckets+1, a.widths[i])
		}
	}
	return t, nil
}

// floorDiv is n / d rounded towards minus infinity (d > 0).
func floorDiv(n, d int64) int64 {
	q := n / d
	if n%d < 0 {
		q--
	}
	return q
}

// bucketStart is the first instant of bucket b of width w, clamped to the
// times int64 nanoseconds can hold.
func bucketStart(b, w int64) time.Time {
	switch {
	case b > math.MaxInt64/w:
		return fromNS(math.MaxInt64)
	case b < math.MinInt64/w:
		return fromNS(math.MinInt64)
	}
	return fromNS(b * w)
}
