package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// Tickets are addressed by ID alone (GetTicket, TakeTicket) but grouped by
// scope (PutTicket voids the previous ticket of its scope). To keep every
// ticket operation one script on one Cluster slot, the ticket and its scope
// pointer must share a slot, and both the ID and the scope must name it.
// The Service makes them so (see security.Ticket): an ID and a non-empty
// scope it makes share a shard tag, everything before the first ".", drawn
// from the scope. That tag becomes the keys' hash tag:
//
//	prefix + "{" + tag + "}:t:" + id     hash: s scope, u user, d destination,
//	                                     v verified ("1"/"0"), x expiry (unix ms),
//	                                     n nanoseconds of the expiry below the ms
//	prefix + "{" + tag + "}:s:" + scope  string: the ID of the scope's ticket
//
// An ID or scope without a "." (made before tags, or by another caller)
// has the tag "tickets", the one every ticket had before: tickets written
// by an earlier version are found where it put them. Placement is a
// function of the ID alone and of the scope alone, so a lookup tries one
// key, never two. A scoped ticket whose ID and scope have different tags
// cannot be placed in one slot; PutTicket refuses it (ErrInvalidArgument)
// rather than split the ticket from its scope, which would make PutTicket a
// multi-slot, non-atomic operation that could leave two live tickets in a
// scope. The tag is used for placement only.
//
// With the Service's tags, tickets of different phones and addresses
// spread over all slots like codes and rate limits do.

// ticketLua defines putTicket, the one implementation of storing a
// ticket, shared by putTicketScript, putCodeScript (Code.Ticket) and
// verifyCodeScript (CodeCheck.OnMatch). putTicket(tk, sk, base, id, scope,
// user, destination, verified, expiry ms, expiry ns below the ms, ttl ms)
// stores the ticket at key tk, first unlinking an earlier ticket of the
// same ID from its old scope and, when scope is not empty, deleting the
// scope's previous ticket and pointing the scope key sk at id. The keys it
// builds from base (the old scope's pointer, the previous ticket) lie in
// the slot of tk.
const ticketLua = `
local function putTicket(tk, sk, base, id, scope, u, d, v, x, n, ttl)
  local old = redis.call('HGET', tk, 's')
  if old and old ~= '' and old ~= scope then
    local ok = base .. 's:' .. old
    if redis.call('GET', ok) == id then redis.call('DEL', ok) end
  end
  if scope ~= '' then
    local prev = redis.call('GET', sk)
    if prev and prev ~= id then
      local pk = base .. 't:' .. prev
      if redis.call('HGET', pk, 's') == scope then redis.call('DEL', pk) end
    end
    redis.call('SET', sk, id, 'PX', ttl)
  end
  redis.call('HSET', tk, 's', scope, 'u', u, 'd', d, 'v', v, 'x', x, 'n', n)
  redis.call('PEXPIRE', tk, ttl)
end
`

// putTicketScript stores a ticket with putTicket.
// KEYS[1] ticket, KEYS[2] scope pointer (only when scope ~= "");
// ARGV the nine arguments of putTicket after its keys (see ticketPut).
var putTicketScript = redis.NewScript(ticketLua + `
putTicket(KEYS[1], KEYS[2], unpack(ARGV, 1, 9))
return 1
`)

// getTicketScript returns the fields of the live ticket, or nil.
// KEYS[1] ticket; ARGV now ms.
var getTicketScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 's', 'u', 'd', 'v', 'x', 'n')
if not h[5] or tonumber(h[5]) <= tonumber(ARGV[1]) then return false end
return h
`)

// takeTicketScript returns the fields of the live ticket and deletes it
// with its scope pointer, or returns nil and changes nothing.
// KEYS[1] ticket; ARGV base, id, now ms, want verified ("1"/"0").
var takeTicketScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 's', 'u', 'd', 'v', 'x', 'n')
if not h[5] or tonumber(h[5]) <= tonumber(ARGV[3]) then return false end
if ARGV[4] == '1' and h[4] ~= '1' then return false end
redis.call('DEL', KEYS[1])
if h[1] ~= '' then
  local sk = ARGV[1] .. 's:' .. h[1]
  if redis.call('GET', sk) == ARGV[2] then redis.call('DEL', sk) end
end
return h
`)

// deleteTicketScopeScript deletes the ticket of a scope and the pointer.
// KEYS[1] scope pointer; ARGV base, scope.
var deleteTicketScopeScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if id then
  local tk = ARGV[1] .. 't:' .. id
  if redis.call('HGET', tk, 's') == ARGV[2] then redis.call('DEL', tk) end
  redis.call('DEL', KEYS[1])
end
return 1
`)

// ticketTag returns the hash tag of a ticket ID or scope: everything before
// its first ".", or "tickets" when there is none.
func ticketTag(idOrScope string) string {
	if i := strings.IndexByte(idOrScope, '.'); i > 0 {
		return idOrScope[:i]
	}
	return "tickets"
}

// ticketBase returns the key prefix of the tickets of tag, its slot.
func (s *Store) ticketBase(tag string) string { return s.prefix + "{" + tag + "}:" }

func (s *Store) ticketKey(id string) string {
	return s.ticketBase(ticketTag(id)) + "t:" + id
}

func (s *Store) scopeKey(scope string) string {
	return s.ticketBase(ticketTag(scope)) + "s:" + scope
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// ticketPut is a ticket ready for putTicket: the keys it names (the
// ticket, then its scope pointer when it has a scope) and its nine
// arguments.
type ticketPut struct {
	keys []string
	args []any
}

// ticketPut validates t as PutTicket does and returns what putTicket
// takes; op names the caller in errors. A scoped ticket whose ID and scope
// have different shard prefixes is ErrInvalidArgument: they could not share
// a slot.
func (s *Store) ticketPut(op string, t security.Ticket) (ticketPut, error) {
	if t.ID == "" || t.ExpiresAt.IsZero() {
		return ticketPut{}, fmt.Errorf("redisstore: %s: empty ticket ID or expiry: %w", op, security.ErrInvalidArgument)
	}
	tag := ticketTag(t.ID)
	keys := []string{s.ticketKey(t.ID)}
	if t.Scope != "" {
		if ticketTag(t.Scope) != tag {
			return ticketPut{}, fmt.Errorf("redisstore: %s: ticket ID and scope have different shard prefixes: %w", op, security.ErrInvalidArgument)
		}
		keys = append(keys, s.scopeKey(t.Scope))
	}
	return ticketPut{keys: keys, args: []any{
		s.ticketBase(tag), t.ID, t.Scope, t.UserID, t.Destination, flag(t.Verified),
		ms(t.ExpiresAt), t.ExpiresAt.Nanosecond() % int(time.Millisecond),
		s.putTTL(t.ExpiresAt).Milliseconds(),
	}}, nil
}

// withTicket validates t for a code script whose first key is codeKey and
// returns what putTicket takes. On a client that may spread keys over
// nodes (see oneNode), a ticket whose keys do not share codeKey's hash tag
// is ErrInvalidArgument: the script could not run on one slot.
func (s *Store) withTicket(op, codeKey string, t security.Ticket) (ticketPut, error) {
	tp, err := s.ticketPut(op, t)
	if err != nil {
		return ticketPut{}, err
	}
	if !s.oneNode && hashTag(tp.keys[0]) != hashTag(codeKey) {
		return ticketPut{}, fmt.Errorf("redisstore: %s: code scope and ticket have different shard prefixes: %w", op, security.ErrInvalidArgument)
	}
	return tp, nil
}

// PutTicket stores t, deleting any other ticket of the same non-empty scope.
// A scoped ticket whose ID and scope have different shard prefixes (see
// security.Ticket) is ErrInvalidArgument: they could not share a slot.
func (s *Store) PutTicket(ctx context.Context, t security.Ticket) error {
	tp, err := s.ticketPut("put ticket", t)
	if err != nil {
		return err
	}
	if err := putTicketScript.Run(ctx, s.client, tp.keys, tp.args...).Err(); err != nil {
		return fail(ctx, "put ticket", err)
	}
	return nil
}

// GetTicket returns the live ticket id at now, or security.ErrNotFound.
func (s *Store) GetTicket(ctx context.Context, id string, now time.Time) (*security.Ticket, error) {
	v, err := getTicketScript.Run(ctx, s.client, []string{s.ticketKey(id)}, ms(now)).Slice()
	return decodeTicket(ctx, "get ticket", id, v, err)
}

// TakeTicket returns and deletes the live ticket id at now in one script;
// of concurrent callers exactly one gets it, the rest security.ErrNotFound.
// When verified is true an unverified ticket is left alone and ErrNotFound
// returned.
func (s *Store) TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (*security.Ticket, error) {
	v, err := takeTicketScript.Run(ctx, s.client, []string{s.ticketKey(id)},
		s.ticketBase(ticketTag(id)), id, ms(now), flag(verified)).Slice()
	return decodeTicket(ctx, "take ticket", id, v, err)
}

// DeleteTicketScope removes the ticket of scope, if any. An empty scope
// groups nothing, so it removes nothing (and sends nothing).
func (s *Store) DeleteTicketScope(ctx context.Context, scope string) error {
	if scope == "" {
		return nil
	}
	err := deleteTicketScopeScript.Run(ctx, s.client, []string{s.scopeKey(scope)}, s.ticketBase(ticketTag(scope)), scope).Err()
	if err != nil {
		return fail(ctx, "delete ticket scope", err)
	}
	return nil
}

// decodeTicket turns the fields s, u, d, v, x, n returned by a script into
// a Ticket.
func decodeTicket(ctx context.Context, op, id string, v []any, err error) (*security.Ticket, error) {
	if errors.Is(err, redis.Nil) {
		return nil, security.ErrNotFound
	}
	if err != nil {
		return nil, fail(ctx, op, err)
	}
	if len(v) != 6 {
		return nil, fmt.Errorf("redisstore: %s: malformed record", op)
	}
	f := make([]string, len(v))
	for i, x := range v {
		f[i], _ = x.(string)
	}
	x, xerr := strconv.ParseInt(f[4], 10, 64)
	ns, nerr := strconv.ParseInt(f[5], 10, 64)
	if xerr != nil || nerr != nil {
		return nil, fmt.Errorf("redisstore: %s: malformed expiry", op)
	}
	return &security.Ticket{
		ID:          id,
		Scope:       f[0],
		UserID:      f[1],
		Destination: f[2],
		Verified:    f[3] == "1",
		ExpiresAt:   fromMS(x).Add(time.Duration(ns)),
	}, nil
}
