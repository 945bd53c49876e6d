package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// A code lives in one hash, prefix + "code:{" + scope + "}", with fields
// m (the MAC), x (expiry, unix ms) and t (wrong tries so far).

// putCodeScript stores a code, replacing every field of an earlier one.
// KEYS[1] code; ARGV mac, expiry ms, tries, ttl ms.
var putCodeScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'm', ARGV[1], 'x', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// verifyCodeScript checks a MAC against the live code and consumes it, or
// counts the wrong try and deletes the code at the last one. Redis runs Lua
// 5.1, which interns every string when it is created, so == compares two
// pointers (see VerifyCode for why that is safe here).
// KEYS[1] code; ARGV mac, now ms, max tries (at least 1; VerifyCode clamps).
// Returns a security.CodeResult.
var verifyCodeScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 'm', 'x')
if not h[1] or not h[2] then return 0 end
if tonumber(h[2]) <= tonumber(ARGV[2]) then return 0 end
if h[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
local t = redis.call('HINCRBY', KEYS[1], 't', 1)
if t >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return 3
end
return 2
`)

func (s *Store) codeKey(scope string) string { return s.tagged("code", scope) }

// PutCode stores c, replacing (voiding) any code in the same scope.
func (s *Store) PutCode(ctx context.Context, c security.Code) error {
	if c.Scope == "" || len(c.MAC) == 0 {
		return fmt.Errorf("redisstore: put code: empty scope or MAC: %w", security.ErrInvalidArgument)
	}
	err := putCodeScript.Run(ctx, s.client, []string{s.codeKey(c.Scope)},
		c.MAC, ms(c.ExpiresAt), c.Tries, s.putTTL(c.ExpiresAt).Milliseconds()).Err()
	if err != nil {
		return fail(ctx, "put code", err)
	}
	return nil
}

// VerifyCode checks mac against the live code of scope at now and, in the
// same script, consumes it on a match or counts the wrong try, deleting the
// code when the count reaches maxTries. A maxTries below 1 counts as 1 (the
// first wrong try voids the code), never as "no limit", as in memstore and
// pgstore.
//
// The comparison is Lua's ==. The Lua 5.1 Redis embeds interns every
// string, so == compares two pointers; the bytes are read (hashed and, on a
// hash collision, compared) when each MAC is interned. Even
// that byte-dependent step leaks nothing usable: both sides are
// HMAC-SHA-256 outputs keyed with a secret the attacker lacks, so the
// attacker cannot steer its MAC's bytes, and learning how many leading
// bytes of HMAC(guess) equal the stored MAC says nothing about which guess
// is right; the try limit bounds guesses anyway.
func (s *Store) VerifyCode(ctx context.Context, scope string, mac []byte, now time.Time, maxTries int) (security.CodeResult, error) {
	maxTries = max(maxTries, 1)
	r, err := verifyCodeScript.Run(ctx, s.client, []string{s.codeKey(scope)}, mac, ms(now), maxTries).Int64()
	if err != nil {
		return security.CodeMissing, fail(ctx, "verify code", err)
	}
	switch res := security.CodeResult(r); res {
	case security.CodeMissing, security.CodeMatched, security.CodeWrong, security.CodeVoided:
		return res, nil
	}
	return security.CodeMissing, fmt.Errorf("redisstore: verify code: unexpected script result %d", r)
}

// DeleteCode removes the code of scope, if any. It is one DEL.
func (s *Store) DeleteCode(ctx context.Context, scope string) error {
	if err := s.client.Del(ctx, s.codeKey(scope)).Err(); err != nil {
		return fail(ctx, "delete code", err)
	}
	return nil
}
