package memstore

import (
	"fmt"
	"time"

	security "github.com/acctsec/security"
)

// DefaultMaxEntries is the number of entries a Store holds at most unless
// WithMaxEntries says otherwise.
const DefaultMaxEntries = 2_000_000

// fullSweepEvery is how often, at most, by the times the methods are
// passed, a full Store sweeps expired entries before refusing a new key.
const fullSweepEvery = time.Second

// errFull is returned by PutCode and PutTicket for a new key when the Store
// is full.
var errFull = fmt.Errorf("memstore: full (see WithMaxEntries): no room for a new entry: %w", security.ErrBusy)

// WithMaxEntries caps the number of codes, counters and tickets the Store
// holds together (default DefaultMaxEntries). A zero or
// negative n keeps the default. See the package documentation for what
// happens when the cap is reached.
func WithMaxEntries(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxEntries = n
		}
	}
}

// reserve takes one slot for a new entry, or reports false when the Store
// is full. The caller inserts the entry, or gives the slot back with
// release.
func (s *Store) reserve() bool { return s.reserveN(1) }

// reserveN takes n slots for new entries, all or none, and reports whether
// it took them.
func (s *Store) reserveN(n int) bool {
	if n <= 0 {
		return true
	}
	for {
		have := s.entries.Load()
		if have+int64(n) > s.maxEntries {
			return false
		}
		if s.entries.CompareAndSwap(have, have+int64(n)) {
			return true
		}
	}
}

// release gives back the slots of n removed entries.
func (s *Store) release(n int) {
	if n != 0 {
		s.entries.Add(-int64(n))
	}
}

// sweepIfDue sweeps the entries expired at now, unless a sweep for a full
// Store ran less than fullSweepEvery before now, and reports whether it
// swept. The caller holds no lock. Of concurrent callers one sweeps; the
// others return false at once.
func (s *Store) sweepIfDue(now int64) bool {
	last := s.lastFullSweep.Load()
	if now >= last && now-last < int64(fullSweepEvery) {
		return false
	}
	if !s.lastFullSweep.CompareAndSwap(last, now) {
		return false
	}
	s.sweep(time.Unix(0, now))
	return true
}
