package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// A counter is one hash, prefix + "cnt:{" + key + "}" (or prefix + "{" +
// tag + "}:cnt:" + key for a key with a shard prefix, see place). Its
// fields are bucket numbers, its values the events of each bucket (never
// zero: an emptied bucket is deleted). A bucket number is the bucket index
// of security.CounterBuckets modulo 2^52, so that Lua, whose numbers are
// doubles, computes with it exactly: a bucket d = (current - field) mod
// 2^52 buckets old is counted when d <= 12, kept uncounted when it lies up
// to 12 buckets ahead (a caller whose now runs behind another's), and
// deleted otherwise. Every script run on a counter deletes what it no
// longer counts, so the hash holds at most 25 fields and every hit costs
// the same whatever the number of events. A field is ambiguous only if it
// survived 2^52 buckets (52 days of 1 ns buckets) untouched, which its TTL
// prevents.
//
// The TTL is relative, set when events are added: the end of the bucket of
// now, plus the window, plus a minute, minus now; it is never shortened.

// counterLua defines scan and hit, shared by countScript and
// verifyCodeScript.
const counterLua = `
local M = 4503599627370496
local function scan(k, c)
  local f = redis.call('HGETALL', k)
  local n, cv, old, drop = 0, 0, -1, {}
  for i = 1, #f, 2 do
    local d = (c - tonumber(f[i])) % M
    if d <= 12 then
      local v = tonumber(f[i + 1])
      n = n + v
      if d == 0 then cv = v end
      if d > old then old = d end
    elseif d < M - 12 then
      drop[#drop + 1] = f[i]
    end
  end
  if #drop > 0 then redis.call('HDEL', k, unpack(drop)) end
  return n, cv, old
end
local function hit(k, cs, add, mx, reset, ttl)
  local n, cv, old = scan(k, tonumber(cs))
  if mx > 0 and (reset and 0 or n) + add > mx then return n, 0, old end
  if reset then
    redis.call('DEL', k)
    n, cv, old = 0, 0, -1
  end
  if add ~= 0 then
    local v = cv + add
    if v < 0 then v = 0 end
    n = n + v - cv
    if v > 0 then
      redis.call('HSET', k, cs, v)
      if old < 0 then old = 0 end
      if add > 0 and redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
    else
      redis.call('HDEL', k, cs)
      if old == 0 then old = -1 end
    end
  end
  return n, 1, old
end
`

// countScript applies one hit. scan(k, c) returns the count of counter k at
// bucket number c, the events of bucket c, and the age in buckets of the
// oldest counted bucket holding events (-1 when none); hit(k, cs, add,
// max, reset, ttl) empties k when reset and adds add to bucket cs, neither
// when max > 0 and the count (0 after a reset) plus add would exceed it,
// and returns the count after, whether it applied (1/0), and the age of
// the oldest counted bucket.
// KEYS[1] counter; ARGV bucket number, add, max, reset ("1"/"0"), ttl ms.
// Returns {count, applied, oldest age}.
var countScript = redis.NewScript(counterLua + `
local n, a, o = hit(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5]))
return {n, a, o}
`)

// bucketMod is the modulus of the bucket numbers stored as fields, 2^52:
// below 2^53, so Lua's doubles hold every number and difference exactly.
const bucketMod = 1 << 52

// counter is one validated hit, placed and bucketed at now.
type counter struct {
	key    string // the Redis key
	bucket int64  // the bucket index of now
	width  int64  // the bucket width, ns
	args   []any  // the bucket number, Add, Max, Reset, TTL ms
}

// counter validates h and computes what a script needs to apply it at now:
// the bucket of now is floor(now.UnixNano() / width), width being the
// Window over security.CounterBuckets in whole nanoseconds.
func (s *Store) counter(op string, now time.Time, h security.Hit) (counter, error) {
	if h.Key == "" || h.Window < security.CounterBuckets {
		return counter{}, fmt.Errorf("redisstore: %s: empty key or window below %d ns: %w", op, security.CounterBuckets, security.ErrInvalidArgument)
	}
	w := int64(h.Window) / security.CounterBuckets
	t := now.UnixNano()
	b := t / w
	if t%w < 0 {
		b-- // floor, for times before 1970
	}
	life := time.Duration((b+1)*w+int64(h.Window)-t) + ttlMargin
	ttl := (life + time.Millisecond - 1).Milliseconds()
	num := (b%bucketMod + bucketMod) % bucketMod
	return counter{
		key:    s.place("cnt", h.Key),
		bucket: b,
		width:  w,
		args:   []any{strconv.FormatInt(num, 10), h.Add, max(h.Max, 0), flag(h.Reset), ttl},
	}, nil
}

// tally turns a script's count, applied flag and oldest age into a Tally:
// the oldest counted bucket with events leaves the window CounterBuckets+1
// buckets after it began.
func (c counter) tally(n, applied, old int64) security.Tally {
	t := security.Tally{Count: int(n), Applied: applied == 1}
	if n > 0 && old >= 0 {
		t.Next = time.Unix(0, (c.bucket-old+security.CounterBuckets+1)*c.width).UTC()
	}
	return t
}

// Count applies hits in order at now and reports each counter after its
// hit. Every hit is validated before any is sent, so an invalid one
// (security.ErrInvalidArgument) applies nothing. The batch is one round
// trip: a pipeline of one EVALSHA per hit, each atomic on its key. A
// pipeline keeps its order on a connection, and hits on one key go to one
// node (a Cluster client splits the pipeline per node), so hits on one key
// apply in order. When a server has lost its script cache, the hits that
// met NOSCRIPT are sent again, in order, with EVAL.
func (s *Store) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	cs := make([]counter, len(hits))
	for i, h := range hits {
		c, err := s.counter("count", now, h)
		if err != nil {
			return nil, err
		}
		cs[i] = c
	}
	out := make([]security.Tally, len(hits))
	if len(hits) == 0 {
		return out, nil
	}
	cmds := make([]*redis.Cmd, len(cs))
	todo := make([]int, len(cs))
	for i := range todo {
		todo[i] = i
	}
	for _, eval := range []bool{false, true} {
		pipe := s.client.Pipeline()
		for _, i := range todo {
			keys := []string{cs[i].key}
			if eval {
				cmds[i] = countScript.Eval(ctx, pipe, keys, cs[i].args...)
			} else {
				cmds[i] = countScript.EvalSha(ctx, pipe, keys, cs[i].args...)
			}
		}
		_, _ = pipe.Exec(ctx) // every command's error is read below
		var again []int
		for _, i := range todo {
			if err := cmds[i].Err(); err != nil {
				if !eval && redis.HasErrorPrefix(err, "NOSCRIPT") {
					again = append(again, i)
					continue
				}
				return nil, fail(ctx, "count", err)
			}
		}
		if todo = again; len(todo) == 0 {
			break
		}
	}
	for i, cmd := range cmds {
		v, err := cmd.Int64Slice()
		if err != nil || len(v) != 3 {
			return nil, fmt.Errorf("redisstore: count: malformed script result")
		}
		out[i] = cs[i].tally(v[0], v[1], v[2])
	}
	return out, nil
}
