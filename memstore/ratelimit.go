package memstore

import (
	"context"
	"fmt"
	"math"
	"time"

	security "github.com/acctsec/security"
)

// ringLen is the number of buckets a counter holds: the current one and
// the security.CounterBuckets before it.
const ringLen = security.CounterBuckets + 1

// counterEntry is one counter: the events of its last ringLen buckets in a
// ring indexed by bucket number modulo ringLen. It has the same size
// whatever the number of events, and every operation on it is O(1).
type counterEntry struct {
	counts [ringLen]int32 // counts[slot(b)] is bucket b, for newest-CounterBuckets <= b <= newest
	newest int64          // index of the newest bucket held
	width  int64          // bucket width in nanoseconds
}

// slot returns the ring position of bucket b.
func slot(b int64) int { return int((b%ringLen + ringLen) % ringLen) }

// bucketOf returns the index of the bucket of width holding n: n/width
// rounded down.
func bucketOf(n, width int64) int64 {
	b := n / width
	if n%width != 0 && n < 0 {
		b--
	}
	return b
}

// advance makes b the newest bucket of e if it is newer, emptying the
// buckets it passes over.
func (e *counterEntry) advance(b int64) {
	if b <= e.newest {
		return
	}
	if b-e.newest >= ringLen {
		e.counts = [ringLen]int32{}
	} else {
		for j := e.newest + 1; j <= b; j++ {
			e.counts[slot(j)] = 0
		}
	}
	e.newest = b
}

// prepare readies e, a counter or the zero value, for a hit at n with
// buckets of width w, and returns the bucket the hit counts in: n's own,
// or the oldest e holds when n is older still. A counter met with another
// width (the contract says this never happens) keeps its count at n in
// n's bucket of the new width, so no event is forgotten early.
func (e *counterEntry) prepare(n, w int64) int64 {
	if e.width != w {
		var count int64
		if e.width != 0 {
			count, _ = e.tally(e.prepare(n, e.width))
		}
		*e = counterEntry{width: w, newest: bucketOf(n, w)}
		e.add(e.newest, count)
	}
	e.advance(bucketOf(n, w))
	return max(bucketOf(n, w), e.newest-security.CounterBuckets)
}

// tally returns the events counted at bucket b (no newer than e.newest)
// and, when there are any, the unix-nano time at which the oldest bucket
// holding some leaves the count.
func (e *counterEntry) tally(b int64) (count, next int64) {
	for j := e.newest - security.CounterBuckets; j <= b; j++ {
		c := int64(e.counts[slot(j)])
		if c > 0 && count == 0 {
			next = (j + ringLen) * e.width
		}
		count += c
	}
	return count, next
}

// add adds n to bucket b, keeping it within 0 and math.MaxInt32.
func (e *counterEntry) add(b, n int64) {
	i := slot(b)
	e.counts[i] = int32(min(max(int64(e.counts[i])+n, 0), math.MaxInt32))
}

// empty reports whether e holds no event.
func (e *counterEntry) empty() bool { return e.counts == [ringLen]int32{} }

// checkHit returns an error wrapping security.ErrInvalidArgument when h is
// not a hit a CounterStore accepts.
func checkHit(h security.Hit) error {
	if h.Key == "" {
		return fmt.Errorf("empty counter key: %w", security.ErrInvalidArgument)
	}
	if h.Window < security.CounterBuckets {
		return fmt.Errorf("counter window %v is below %d ns: %w", h.Window, security.CounterBuckets, security.ErrInvalidArgument)
	}
	return nil
}

// Count applies hits in order at now and returns each counter after its
// hit. Each hit holds the lock of its key's shard; the batch is not one
// transaction. An invalid hit is an error wrapping
// security.ErrInvalidArgument and then nothing is applied. When the Store
// is full and a hit would create a counter (a new key and an Add above
// zero that is applied), it sweeps expired entries, at most once a
// second, and if that frees no slot returns an error wrapping
// security.ErrBusy: that hit and those after it are not applied, those
// before it are. A read, a refused hit, a refund or a reset creates no
// counter; a counter emptied is removed.
func (s *Store) Count(_ context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	for i, h := range hits {
		if err := checkHit(h); err != nil {
			return nil, fmt.Errorf("memstore: hit %d: %w", i, err)
		}
	}
	n := now.UnixNano()
	tallies := make([]security.Tally, len(hits))
	for i, h := range hits {
		sh := s.shard(h.Key)
		t, full := s.lockedHit(sh, h, n)
		if full && s.sweepIfDue(n) {
			t, full = s.lockedHit(sh, h, n)
		}
		if full {
			return nil, fmt.Errorf("memstore: full (see WithMaxEntries): no room for the new counter of hit %d, so it and the hits after it were not applied: %w", i, security.ErrBusy)
		}
		tallies[i] = t
	}
	return tallies, nil
}

// lockedHit is hit under the lock of sh, the shard of h.Key.
func (s *Store) lockedHit(sh *shard, h security.Hit, n int64) (security.Tally, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return s.hit(sh, h, n, true, nil)
}

// hit applies h at n to its counter in sh, checking its Max when checkMax
// is set, and returns the counter after it. When h would create the
// counter it takes a slot, one of *prepaid when any is left, else a free
// one of the Store; when none is free it applies nothing and reports
// full. The caller holds sh.mu and has checked h.
func (s *Store) hit(sh *shard, h security.Hit, n int64, checkMax bool, prepaid *int) (t security.Tally, full bool) {
	e, ok := sh.counters[h.Key]
	b := e.prepare(n, int64(h.Window)/security.CounterBuckets)
	if checkMax && e.refuses(h) {
		return e.report(b, false), false
	}
	if h.Reset {
		e.counts = [ringLen]int32{}
	}
	e.add(b, int64(h.Add))
	switch {
	case e.empty():
		if ok {
			delete(sh.counters, h.Key)
			s.release(1)
		}
		return security.Tally{Applied: true}, false
	case !ok && prepaid != nil && *prepaid > 0:
		*prepaid--
	case !ok && !s.reserve():
		return security.Tally{}, true
	}
	sh.counters[h.Key] = e
	return e.report(b, true), false
}

// refuses reports whether h's Max refuses it on e, prepared for it: the
// count plus Add would pass Max. The count is every event e holds, the
// buckets ahead of the hit's own included (those of a caller whose clock
// runs ahead, or whose hit arrived first), so callers out of order never
// get more past Max than it allows; a Reset counts from zero.
func (e *counterEntry) refuses(h security.Hit) bool {
	if h.Max <= 0 {
		return false
	}
	var held int64
	if !h.Reset {
		held, _ = e.tally(e.newest)
	}
	return held+int64(h.Add) > int64(h.Max)
}

// peek returns the counter of h.Key in sh at n as a refused hit reports
// it, and whether h's Max refuses h, changing nothing. The caller holds
// sh.mu and has checked h.
func peek(sh *shard, h security.Hit, n int64) (security.Tally, bool) {
	e := sh.counters[h.Key]
	b := e.prepare(n, int64(h.Window)/security.CounterBuckets)
	return e.report(b, false), e.refuses(h)
}

// report returns the tally of e at bucket b.
func (e *counterEntry) report(b int64, applied bool) security.Tally {
	count, next := e.tally(b)
	if count == 0 {
		return security.Tally{Applied: applied}
	}
	return security.Tally{Count: int(count), Applied: applied, Next: time.Unix(0, next).UTC()}
}
