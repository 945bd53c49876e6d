package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	security "github.com/acctsec/security"
)

// limitEntry is the event log of one rate-limit key: the unix-nano times
// of its most recent events, ascending, at most the largest Max of its
// windows, and the longest Period, after which the newest event is
// forgotten.
type limitEntry struct {
	events []int64
	span   int64
}

// live reports whether any event of e is still inside its longest window.
func (e limitEntry) live(now int64) bool {
	return len(e.events) > 0 && now-e.events[len(e.events)-1] < e.span
}

// Allow checks key's events against every window at now. When all have
// room it records one event and returns 0; otherwise it records nothing
// and returns how long until every window has room. With no windows it
// allows and records nothing. A window with a non-positive Period or Max is
// an error wrapping security.ErrInvalidArgument. When the Store is full and
// key is new, Allow records nothing and returns one minute, after one
// sweep of expired entries at most every second failed to make room.
func (s *Store) Allow(_ context.Context, key string, now time.Time, windows []security.Window) (time.Duration, error) {
	var span int64
	keep := 0
	for _, w := range windows {
		if w.Period <= 0 || w.Max <= 0 {
			return 0, fmt.Errorf("memstore: window %v/%d: %w", w.Period, w.Max, security.ErrInvalidArgument)
		}
		span = max(span, int64(w.Period))
		keep = max(keep, w.Max)
	}
	if len(windows) == 0 {
		return 0, nil
	}
	n := now.UnixNano()
	sh := s.shard(key)
	wait, full := s.allow(sh, key, n, span, keep, windows)
	if full && s.sweepIfDue(n) {
		wait, full = s.allow(sh, key, n, span, keep, windows)
	}
	if full {
		return fullWait, nil
	}
	return time.Duration(wait), nil
}

// allow is Allow under the lock of sh: it returns the wait, or full when
// key is new and no slot is free.
func (s *Store) allow(sh *shard, key string, n, span int64, keep int, windows []security.Window) (wait int64, full bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.limits[key]
	e.span = span

	for _, w := range windows {
		// Events inside (now-Period, now] are the suffix after the cut.
		cut := n - int64(w.Period)
		in := len(e.events) - firstAfter(e.events, cut)
		if in >= w.Max {
			// Room returns when the Max-th most recent event leaves.
			wait = max(wait, e.events[len(e.events)-w.Max]+int64(w.Period)-n)
		}
	}
	if wait > 0 {
		return wait, false
	}
	if !ok && !s.reserve() {
		return 0, true
	}

	// Record the event in order, then forget what no window can need.
	i := firstAfter(e.events, n)
	e.events = slices.Insert(e.events, i, n)
	if drop := max(len(e.events)-keep, firstAfter(e.events, n-span)); drop > 0 {
		e.events = append(e.events[:0], e.events[drop:]...)
	}
	sh.limits[key] = e
	return 0, false
}

// firstAfter returns the index of the first event after t in the ascending
// events.
func firstAfter(events []int64, t int64) int {
	i, found := slices.BinarySearch(events, t)
	for found && i < len(events) && events[i] == t {
		i++
	}
	return i
}
