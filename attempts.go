package security

import (
	"context"
	"time"
)

// runMemory is how long a lockout remembers failures that lock until a
// reset.
const runMemory = 30 * 24 * time.Hour

// markerMemory is how long a lock until reset lasts without a reset: longer
// than any device token lives, so no client outlasts it by waiting.
const markerMemory = 400 * 24 * time.Hour

// lockRule is one rule of a lockout, counted on its own counter: at most
// max failures within window.
type lockRule struct {
	suffix string
	window time.Duration
	max    int
	// untilReset: the failure that reaches max locks until a reset (a
	// lock marker is set), not only until the window lets one out.
	untilReset bool
	// run: a success empties the count, so it counts the failures since
	// the last success. Otherwise a success only takes back its own
	// reservation.
	run bool
}

// lockout is the policy of one secret's failure counter: the Service
// decides it here, in Go, on counters the store only counts.
type lockout []lockRule

func (l Limits) passwordLockout() lockout {
	return lockout{
		{suffix: "run", window: l.PasswordLockFor, max: l.PasswordFailures, run: true},
		{suffix: "max", window: runMemory, max: l.PasswordMaxFailures, run: true, untilReset: true},
	}
}

// deviceLockout is the allowance of one known device: the same short locks
// as unknown clients, and a lock until reset after DeviceMaxFailures.
func (l Limits) deviceLockout() lockout {
	return lockout{
		{suffix: "run", window: l.PasswordLockFor, max: l.PasswordFailures, run: true},
		{suffix: "max", window: runMemory, max: l.DeviceMaxFailures, run: true, untilReset: true},
	}
}

func (l Limits) payLockout() lockout {
	return lockout{
		{suffix: "run", window: l.PayLockFor, max: l.PayFailures, run: true},
		{suffix: "day", window: 24 * time.Hour, max: l.PayDailyFailures, untilReset: true},
	}
}

// lockState is a lockout's answer.
type lockState struct {
	locked bool
	// forever: locked until a reset; else until.
	forever bool
	until   time.Time
}

func (st lockState) err() error {
	if st.forever {
		return &LockedError{}
	}
	return &LockedError{Until: st.until.UTC()}
}

// marker is the counter that holds a lock until reset.
func markerHit(key string, add int) Hit {
	return Hit{Key: key + "/lock", Window: markerMemory, Add: add}
}

// read reports the lock state from tallies of lo's rules and its marker
// (in that order), counts as they are after any reservation in them.
func (lo lockout) read(tallies []Tally, reserved bool) lockState {
	var st lockState
	if tallies[len(lo)].Count > 0 {
		return lockState{locked: true, forever: true}
	}
	for i, r := range lo {
		t := tallies[i]
		full := t.Count >= r.max
		if reserved {
			full = !t.Applied
		}
		if !full {
			continue
		}
		st.locked = true
		if r.untilReset {
			st.forever = true
		} else if t.Next.After(st.until) {
			st.until = t.Next
		}
	}
	return st
}

// hits are lo's counters on key, each with add and lo's maxima (when
// reserving), then the marker.
func (lo lockout) hits(key string, add int) []Hit {
	hits := make([]Hit, 0, len(lo)+1)
	for _, r := range lo {
		h := Hit{Key: key + "/" + r.suffix, Window: r.window, Add: add}
		if add > 0 {
			h.Max = r.max
		}
		hits = append(hits, h)
	}
	return append(hits, markerHit(key, 0))
}

// attempt is a reservation of one try at a secret.
type attempt struct {
	key     string
	lo      lockout
	now     time.Time
	tallies []Tally
}

// begin reserves one try of key under lo: it counts as a failure on every
// rule until succeed takes it back, so of many concurrent tries no more
// than the rules allow get through. A locked key reserves nothing (what
// was reserved in the same call is taken back) and answers its lock.
func (s *Service) begin(ctx context.Context, key string, lo lockout) (*attempt, lockState, error) {
	now := s.now()
	hits := lo.hits(key, 1)
	tallies, err := s.store.Count(ctx, now, hits)
	if err != nil {
		return nil, lockState{}, s.storeErr(err)
	}
	st := lo.read(tallies, true)
	if !st.locked {
		return &attempt{key: key, lo: lo, now: now, tallies: tallies}, st, nil
	}
	return nil, st, s.refund(ctx, now, nil, applied(hits, tallies)...)
}

// succeed takes the reservation back: runs start again, and the try does
// not count in the other rules.
func (s *Service) succeed(ctx context.Context, a *attempt) error {
	hits := make([]Hit, len(a.lo))
	for i, r := range a.lo {
		hits[i] = Hit{Key: a.key + "/" + r.suffix, Window: r.window, Add: -1, Reset: r.run}
	}
	if _, err := s.store.Count(ctx, a.now, hits); err != nil {
		return s.storeErr(err)
	}
	return nil
}

// fail keeps the reservation as a failure and reports whether it locked
// the key: a rule that locks until a reset sets its marker (one more
// round trip, once per lock).
func (s *Service) fail(ctx context.Context, a *attempt) (lockState, error) {
	st := a.lo.read(a.tallies, false) // the counts with this failure in them
	if st.forever {
		if _, err := s.store.Count(ctx, a.now, []Hit{markerHit(a.key, 1)}); err != nil {
			return st, s.storeErr(err)
		}
	}
	return st, nil
}

// lockStatus reads key's lock under lo without reserving anything.
func (s *Service) lockStatus(ctx context.Context, key string, lo lockout) (lockState, error) {
	tallies, err := s.store.Count(ctx, s.now(), lo.hits(key, 0))
	if err != nil {
		return lockState{}, s.storeErr(err)
	}
	return lo.read(tallies, false), nil
}

// lockKey is a lockout's counter key and its rules.
type lockKey struct {
	key string
	lo  lockout
}

// lockResets are the hits that forget every failure and lock of each key.
func lockResets(keys ...lockKey) []Hit {
	var hits []Hit
	for _, k := range keys {
		for _, h := range k.lo.hits(k.key, 0) {
			h.Reset = true
			hits = append(hits, h)
		}
	}
	return hits
}
