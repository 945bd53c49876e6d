package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// A rate-limit key is one sorted set, prefix + "rl:{" + key + "}": a
// sliding-window log whose members are unique event IDs scored by their
// unix ms. One log serves every window; it is trimmed to the longest one.

// allowScript checks every window and, when all have room, records one
// event. KEYS[1] log; ARGV now ms, member, trim bound (inclusive), ttl ms,
// then per window: "(" + window start ms, period ms, max.
// Returns 0 when recorded, else the ms until every window has room.
var allowScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local wait = 0
for i = 5, #ARGV, 3 do
  local period, max = tonumber(ARGV[i+1]), tonumber(ARGV[i+2])
  local n = redis.call('ZCOUNT', KEYS[1], ARGV[i], '+inf')
  if n >= max then
    local e = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[i], '+inf', 'WITHSCORES', 'LIMIT', n - max, 1)
    local w = tonumber(e[2]) + period - now
    if w < 1 then w = 1 end
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0
`)

func (s *Store) allowKey(key string) string { return s.tagged("rl", key) }

// Allow checks key's events against every window at now (a window covers
// (now-Period, now]). When all have room it records one event and returns
// 0; otherwise it records nothing and returns how long until every window
// has room again. A window with a Period under a millisecond or a Max
// below 1 is refused with security.ErrInvalidArgument.
func (s *Store) Allow(ctx context.Context, key string, now time.Time, windows []security.Window) (time.Duration, error) {
	if len(windows) == 0 {
		return 0, nil
	}
	n := ms(now)
	var longest int64
	args := make([]any, 0, 4+3*len(windows))
	args = append(args, n, eventID(), "", "")
	for _, w := range windows {
		p := w.Period.Milliseconds()
		if p <= 0 || w.Max < 1 {
			return 0, fmt.Errorf("redisstore: allow: window %s/%d: %w", w.Period, w.Max, security.ErrInvalidArgument)
		}
		longest = max(longest, p)
		args = append(args, "("+strconv.FormatInt(n-p, 10), p, w.Max)
	}
	args[2] = n - longest
	args[3] = (time.Duration(longest)*time.Millisecond + ttlMargin).Milliseconds()
	wait, err := allowScript.Run(ctx, s.client, []string{s.allowKey(key)}, args...).Int64()
	if err != nil {
		return 0, fail(ctx, "allow", err)
	}
	return time.Duration(wait) * time.Millisecond, nil
}

// eventID returns a random member name for one rate-limit event.
func eventID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
