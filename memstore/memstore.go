package memstore

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	security "github.com/acctsec/security"
)

// numShards is the number of independently locked shards of codes and
// counters. A power of two.
const numShards = 64

// Option configures a Store.
type Option func(*config)

type config struct {
	sweepEvery time.Duration
	now        func() time.Time
	maxEntries int
}

// WithSweepInterval sets how often the sweeper removes expired entries
// (default one minute). A zero or negative d disables the sweeper; expired
// entries are then removed only when their key is used again.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepEvery = d }
}

// WithClock sets the clock the sweeper uses to decide what has expired
// (default time.Now). Store methods use the time they are passed for
// what they count and check; PutCode and PutTicket read this clock when the
// Store is full, to sweep before refusing. Set it to the clock given to the
// Service when that clock is not the wall clock, so the sweeper agrees with
// it.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// Store is an in-memory security.Store, safe for concurrent use. Create it
// with New and stop its sweeper with Close.
type Store struct {
	seed   maphash.Seed
	shards [numShards]shard

	// entries counts the codes, counters and tickets held; a new entry takes a slot with reserve, a removed one gives it
	// back with release.
	entries       atomic.Int64
	maxEntries    int64
	lastFullSweep atomic.Int64 // unix nanos of the last sweepIfDue sweep

	accMu    sync.RWMutex
	accounts map[string]*security.Account // by user ID; never handed out
	byPhone  map[string]string            // phone -> user ID
	byEmail  map[string]string            // email -> user ID

	ticketMu     sync.Mutex
	tickets      map[string]security.Ticket // by ID
	ticketScopes map[string]string          // non-empty scope -> ticket ID

	now       func() time.Time
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ security.Store = (*Store)(nil)

// shard holds the keyed short-lived state of one hash bucket.
type shard struct {
	mu       sync.Mutex
	codes    map[string]codeEntry
	counters map[string]counterEntry
	_        [40]byte // keep neighbouring shard locks off one cache line
}

// New returns an empty Store and starts its sweeper.
func New(opts ...Option) *Store {
	cfg := config{sweepEvery: time.Minute, now: time.Now, maxEntries: DefaultMaxEntries}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{
		seed:         maphash.MakeSeed(),
		accounts:     make(map[string]*security.Account),
		byPhone:      make(map[string]string),
		byEmail:      make(map[string]string),
		tickets:      make(map[string]security.Ticket),
		ticketScopes: make(map[string]string),
		now:          cfg.now,
		maxEntries:   int64(cfg.maxEntries),
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.codes = make(map[string]codeEntry)
		sh.counters = make(map[string]counterEntry)
	}
	if cfg.sweepEvery > 0 {
		go s.sweeper(cfg.sweepEvery)
	} else {
		close(s.done)
	}
	return s
}

// Close stops the sweeper and waits for it to return. The Store stays
// usable; only the background sweeping ends. Close is idempotent and always
// returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
	return nil
}

// shard returns the shard of key.
func (s *Store) shard(key string) *shard { return &s.shards[s.shardIndex(key)] }

// shardIndex returns the index of key's shard, chosen by a hash of its
// shard prefix (the text before its first "."), so that a code scope and
// the failure counters the Service makes with it share one shard and one
// lock, or of the whole key when it has none.
func (s *Store) shardIndex(key string) int {
	if i := strings.IndexByte(key, '.'); i > 0 {
		key = key[:i]
	}
	return int(maphash.String(s.seed, key) & (numShards - 1))
}

// lockShards locks the shards of keys, each once and in ascending order,
// so that two callers locking overlapping sets cannot deadlock, and
// returns their indexes for unlockShards.
func (s *Store) lockShards(keys []string) []int {
	idx := make([]int, len(keys))
	for i, k := range keys {
		idx[i] = s.shardIndex(k)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		s.shards[i].mu.Lock()
	}
	return idx
}

// unlockShards unlocks the shards lockShards locked.
func (s *Store) unlockShards(idx []int) {
	for _, i := range slices.Backward(idx) {
		s.shards[i].mu.Unlock()
	}
}

func (s *Store) sweeper(every time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.sweep(s.now())
		}
	}
}

// sweep removes every entry that has expired at now, one lock at a time.
func (s *Store) sweep(now time.Time) {
	n := now.UnixNano()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		var codes, counters int
		sh.codes, codes = sweepMap(sh.codes, func(e codeEntry) (codeEntry, bool) { return e, n < e.expires })
		sh.counters, counters = sweepMap(sh.counters, func(e counterEntry) (counterEntry, bool) {
			e.advance(bucketOf(n, e.width))
			return e, !e.empty()
		})
		s.release(codes + counters)
		sh.mu.Unlock()
	}
	s.sweepTickets(n)
}

// sweepMap replaces or deletes every entry of m as keep says and returns
// the map and how many entries it deleted. When most of a large map was
// deleted it returns a smaller copy, since Go maps never give back the
// memory of deleted entries.
func sweepMap[V any](m map[string]V, keep func(V) (V, bool)) (map[string]V, int) {
	removed := 0
	for k, v := range m {
		v, ok := keep(v)
		if !ok {
			delete(m, k)
			removed++
			continue
		}
		m[k] = v
	}
	if removed < 1024 || len(m) >= removed {
		return m, removed
	}
	c := make(map[string]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c, removed
}
