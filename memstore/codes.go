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

// PutCode stores a copy of c, replacing any code of the same scope.
func (s *Store) PutCode(_ context.Context, c security.Code) error {
	e := codeEntry{mac: bytes.Clone(c.MAC), expires: c.ExpiresAt.UnixNano(), tries: c.Tries}
	sh := s.shard(c.Scope)
	sh.mu.Lock()
	sh.codes[c.Scope] = e
	sh.mu.Unlock()
	return nil
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
		delete(sh.codes, scope)
		return security.CodeMissing, nil
	}
	if subtle.ConstantTimeCompare(e.mac, mac) == 1 {
		delete(sh.codes, scope)
		return security.CodeMatched, nil
	}
	e.tries++
	if e.tries >= maxTries {
		delete(sh.codes, scope)
		return security.CodeVoided, nil
	}
	sh.codes[scope] = e
	return security.CodeWrong, nil
}

// DeleteCode removes the code of scope, if any.
func (s *Store) DeleteCode(_ context.Context, scope string) error {
	sh := s.shard(scope)
	sh.mu.Lock()
	delete(sh.codes, scope)
	sh.mu.Unlock()
	return nil
}
