package memstore

import (
	"context"
	"strconv"
	"time"

	security "github.com/acctsec/security"
)

// runMemory is how long a run of consecutive failures with no lock and no
// failure left in a window is remembered after its last change.
const runMemory = 30 * 24 * time.Hour

// attemptEntry is the failure state of one key.
type attemptEntry struct {
	fails       []attemptFail // within window, ascending by time
	window      int64         // the policy Window last used, for pruning
	consecutive int
	lockedUntil int64 // unix nanos; 0 when not locked
	changed     int64 // unix nanos of the last change
	forever     bool
}

type attemptFail struct {
	id uint64
	at int64
}

// prune drops the failures that have left the window at now.
func (e *attemptEntry) prune(now int64) {
	i := 0
	for i < len(e.fails) && e.fails[i].at <= now-e.window {
		i++
	}
	if i > 0 {
		e.fails = append(e.fails[:0], e.fails[i:]...)
	}
	if len(e.fails) == 0 {
		e.fails = nil
	}
}

// idle reports whether e (pruned at now) holds nothing worth keeping.
func (e *attemptEntry) idle(now int64) bool {
	return !e.forever && e.lockedUntil <= now && len(e.fails) == 0 &&
		(e.consecutive == 0 || now-e.changed >= int64(runMemory))
}

// status returns the lock of e at now under p, or ok when not locked.
func (e *attemptEntry) status(now int64, p security.LockPolicy) (a security.Attempt, ok bool) {
	switch {
	case e.forever:
		return security.Attempt{Forever: true}, false
	case e.lockedUntil > now:
		return security.Attempt{LockedUntil: time.Unix(0, e.lockedUntil).UTC()}, false
	case p.WindowMax > 0 && len(e.fails) >= p.WindowMax:
		if p.WindowLocksUntilClear {
			return security.Attempt{Forever: true}, false
		}
		// Room returns when the WindowMax-th most recent failure leaves.
		until := e.fails[len(e.fails)-p.WindowMax].at + int64(p.Window)
		return security.Attempt{LockedUntil: time.Unix(0, until).UTC()}, false
	}
	return security.Attempt{Allowed: true}, true
}

// loadAttempt returns the entry of key pruned at now under window. The caller
// holds sh.mu.
func (sh *shard) loadAttempt(key string, now int64, window time.Duration) attemptEntry {
	e := sh.attempts[key]
	e.window = int64(window)
	e.prune(now)
	return e
}

// storeAttempt saves e, or deletes key when e holds nothing. The caller
// holds sh.mu and, when key is not in sh.attempts, has reserved a slot for
// it, which storeAttempt gives back if e holds nothing.
func (s *Store) storeAttempt(sh *shard, key string, e attemptEntry, now int64) {
	if e.idle(now) {
		delete(sh.attempts, key)
		s.release(1)
		return
	}
	sh.attempts[key] = e
}

// BeginAttempt reserves one attempt of key at now under p: the attempt
// counts as a failure until SucceedAttempt. When key is locked it reserves
// nothing and reports the lock. When the Store is full and key is new, it
// reserves nothing and reports a lock of one minute, after one sweep of
// expired entries at most every second failed to make room.
func (s *Store) BeginAttempt(_ context.Context, key string, now time.Time, p security.LockPolicy) (security.Attempt, error) {
	n := now.UnixNano()
	sh := s.shard(key)
	a, full := s.beginAttempt(sh, key, n, p)
	if full && s.sweepIfDue(n) {
		a, full = s.beginAttempt(sh, key, n, p)
	}
	if full {
		return security.Attempt{LockedUntil: now.Add(fullWait).UTC()}, nil
	}
	return a, nil
}

// beginAttempt is BeginAttempt under the lock of sh: it returns the
// attempt, or full when key is new and no slot is free.
func (s *Store) beginAttempt(sh *shard, key string, n int64, p security.LockPolicy) (security.Attempt, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.attempts[key]; !ok && !s.reserve() {
		return security.Attempt{}, true
	}
	e := sh.loadAttempt(key, n, p.Window)
	if a, ok := e.status(n, p); !ok {
		s.storeAttempt(sh, key, e, n)
		return a, false
	}

	id := s.ids.Add(1)
	if p.Consecutive > 0 || p.MaxConsecutive > 0 {
		// A run is counted, and remembered for runMemory, only under a
		// policy that has a rule for it: a window-only key (failures per
		// destination) is forgotten once its window passes.
		e.consecutive++
	}
	if p.Window > 0 {
		i := len(e.fails)
		for i > 0 && e.fails[i-1].at > n {
			i--
		}
		e.fails = append(e.fails, attemptFail{})
		copy(e.fails[i+1:], e.fails[i:])
		e.fails[i] = attemptFail{id: id, at: n}
	}
	if p.Consecutive > 0 && e.consecutive%p.Consecutive == 0 {
		e.lockedUntil = n + int64(p.LockFor)
	}
	if p.MaxConsecutive > 0 && e.consecutive >= p.MaxConsecutive {
		e.forever = true
	}
	if p.WindowMax > 0 && p.WindowLocksUntilClear && len(e.fails) >= p.WindowMax {
		e.forever = true
	}
	e.changed = n
	s.storeAttempt(sh, key, e, n)
	return security.Attempt{Allowed: true, ID: strconv.FormatUint(id, 36)}, false
}

// SucceedAttempt records that attempt id of key succeeded: the run of
// consecutive failures ends, the attempt leaves the window, and any lock is
// lifted.
func (s *Store) SucceedAttempt(_ context.Context, key, id string, now time.Time) error {
	n := now.UnixNano()
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.attempts[key]
	if !ok {
		return nil
	}
	e.prune(n)
	if num, err := strconv.ParseUint(id, 36, 64); err == nil {
		for i, f := range e.fails {
			if f.id == num {
				e.fails = append(e.fails[:i], e.fails[i+1:]...)
				break
			}
		}
	}
	e.consecutive = 0
	e.lockedUntil = 0
	e.forever = false
	e.changed = n
	s.storeAttempt(sh, key, e, n)
	return nil
}

// AttemptStatus reports key's lock at now under p without reserving
// anything.
func (s *Store) AttemptStatus(_ context.Context, key string, now time.Time, p security.LockPolicy) (security.Attempt, error) {
	n := now.UnixNano()
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.loadAttempt(key, n, p.Window)
	a, _ := e.status(n, p)
	return a, nil
}

// ClearAttempts forgets every failure and lock of key.
func (s *Store) ClearAttempts(_ context.Context, key string) error {
	sh := s.shard(key)
	sh.mu.Lock()
	if _, ok := sh.attempts[key]; ok {
		delete(sh.attempts, key)
		s.release(1)
	}
	sh.mu.Unlock()
	return nil
}
