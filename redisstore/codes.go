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

// verifyCodeScript checks the failure counters, then a MAC against the live
// code, which it consumes (storing the OnMatch ticket, if any, with
// putTicket), or counts the wrong try and deletes the code at the last
// one, then moves the counters on a wrong try (scan and hit are
// counterLua's, described at countScript). Redis runs Lua 5.1, which
// interns every string when it is created, so == compares two pointers
// (see VerifyCode for why that is safe here).
// KEYS[1] code, KEYS[1+i] failure counter i (i = 1..nf), then (OnMatch)
// the ticket and, when it has a scope, its scope pointer; ARGV mac, now
// ms, max tries (at least 1; VerifyCode clamps), nf, then per counter what
// countScript takes per hit: bucket number, add, max, reset ("1"/"0"), ttl
// ms, then the ticket's nine putTicket arguments.
// Returns {security.CodeResult, then per counter: count, applied, oldest age}.
var verifyCodeScript = redis.NewScript(counterLua + ticketLua + `
local nf = tonumber(ARGV[4])
local out, blocked = {0}, false
for i = 2, nf + 1 do
  local j, k = 5 * i - 5, 3 * i - 4
  local n, _, old, ahead = scan(KEYS[i], tonumber(ARGV[j]))
  if refuses(n, ahead, tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), false) then blocked = true end
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
  if #KEYS > nf + 1 then
    local j = 5 * nf + 5
    putTicket(KEYS[nf + 2], KEYS[nf + 3], unpack(ARGV, j, j + 8))
  end
elseif redis.call('HINCRBY', KEYS[1], 't', 1) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  r = 3
end
out[1] = r
if r >= 2 then
  for i = 2, nf + 1 do
    local j, k = 5 * i - 5, 3 * i - 4
    out[k], out[k + 1], out[k + 2] = hit(KEYS[i], ARGV[j], tonumber(ARGV[j + 1]), 0, ARGV[j + 3] == '1', tonumber(ARGV[j + 4]))
  end
end
return out
`)

func (s *Store) codeKey(scope string) string { return s.place("code", scope) }

// putCodeScript applies gates as countScript applies hits and then, when
// every gate with a Max was applied, stores a code, replacing every field
// of an earlier one, and with it, when given, a ticket (putTicket, see
// ticketLua). KEYS[1] code, KEYS[1+i] gate i (i = 1..ng), then
// (Code.Ticket) the ticket and, when it has a scope, its scope pointer;
// ARGV mac, expiry ms, tries, ttl ms, ng, then five per gate as
// countScript takes per hit, then the ticket's nine putTicket arguments.
// Returns {stored (1/0), then per gate: count, applied, oldest age}.
var putCodeScript = redis.NewScript(counterLua + ticketLua + `
local ng = tonumber(ARGV[5])
local out, ok = {0}, true
for i = 1, ng do
  local j, k = 5 * i + 1, 3 * i - 1
  local mx = tonumber(ARGV[j + 2])
  out[k], out[k + 1], out[k + 2] = hit(KEYS[i + 1], ARGV[j], tonumber(ARGV[j + 1]), mx, ARGV[j + 3] == '1', tonumber(ARGV[j + 4]))
  if mx > 0 and out[k + 1] == 0 then ok = false end
end
if ok then
  redis.call('HSET', KEYS[1], 'm', ARGV[1], 'x', ARGV[2], 't', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  if #KEYS > ng + 1 then
    local j = 5 * ng + 6
    putTicket(KEYS[ng + 2], KEYS[ng + 3], unpack(ARGV, j, j + 8))
  end
  out[1] = 1
end
return out
`)

// PutCode applies gates at now as Count does and then, when every gate
// with a Max was applied, stores c, replacing (voiding) any code in the
// same scope, and c.Ticket, when set, as PutTicket stores it. On a
// single-node (or Sentinel) client that is one script, so one round trip.
// On a Cluster (or Ring) client the gates lie on other slots than the
// code, so they are one Count and the code one script after it, two round
// trips; when that script fails, what the gates added is taken back. The ticket is validated as PutTicket validates it; on any client
// but a single-node one it must also share the code's hash tag (the
// Service gives the scope and the ticket one shard prefix). An empty
// scope or MAC, a gate Count would refuse or such a ticket is
// security.ErrInvalidArgument, and nothing is sent.
func (s *Store) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	if c.Scope == "" || len(c.MAC) == 0 {
		return false, nil, fmt.Errorf("redisstore: put code: empty scope or MAC: %w", security.ErrInvalidArgument)
	}
	cs, err := s.counters("put code", now, gates)
	if err != nil {
		return false, nil, err
	}
	code := s.codeKey(c.Scope)
	var tp ticketPut
	if c.Ticket != nil {
		if tp, err = s.withTicket("put code", code, *c.Ticket); err != nil {
			return false, nil, err
		}
	}
	var counted []security.Tally // the gates' tallies, when a Count applied them first
	if len(cs) > 0 && (!s.oneNode || s.perHit || len(cs) > maxCallHits) {
		if counted, err = s.count(ctx, cs); err != nil {
			return false, nil, err
		}
		for i, g := range gates {
			if g.Max > 0 && !counted[i].Applied {
				return false, counted, nil
			}
		}
		cs = nil // counted: the script stores the code only
	}
	keys := make([]string, 1, 1+len(cs)+len(tp.keys))
	keys[0] = code
	args := []any{c.MAC, ms(c.ExpiresAt), c.Tries, s.putTTL(c.ExpiresAt).Milliseconds(), len(cs)}
	for _, cn := range cs {
		keys = append(keys, cn.key)
		args = append(args, cn.args...)
	}
	keys = append(keys, tp.keys...)
	args = append(args, tp.args...)
	v, err := putCodeScript.Run(ctx, s.client, keys, args...).Int64Slice()
	if err == nil && len(v) != 1+3*len(cs) {
		err = fmt.Errorf("malformed script result")
	}
	if err != nil {
		if counted != nil {
			s.takeBack(ctx, now, gates, counted)
		}
		return false, nil, fail(ctx, "put code", err)
	}
	if counted != nil {
		return v[0] == 1, counted, nil
	}
	return v[0] == 1, tallies(cs, v, 1), nil
}

// takeBack takes back, on a context that outlives ctx's cancellation,
// the events that the applied gates added, when the code they gated could
// not be stored: a failed send spends none of its caps.
func (s *Store) takeBack(ctx context.Context, now time.Time, gates []security.Hit, tallies []security.Tally) {
	var back []security.Hit
	for i, g := range gates {
		if g.Add > 0 && tallies[i].Applied {
			back = append(back, security.Hit{Key: g.Key, Window: g.Window, Add: -g.Add})
		}
	}
	if len(back) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = s.Count(ctx, now, back) // best effort: the caller returns the first failure
}

// VerifyCode checks c.MAC against the live code of c.Scope at now in one
// script: it first checks every Failures hit with a Max (CodeBlocked, and
// nothing changes, when one has no room), then consumes the code on a
// match, storing c.OnMatch (when set) as PutTicket would, or counts the
// wrong try, deleting the code when the count reaches c.MaxTries, and on a
// wrong try adds every Failures hit. A MaxTries below 1 counts as 1 (the
// first wrong try voids the code), never as "no limit", as in memstore and
// pgstore.
//
// The script touches the code, its counters and the OnMatch ticket at
// once, so on Redis Cluster they must share a slot: the Service gives the
// scope, the failure keys and the ticket one shard prefix, which becomes
// their hash tag. On any client but a single-node (or Sentinel) one, a
// check whose keys have different hash tags is security.ErrInvalidArgument,
// as is an OnMatch ticket PutTicket would refuse; nothing is sent then.
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
	cs, err := s.counters("verify code", now, c.Failures)
	if err != nil {
		return security.CodeMissing, nil, err
	}
	keys := make([]string, 1, 3+len(cs))
	keys[0] = s.codeKey(c.Scope)
	args := make([]any, 4, 4+5*len(cs)+9)
	args[0], args[1], args[2], args[3] = c.MAC, ms(now), max(c.MaxTries, 1), len(cs)
	for _, ct := range cs {
		if !s.oneNode && hashTag(ct.key) != hashTag(keys[0]) {
			return security.CodeMissing, nil, fmt.Errorf("redisstore: verify code: scope and counter keys have different shard prefixes: %w", security.ErrInvalidArgument)
		}
		keys = append(keys, ct.key)
		args = append(args, ct.args...)
	}
	if c.OnMatch != nil {
		tp, err := s.withTicket("verify code", keys[0], *c.OnMatch)
		if err != nil {
			return security.CodeMissing, nil, err
		}
		keys = append(keys, tp.keys...)
		args = append(args, tp.args...)
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
	return res, tallies(cs, v, 1), nil
}

// DeleteCode removes the code of scope, if any. It is one DEL.
func (s *Store) DeleteCode(ctx context.Context, scope string) error {
	if err := s.client.Del(ctx, s.codeKey(scope)).Err(); err != nil {
		return fail(ctx, "delete code", err)
	}
	return nil
}
