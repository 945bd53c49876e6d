package memstore

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	security "github.com/acctsec/security"
)

type codeEntry struct {
	mac     []byte
	expires int64 // unix nanos
	tries   int
}

// PutCode applies gates at now as Count does and then, when every gate
// with a Max was applied, stores a copy of c, replacing any code of the
// same scope, and with it, in the same step, a copy of c.Ticket when set,
// as PutTicket stores it. It reports whether it stored c. An empty scope
// or MAC, or an invalid gate is an error wrapping security.ErrInvalidArgument, and
// nothing is applied. When the Store is full and the code or the ticket
// needs a new slot, it sweeps the entries expired by the Store's clock
// (see WithClock), at most once a second, and if that frees too few slots
// stores nothing, takes back what the gates added, and returns an error
// wrapping security.ErrBusy.
func (s *Store) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	if c.Scope == "" || len(c.MAC) == 0 {
		return false, nil, fmt.Errorf("memstore: put code: empty scope or MAC: %w", security.ErrInvalidArgument)
	}
	tallies, err := s.Count(ctx, now, gates)
	if err != nil {
		return false, nil, err
	}
	for i, g := range gates {
		if g.Max > 0 && !tallies[i].Applied {
			return false, tallies, nil
		}
	}
	e := codeEntry{mac: bytes.Clone(c.MAC), expires: c.ExpiresAt.UnixNano(), tries: c.Tries}
	var t *security.Ticket
	if c.Ticket != nil {
		tk := *c.Ticket
		t = &tk
	}
	sh := s.shard(c.Scope)
	if s.putCode(sh, c.Scope, e, t) {
		return true, tallies, nil
	}
	if s.sweepIfDue(s.now().UnixNano()) && s.putCode(sh, c.Scope, e, t) {
		return true, tallies, nil
	}
	var back []security.Hit
	for i, g := range gates {
		if g.Add > 0 && tallies[i].Applied {
			back = append(back, security.Hit{Key: g.Key, Window: g.Window, Add: -g.Add})
		}
	}
	if _, err := s.Count(ctx, now, back); err != nil {
		return false, nil, err
	}
	return false, nil, errFull
}

var errEmptyScope = fmt.Errorf("memstore: empty code scope: %w", security.ErrInvalidArgument)

// putCode stores e under scope, and t when it is not nil, under sh.mu and
// then ticketMu, unless they need more new slots than are free; then it
// stores nothing and reports false.
func (s *Store) putCode(sh *shard, scope string, e codeEntry, t *security.Ticket) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	need := 0
	if _, ok := sh.codes[scope]; !ok {
		need++
	}
	if t != nil {
		s.ticketMu.Lock()
		defer s.ticketMu.Unlock()
		if s.ticketTakesSlot(*t) {
			need++
		}
	}
	if !s.reserveN(need) {
		return false
	}
	sh.codes[scope] = e
	if t != nil {
		s.storeTicket(*t)
	}
	return true
}

// VerifyCode checks c at now in one step under the locks of the shards of
// c.Scope and of every failure key: first the Max of each failure hit
// (CodeBlocked, changing nothing, when one has no room), then the MAC, in
// constant time, against the live code (consumed on a match, when
// c.OnMatch, if set, is stored as PutTicket stores it, in the code's
// slot; a wrong try is counted, and the code deleted when the tries reach
// c.MaxTries, or 1 when it is below 1); on a wrong try every failure hit is applied without
// its Max. An empty scope or an invalid hit is an error wrapping
// security.ErrInvalidArgument. A wrong try always counts on the code,
// which needs no slot, so a full Store never lets a code be guessed past
// its tries. When its failure counters would need new slots and the Store
// is full, it sweeps expired entries, at most once a second, and if that
// frees too few slots applies none of them and returns an error wrapping
// security.ErrBusy.
func (s *Store) VerifyCode(_ context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	if c.Scope == "" {
		return security.CodeMissing, nil, errEmptyScope
	}
	for i, h := range c.Failures {
		if err := checkHit(h); err != nil {
			return security.CodeMissing, nil, fmt.Errorf("memstore: failure hit %d: %w", i, err)
		}
	}
	n := now.UnixNano()
	res, tallies, full := s.verifyCode(n, c)
	if full && s.sweepIfDue(n) {
		tallies, full = s.lockedFailures(c.Failures, n)
	}
	if full {
		return security.CodeMissing, nil, fmt.Errorf("memstore: full (see WithMaxEntries): the wrong try counted on the code, but there was no room for its failure counters: %w", security.ErrBusy)
	}
	return res, tallies, nil
}

// verifyCode is VerifyCode with its arguments checked: it reports full,
// having counted the wrong try on the code but applied no failure hit,
// when the hits need more new counters than the Store has free slots.
func (s *Store) verifyCode(n int64, c security.CodeCheck) (security.CodeResult, []security.Tally, bool) {
	keys := make([]string, 0, 1+len(c.Failures))
	keys = append(keys, c.Scope)
	for _, h := range c.Failures {
		keys = append(keys, h.Key)
	}
	locked := s.lockShards(keys)
	defer s.unlockShards(locked)

	tallies := make([]security.Tally, len(c.Failures))
	blocked := false
	for i, h := range c.Failures {
		var refused bool
		tallies[i], refused = peek(s.shard(h.Key), h, n)
		blocked = blocked || refused
	}
	if blocked {
		return security.CodeBlocked, tallies, false
	}

	sh := s.shard(c.Scope)
	e, ok := sh.codes[c.Scope]
	switch {
	case !ok:
		return security.CodeMissing, tallies, false
	case n >= e.expires:
		s.deleteCode(sh, c.Scope)
		return security.CodeMissing, tallies, false
	case subtle.ConstantTimeCompare(e.mac, c.MAC) == 1:
		if c.OnMatch != nil {
			s.consumeCodeFor(sh, c.Scope, *c.OnMatch)
		} else {
			s.deleteCode(sh, c.Scope)
		}
		return security.CodeMatched, tallies, false
	}

	res := security.CodeWrong
	if e.tries++; e.tries >= max(c.MaxTries, 1) {
		s.deleteCode(sh, c.Scope)
		res = security.CodeVoided
	} else {
		sh.codes[c.Scope] = e
	}
	tallies, full := s.addFailures(c.Failures, n)
	return res, tallies, full
}

// addFailures applies the failure hits of a wrong try without their Max,
// all or none: it takes the slots of the counters they create first, and
// reports full, applying nothing, when there are too few. The caller holds
// the shard locks of their keys.
func (s *Store) addFailures(hits []security.Hit, n int64) ([]security.Tally, bool) {
	prepaid := s.newCounters(hits)
	if !s.reserveN(prepaid) {
		return nil, true
	}
	tallies := make([]security.Tally, len(hits))
	for i, h := range hits {
		tallies[i], _ = s.hit(s.shard(h.Key), h, n, false, &prepaid)
	}
	s.release(prepaid)
	return tallies, false
}

// lockedFailures is addFailures under the locks of the hits' shards.
func (s *Store) lockedFailures(hits []security.Hit, n int64) ([]security.Tally, bool) {
	keys := make([]string, len(hits))
	for i, h := range hits {
		keys[i] = h.Key
	}
	locked := s.lockShards(keys)
	defer s.unlockShards(locked)
	return s.addFailures(hits, n)
}

// consumeCodeFor deletes the code of scope, which exists, and stores t as
// PutTicket does, under ticketMu. A new ticket takes the code's slot, so
// a match never needs a free one. The caller holds sh.mu.
func (s *Store) consumeCodeFor(sh *shard, scope string, t security.Ticket) {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	delete(sh.codes, scope)
	if !s.ticketTakesSlot(t) {
		s.release(1)
	}
	s.storeTicket(t)
}

// newCounters returns how many counters applying hits would create at
// most: their distinct keys with no counter and a positive Add. The
// caller holds the shard locks of the keys.
func (s *Store) newCounters(hits []security.Hit) int {
	n := 0
	for i, h := range hits {
		if _, ok := s.shard(h.Key).counters[h.Key]; ok || h.Add <= 0 {
			continue
		}
		if !slices.ContainsFunc(hits[:i], func(p security.Hit) bool { return p.Key == h.Key && p.Add > 0 }) {
			n++
		}
	}
	return n
}

// DeleteCode removes the code of scope, if any.
func (s *Store) DeleteCode(_ context.Context, scope string) error {
	sh := s.shard(scope)
	sh.mu.Lock()
	s.deleteCode(sh, scope)
	sh.mu.Unlock()
	return nil
}

// deleteCode removes the code of scope, if any, and gives back its slot.
// The caller holds sh.mu.
func (s *Store) deleteCode(sh *shard, scope string) {
	if _, ok := sh.codes[scope]; ok {
		delete(sh.codes, scope)
		s.release(1)
	}
}
