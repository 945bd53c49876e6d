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

// counterLua defines scan, refuses and hit, shared by countScript,
// putCodeScript and verifyCodeScript. A Max counts the buckets ahead of
// the hit's own too (kept but not counted, see above), so callers whose
// clocks or requests arrive out of order never get more past it than it
// allows.
const counterLua = `
local M = 4503599627370496
local function scan(k, c)
  local f = redis.call('HGETALL', k)
  local n, cv, old, ahead, drop = 0, 0, -1, 0, {}
  for i = 1, #f, 2 do
    local d = (c - tonumber(f[i])) % M
    if d <= 12 then
      local v = tonumber(f[i + 1])
      n = n + v
      if d == 0 then cv = v end
      if d > old then old = d end
    elseif d < M - 12 then
      drop[#drop + 1] = f[i]
    else
      ahead = ahead + tonumber(f[i + 1])
    end
  end
  if #drop > 0 then redis.call('HDEL', k, unpack(drop)) end
  return n, cv, old, ahead
end
local function refuses(n, ahead, add, mx, reset)
  return mx > 0 and (reset and 0 or n + ahead) + add > mx
end
local function hit(k, cs, add, mx, reset, ttl)
  local n, cv, old, ahead = scan(k, tonumber(cs))
  if refuses(n, ahead, add, mx, reset) then return n, 0, old end
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

// countScript applies a batch of hits in order, each with hit, and so
// each atomic on its counter. scan(k, c) returns the count of counter k
// at bucket number c, the events of bucket c, the age in buckets of the
// oldest counted bucket holding events (-1 when none), and the events of
// the buckets ahead of c; hit(k, cs, add, max, reset, ttl) empties k when
// reset and adds add to bucket cs, neither when max > 0 and the count with
// the buckets ahead (0 after a reset) plus add would exceed it,
// and returns the count after, whether it applied (1/0), and the age of
// the oldest counted bucket.
// KEYS[i] the counter of hit i; ARGV five per hit: bucket number, add,
// max, reset ("1"/"0"), ttl ms.
// Returns {count, applied, oldest age} per hit, one after the other.
var countScript = redis.NewScript(counterLua + `
local out = {}
for i = 1, #KEYS do
  local j, k = 5 * i - 4, 3 * i - 2
  out[k], out[k + 1], out[k + 2] = hit(KEYS[i], ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), ARGV[j + 3] == '1', tonumber(ARGV[j + 4]))
end
return out
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
// trip: a pipeline of countScript calls, one per group of hits that may
// share a script (see batches), each applying its hits in order, each hit
// atomic on its key. The hits of one key are in one call, so they apply in
// order. When a server has lost its script cache, the calls that met
// NOSCRIPT (which applied nothing) are sent again with EVAL.
func (s *Store) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	cs, err := s.counters("count", now, hits)
	if err != nil {
		return nil, err
	}
	return s.count(ctx, cs)
}

// counters validates hits and places them at now (see counter); op names
// the operation in errors.
func (s *Store) counters(op string, now time.Time, hits []security.Hit) ([]counter, error) {
	cs := make([]counter, len(hits))
	for i, h := range hits {
		c, err := s.counter(op, now, h)
		if err != nil {
			return nil, err
		}
		cs[i] = c
	}
	return cs, nil
}

// tallies decodes a script's count, applied flag and oldest age per
// counter of cs, three numbers each from v[from].
func tallies(cs []counter, v []int64, from int) []security.Tally {
	out := make([]security.Tally, len(cs))
	for i, c := range cs {
		j := from + 3*i
		out[i] = c.tally(v[j], v[j+1], v[j+2])
	}
	return out
}

// count is Count of hits already validated and placed.
func (s *Store) count(ctx context.Context, cs []counter) ([]security.Tally, error) {
	out := make([]security.Tally, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	calls := s.batches(cs)
	keys := make([][]string, len(calls))
	args := make([][]any, len(calls))
	allKeys := make([]string, 0, len(cs)) // the calls' keys and arguments, back to back
	allArgs := make([]any, 0, 5*len(cs))
	for g, call := range calls {
		k, a := len(allKeys), len(allArgs)
		for _, i := range call {
			allKeys = append(allKeys, cs[i].key)
			allArgs = append(allArgs, cs[i].args...)
		}
		keys[g], args[g] = allKeys[k:], allArgs[a:]
	}
	cmds := make([]*redis.Cmd, len(calls))
	todo := make([]int, len(calls))
	for g := range todo {
		todo[g] = g
	}
	for _, eval := range []bool{false, true} {
		pipe := s.client.Pipeline()
		for _, g := range todo {
			if eval {
				cmds[g] = countScript.Eval(ctx, pipe, keys[g], args[g]...)
			} else {
				cmds[g] = countScript.EvalSha(ctx, pipe, keys[g], args[g]...)
			}
		}
		_, _ = pipe.Exec(ctx) // every command's error is read below
		var again []int
		for _, g := range todo {
			if err := cmds[g].Err(); err != nil {
				if !eval && redis.HasErrorPrefix(err, "NOSCRIPT") {
					again = append(again, g)
					continue
				}
				return nil, fail(ctx, "count", err)
			}
		}
		if todo = again; len(todo) == 0 {
			break
		}
	}
	for g, cmd := range cmds {
		v, err := cmd.Int64Slice()
		if err != nil || len(v) != 3*len(calls[g]) {
			return nil, fmt.Errorf("redisstore: count: malformed script result")
		}
		for j, i := range calls[g] {
			out[i] = cs[i].tally(v[3*j], v[3*j+1], v[3*j+2])
		}
	}
	return out, nil
}

// maxCallHits bounds a script call: batches starts a new call for a new
// key once the call holds this many hits, so that one call never holds the
// server for long (Redis runs nothing else meanwhile). Only further hits
// of keys a call already has can make it longer. The script never unpacks
// its arguments, so no Lua stack limit applies whatever the length.
const maxCallHits = 256

// shard is where the client sends a key: its Cluster slot on a Cluster
// client, its hash tag on any other sharding client (a Ring shards by the
// tag), nothing on a single node.
type shard struct {
	slot int
	tag  string
}

// batches groups the hits of cs (their indexes, in batch order) into
// script calls. A call's keys must lie on one node: on a single-node or
// Sentinel client (*redis.Client) any do, on a Cluster client those of
// one slot, on any other client (a Ring) those of one hash tag. A call
// takes at most maxCallHits hits, except that every hit of a key goes to
// the call of the key's first hit, so a key's hits stay in one call
// whatever the order the calls run or are sent again in.
func (s *Store) batches(cs []counter) [][]int {
	if s.perHit {
		calls := make([][]int, len(cs))
		for i := range cs {
			calls[i] = []int{i}
		}
		return calls
	}
	if s.oneNode && len(cs) <= maxCallHits || len(cs) == 1 {
		all := make([]int, len(cs))
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	var where func(string) shard
	switch s.client.(type) {
	case *redis.Client:
		where = func(string) shard { return shard{} }
	case *redis.ClusterClient:
		where = func(k string) shard { return shard{slot: int(crc16(hashTag(k)) % 16384)} }
	default:
		where = func(k string) shard { return shard{tag: hashTag(k)} }
	}
	of := make([]int, len(cs)) // the call of each hit
	var sizes []int            // the hits of each call
	open := make(map[shard]int, len(cs))
	var byKey map[string]int // the call of each key, once a call can fill
	if len(cs) > maxCallHits {
		byKey = make(map[string]int, len(cs))
	}
	for i, c := range cs {
		g, ok := byKey[c.key]
		if !ok {
			sh := where(c.key)
			g, ok = open[sh]
			if !ok || sizes[g] >= maxCallHits {
				g = len(sizes)
				sizes = append(sizes, 0)
				open[sh] = g
			}
			if byKey != nil {
				byKey[c.key] = g
			}
		}
		of[i] = g
		sizes[g]++
	}
	calls := make([][]int, len(sizes))
	all := make([]int, 0, len(cs))
	for g, n := range sizes {
		calls[g] = all[len(all) : len(all) : len(all)+n]
		all = all[:len(all)+n]
	}
	for i, g := range of {
		calls[g] = append(calls[g], i)
	}
	return calls
}

// crc16 is the CRC16 (XMODEM) of s, which Redis Cluster takes modulo
// 16384 as the slot of a key's hash tag.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^s[i]]
	}
	return crc
}

// crc16Table holds the CRC16 (XMODEM, polynomial 0x1021) of every byte.
var crc16Table = func() (t [256]uint16) {
	for b := range t {
		crc := uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[b] = crc
	}
	return t
}()
