package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix used when no WithPrefix option is given.
const DefaultPrefix = "acctsec:"

// ttlMargin is added to every garbage-collection TTL, so a key outlives the
// moment its data stops being live even when replicas' clocks disagree a
// little. Semantic expiry never depends on it.
const ttlMargin = time.Minute

// Store is a [security.StateStore] on Redis. It is safe for concurrent use
// and keeps no state of its own besides its configuration.
type Store struct {
	client redis.UniversalClient
	prefix string
	clock  func() time.Time
	// oneNode is true on a single-node or Sentinel client (*redis.Client),
	// where one script may touch keys of any slot; on any other client the
	// keys of one script must share a hash tag.
	oneNode bool
	perHit  bool // tests only: one script call per Count hit, as before batching
}

var _ security.StateStore = (*Store)(nil)

// Option configures New.
type Option func(*Store)

// WithPrefix sets the prefix of every key the store writes (default
// DefaultPrefix). Distinct prefixes isolate several services or tests on one
// database. A prefix should not contain '{' or '}': a hash tag in the prefix
// would put every key into one Cluster slot.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithClock sets the clock used for one thing only: the Redis TTL of a code
// or ticket, whose Put methods carry no time. The TTL is ExpiresAt minus the
// clock plus a one-minute margin (at least the margin). Whether a code or
// ticket is live is always decided by the now passed to VerifyCode,
// GetTicket and TakeTicket. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.clock = now }
}

// New returns a Store on client, which may be a single-node, Sentinel
// (failover) or Cluster client. The client stays owned by the caller; enable
// its ContextTimeoutEnabled option so that context deadlines bound reads and
// writes, not only dials.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	_, oneNode := client.(*redis.Client)
	s := &Store{client: client, prefix: DefaultPrefix, clock: time.Now, oneNode: oneNode}
	for _, o := range opts {
		o(s)
	}
	if s.clock == nil {
		return nil, errors.New("redisstore: nil clock")
	}
	return s, nil
}

// place returns the key of kind for k (a code scope or a counter key). A k
// with a shard prefix (see security.Ticket: everything before its first
// ".") becomes prefix + "{" + tag + "}:" + kind + ":" + k, so the code and
// counters the Service makes for one subject share a slot; any other k
// keeps its own tag: prefix + kind + ":{" + k + "}".
func (s *Store) place(kind, k string) string {
	if i := strings.IndexByte(k, '.'); i > 0 {
		return s.prefix + "{" + escapeTag(k[:i]) + "}:" + kind + ":" + k
	}
	return s.tagged(kind, k)
}

// hashTag returns what Redis Cluster hashes of key: the text between the
// first "{" and the next "}" when it is not empty, else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// tagged returns prefix + kind + ":{" + k + "}": k becomes the key's hash
// tag, so every key built from the same k lands in one Cluster slot. k is
// escaped so that it never closes the tag early and the tag is never empty
// (Redis hashes the whole key when the tag is empty).
func (s *Store) tagged(kind, k string) string {
	return s.prefix + kind + ":{" + escapeTag(k) + "}"
}

var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// escapeTag maps k injectively to a non-empty string without braces.
func escapeTag(k string) string {
	if k == "" {
		return "%"
	}
	return tagEscaper.Replace(k)
}

// ms converts t to unix milliseconds, the unit of every stored time.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts unix milliseconds back to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// putTTL is the Redis TTL of a code or ticket that expires at exp.
func (s *Store) putTTL(exp time.Time) time.Duration {
	d := exp.Sub(s.clock())
	if d < 0 {
		d = 0
	}
	return (d + ttlMargin).Truncate(time.Millisecond)
}

// fail wraps a Redis failure of op. When ctx has ended (or its deadline
// has passed, which the driver reports as a network timeout a moment before
// the context notices), the context's error is wrapped too, so
// errors.Is(err, context.DeadlineExceeded) holds.
func fail(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(dl) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisstore: %s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}
