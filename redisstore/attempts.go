package redisstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// Failure counters of one key live in two keys with one hash tag:
//
//	prefix + "att:{" + key + "}"      hash: c consecutive failures,
//	                                  l locked until (unix ms), f forever ("1")
//	prefix + "att:{" + key + "}:log"  sorted set: reserved attempt IDs scored
//	                                  by unix ms, pruned to the policy Window
//
// Both expire when the last change's window ends (plus any running lock),
// or 30 days after it under a policy that counts consecutive failures; a
// forever lock has no TTL.

// beginAttemptScript reserves one attempt. KEYS[1] state, KEYS[2] log;
// ARGV now ms, id, prune bound (inclusive; "" when Window is 0), window ms,
// window max, window locks until clear ("1"/"0"), consecutive, lock for ms,
// max consecutive, ttl ms.
// Returns {allowed, locked until ms, forever}.
var beginAttemptScript = redis.NewScript(`
local now, win, wmax = tonumber(ARGV[1]), tonumber(ARGV[4]), tonumber(ARGV[5])
local wluc = ARGV[6] == '1'
local cons, lockfor, maxc = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local ttl = tonumber(ARGV[10])
if win > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
else
  redis.call('DEL', KEYS[2])
end
local st = redis.call('HMGET', KEYS[1], 'c', 'l', 'f')
local c, lu = tonumber(st[1] or '0'), tonumber(st[2] or '0')
if st[3] == '1' then return {0, 0, 1} end
if lu > now then return {0, lu, 0} end
if wmax > 0 and win > 0 then
  local n = redis.call('ZCARD', KEYS[2])
  if n >= wmax then
    if wluc then
      redis.call('HSET', KEYS[1], 'f', '1')
      redis.call('PERSIST', KEYS[1])
      redis.call('PERSIST', KEYS[2])
      return {0, 0, 1}
    end
    local e = redis.call('ZRANGE', KEYS[2], n - wmax, n - wmax, 'WITHSCORES')
    return {0, tonumber(e[2]) + win, 0}
  end
end
c = c + 1
redis.call('HSET', KEYS[1], 'c', c)
if win > 0 then redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2]) end
if cons > 0 and c % cons == 0 then
  lu = now + lockfor
  redis.call('HSET', KEYS[1], 'l', lu)
end
local forever = maxc > 0 and c >= maxc
if wluc and wmax > 0 and win > 0 and redis.call('ZCARD', KEYS[2]) >= wmax then forever = true end
if forever then
  redis.call('HSET', KEYS[1], 'f', '1')
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
else
  if lu > now then ttl = ttl + lu - now end
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {1, 0, 0}
`)

// succeedAttemptScript resets the consecutive count, lifts every lock and
// drops the attempt from the log. KEYS[1] state, KEYS[2] log; ARGV id, ttl ms.
var succeedAttemptScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`)

// attemptStatusScript reports the lock without changing anything.
// KEYS[1] state, KEYS[2] log; ARGV now ms, "(" + window start ms, window ms,
// window max, window locks until clear ("1"/"0").
// Returns {allowed, locked until ms, forever}.
var attemptStatusScript = redis.NewScript(`
local now, win, wmax = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 'l', 'f')
if st[2] == '1' then return {0, 0, 1} end
local lu = tonumber(st[1] or '0')
if lu > now then return {0, lu, 0} end
if wmax > 0 and win > 0 then
  local n = redis.call('ZCOUNT', KEYS[2], ARGV[2], '+inf')
  if n >= wmax then
    if ARGV[5] == '1' then return {0, 0, 1} end
    local e = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', n - wmax, 1)
    return {0, tonumber(e[2]) + win, 0}
  end
end
return {1, 0, 0}
`)

func (s *Store) attemptKeys(key string) []string {
	k := s.tagged("att", key)
	return []string{k, k + ":log"}
}

// BeginAttempt reserves one attempt of key at now under p. A reserved
// attempt counts as a failure until SucceedAttempt says otherwise, so of
// many concurrent attempts no more than the policy allows are let through.
// When the reservation reaches a limit of p the lock starts now.
func (s *Store) BeginAttempt(ctx context.Context, key string, now time.Time, p security.LockPolicy) (security.Attempt, error) {
	n := ms(now)
	win := p.Window.Milliseconds()
	prune := ""
	if win > 0 {
		prune = strconv.FormatInt(n-win, 10)
	}
	id := rand.Text()
	v, err := beginAttemptScript.Run(ctx, s.client, s.attemptKeys(key),
		n, id, prune, win, p.WindowMax, flag(p.WindowLocksUntilClear),
		p.Consecutive, p.LockFor.Milliseconds(), p.MaxConsecutive, keepFor(p).Milliseconds()).Int64Slice()
	a, err := decodeAttempt(ctx, "begin attempt", v, err)
	if a.Allowed {
		a.ID = id
	}
	return a, err
}

// keepFor is how long a key's state outlives its last change under p: its
// window, or the run memory when p counts consecutive failures.
func keepFor(p security.LockPolicy) time.Duration {
	if p.Consecutive > 0 || p.MaxConsecutive > 0 {
		return max(attemptTTL, p.Window)
	}
	return max(p.Window, time.Minute)
}

// SucceedAttempt records that attempt id of key succeeded: the consecutive
// count is reset, the attempt stops counting as a failure, and every lock
// (including one set by reservations still in flight) is lifted.
func (s *Store) SucceedAttempt(ctx context.Context, key, id string, now time.Time) error {
	err := succeedAttemptScript.Run(ctx, s.client, s.attemptKeys(key), id, attemptTTL.Milliseconds()).Err()
	if err != nil {
		return fail(ctx, "succeed attempt", err)
	}
	return nil
}

// AttemptStatus reports key's lock at now under p without reserving
// anything; Allowed is true when it is not locked.
func (s *Store) AttemptStatus(ctx context.Context, key string, now time.Time, p security.LockPolicy) (security.Attempt, error) {
	n := ms(now)
	win := p.Window.Milliseconds()
	v, err := attemptStatusScript.Run(ctx, s.client, s.attemptKeys(key),
		n, "("+strconv.FormatInt(n-win, 10), win, p.WindowMax, flag(p.WindowLocksUntilClear)).Int64Slice()
	return decodeAttempt(ctx, "attempt status", v, err)
}

// ClearAttempts forgets every failure and lock of key. It is one DEL of
// both keys (same slot).
func (s *Store) ClearAttempts(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.attemptKeys(key)...).Err(); err != nil {
		return fail(ctx, "clear attempts", err)
	}
	return nil
}

func decodeAttempt(ctx context.Context, op string, v []int64, err error) (security.Attempt, error) {
	if err != nil {
		return security.Attempt{}, fail(ctx, op, err)
	}
	if len(v) != 3 {
		return security.Attempt{}, fmt.Errorf("redisstore: %s: malformed script result", op)
	}
	a := security.Attempt{Allowed: v[0] == 1, Forever: v[2] == 1}
	if !a.Allowed && !a.Forever {
		a.LockedUntil = fromMS(v[1])
	}
	return a, nil
}
