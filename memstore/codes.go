package memstore

import (
	"bytes"
	"context"
	"crypto/subtle"
	"time"

	security "github.com/acctsec/security"
)

type codeEntry struct {
	mac     []byte
	expires int64 // unix nanos
	tries   int
}

// PutCode stores a copy of c, replacing any code of the same scope. When
// the Store is full and the scope has no code, it sweeps the entries
// expired by the Store's clock (see WithClock), at most once a second, and
// if that frees no slot stores nothing and returns an error wrapping
// security.ErrBusy.
func (s *Store) PutCode(_ context.Context, c security.Code) error {
	e := codeEntry{mac: bytes.Clone(c.MAC), expires: c.ExpiresAt.UnixNano(), tries: c.Tries}
	sh := s.shard(c.Scope)
	if s.putCode(sh, c.Scope, e) {
		return nil
	}
	if s.sweepIfDue(s.now().UnixNano()) && s.putCode(sh, c.Scope, e) {
		return nil
	}
	return errFull
}

// putCode stores e under scope unless scope is new and no slot is free.
func (s *Store) putCode(sh *shard, scope string, e codeEntry) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.codes[scope]; !ok && !s.reserve() {
		return false
	}
	sh.codes[scope] = e
	return true
}

// VerifyCode compares mac with the live code of scope in constant time and,
// under the shard lock, consumes the code on a match or counts the wrong
// try, deleting the code when the tries reach maxTries.
func (s *Store) VerifyCode(_ context.Context, scope string, mac []byte, now time.Time, maxTries int) (security.CodeResult, error) {
	sh := s.shard(scope)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.codes[scope]
	if !ok {
		return security.CodeMissing, nil
	}
	if now.UnixNano() >= e.expires {
		s.deleteCode(sh, scope)
		return security.CodeMissing, nil
	}
	if subtle.ConstantTimeCompare(e.mac, mac) == 1 {
		s.deleteCode(sh, scope)
		return security.CodeMatched, nil
	}
	e.tries++
	if e.tries >= maxTries {
		s.deleteCode(sh, scope)
		return security.CodeVoided, nil
	}
	sh.codes[scope] = e
	return security.CodeWrong, nil
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
