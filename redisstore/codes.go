package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// A code lives in one hash, prefix + "code:{" + scope + "}" (or prefix +
// "{" + tag + "}:code:" + scope for a scope with a shard prefix, see
// place), with fields m (the MAC), x (expiry, unix ms) and t (wrong tries
// so far).

// putCodeScript stores a code, replacing every field of an earlier one.
// KEYS[1] code; ARGV mac, expiry ms, tries, ttl ms.
var putCodeScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'm', ARGV[1], 'x', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// verifyCodeScript checks the failure counters, then a MAC against the live
// code, which it consumes, or counts the wrong try and deletes the code at
// the last one, then moves the counters on a wrong try (scan and hit are
// counterLua's, described at countScript). Redis runs Lua 5.1, which
// interns every string when it is created, so == compares two pointers
// (see VerifyCode for why that is safe here).
// KEYS[1] code, KEYS[1+i] failure counter i; ARGV mac, now ms, max tries
// (at least 1; VerifyCode clamps), then per counter what countScript
// takes per hit: bucket number, add, max, reset ("1"/"0"), ttl ms.
// Returns {security.CodeResult, then per counter: count, applied, oldest age}.
var verifyCodeScript = redis.NewScript(counterLua + `
local out, blocked = {0}, false
for i = 2, #KEYS do
  local j, k = 5 * i - 6, 3 * i - 4
  local n, _, old = scan(KEYS[i], tonumber(ARGV[j]))
  local mx = tonumber(ARGV[j + 2])
  if mx > 0 and n + tonumber(ARGV[j + 1]) > mx then blocked = true end
  out[k], out[k + 1], out[k + 2] = n, 0, old
end
if blocked then
  out[1] = 4
  return out
end
local r = 2
local h = redis.call('HMGET', KEYS[1], 'm', 'x')
if not h[1] or not h[2] or tonumber(h[2]) <= tonumber(ARGV[2]) then
  r = 0
elseif h[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  r = 1
elseif redis.call('HINCRBY', KEYS[1], 't', 1) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  r = 3
end
out[1] = r
if r >= 2 then
  for i = 2, #KEYS do
    local j, k = 5 * i - 6, 3 * i - 4
    out[k], out[k + 1], out[k + 2] = hit(KEYS[i], ARGV[j], tonumber(ARGV[j + 1]), 0, ARGV[j + 3] == '1', tonumber(ARGV[j + 4]))
  end
end
return out
`)

func (s *Store) codeKey(scope string) string { return s.place("code", scope) }

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

// VerifyCode checks c.MAC against the live code of c.Scope at now in one
// script: it first checks every Failures hit with a Max (CodeBlocked, and
// nothing changes, when one has no room), then consumes the code on a
// match or counts the wrong try, deleting the code when the count reaches
// c.MaxTries, and on a wrong try adds every Failures hit. A MaxTries below
// 1 counts as 1 (the first wrong try voids the code), never as "no limit",
// as in memstore and pgstore.
//
// The script touches the code and its counters at once, so on Redis
// Cluster they must share a slot: the Service's scope and failure keys
// share a shard prefix, which place makes their hash tag. On any client
// but a single-node (or Sentinel) one, a check whose keys have different
// hash tags is security.ErrInvalidArgument.
//
// The comparison is Lua's ==. The Lua 5.1 Redis embeds interns every
// string, so == compares two pointers; the bytes are read (hashed and, on a
// hash collision, compared) when each MAC is interned. Even
// that byte-dependent step leaks nothing usable: both sides are
// HMAC-SHA-256 outputs keyed with a secret the attacker lacks, so the
// attacker cannot steer its MAC's bytes, and learning how many leading
// bytes of HMAC(guess) equal the stored MAC says nothing about which guess
// is right; the try limit bounds guesses anyway.
func (s *Store) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	if c.Scope == "" {
		return security.CodeMissing, nil, fmt.Errorf("redisstore: verify code: empty scope: %w", security.ErrInvalidArgument)
	}
	keys := make([]string, 1, 1+len(c.Failures))
	keys[0] = s.codeKey(c.Scope)
	args := make([]any, 3, 3+5*len(c.Failures))
	args[0], args[1], args[2] = c.MAC, ms(now), max(c.MaxTries, 1)
	cs := make([]counter, len(c.Failures))
	_, single := s.client.(*redis.Client)
	for i, h := range c.Failures {
		ct, err := s.counter("verify code", now, h)
		if err != nil {
			return security.CodeMissing, nil, err
		}
		if !single && hashTag(ct.key) != hashTag(keys[0]) {
			return security.CodeMissing, nil, fmt.Errorf("redisstore: verify code: scope and counter keys have different shard prefixes: %w", security.ErrInvalidArgument)
		}
		cs[i] = ct
		keys = append(keys, ct.key)
		args = append(args, ct.args...)
	}
	v, err := verifyCodeScript.Run(ctx, s.client, keys, args...).Int64Slice()
	if err != nil {
		return security.CodeMissing, nil, fail(ctx, "verify code", err)
	}
	if len(v) != 1+3*len(cs) {
		return security.CodeMissing, nil, fmt.Errorf("redisstore: verify code: malformed script result")
	}
	res := security.CodeResult(v[0])
	switch res {
	case security.CodeMissing, security.CodeMatched, security.CodeWrong, security.CodeVoided, security.CodeBlocked:
	default:
		return security.CodeMissing, nil, fmt.Errorf("redisstore: verify code: unexpected script result %d", v[0])
	}
	tallies := make([]security.Tally, len(cs))
	for i, ct := range cs {
		tallies[i] = ct.tally(v[1+3*i], v[2+3*i], v[3+3*i])
	}
	return res, tallies, nil
}

// DeleteCode removes the code of scope, if any. It is one DEL.
func (s *Store) DeleteCode(ctx context.Context, scope string) error {
	if err := s.client.Del(ctx, s.codeKey(scope)).Err(); err != nil {
		return fail(ctx, "delete code", err)
	}
	return nil
}
