package pgstore

import (
	"context"
	"time"

	"github.com/acctsec/security"
)

// PutCode stores c, replacing (voiding) any code in the same scope, in one
// INSERT ... ON CONFLICT statement.
func (s *Store) PutCode(ctx context.Context, c security.Code) error {
	if _, err := s.pool.Exec(ctx, s.q.putCode, c.Scope, c.MAC, toNS(c.ExpiresAt), c.Tries); err != nil {
		return wrap("put code", err)
	}
	return nil
}

// VerifyCode checks mac against the live code of scope at now and, in the
// same statement (a call of the verify_code function, which locks the row),
// consumes it on a match or counts the wrong try, deleting the code when the
// count reaches maxTries. A maxTries below 1 counts as 1: the first wrong
// try voids the code.
//
// The MACs are compared as bytea inside PostgreSQL, which is not
// constant-time. That is safe here: both sides are HMAC-SHA-256 outputs keyed
// by the Service's secret, which an attacker does not hold, so learning how
// many leading bytes of a MAC matched tells nothing about the code.
func (s *Store) VerifyCode(ctx context.Context, scope string, mac []byte, now time.Time, maxTries int) (security.CodeResult, error) {
	maxTries = max(maxTries, 1)
	var res int
	if err := s.pool.QueryRow(ctx, s.q.verifyCode, scope, mac, toNS(now), clampInt32(maxTries)).Scan(&res); err != nil {
		return security.CodeMissing, wrap("verify code", err)
	}
	return security.CodeResult(res), nil
}

// DeleteCode removes the code of scope, if any.
func (s *Store) DeleteCode(ctx context.Context, scope string) error {
	if _, err := s.pool.Exec(ctx, s.q.deleteCode, scope); err != nil {
		return wrap("delete code", err)
	}
	return nil
}
