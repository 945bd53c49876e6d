// Package memstore is an in-memory [security.Store] for tests, development
// and single-process deployments. Nothing survives a restart, and two
// processes do not share state: run one replica, or use pgstore/redisstore.
//
// Accounts live in maps guarded by one lock, so Phone and Email uniqueness
// holds under concurrent updates. Codes and counters live in 64 shards
// chosen by a hash of their key's shard prefix (the text before its first
// ".", or the whole key when it has none), each with its own lock, so the
// hot paths of different users do not contend. Each counter hit holds the
// lock of its key's shard only. VerifyCode holds the locks of its scope's
// shard and of its failure counters' shards, taken once each and in shard
// order, so that it gates and moves the counters atomically and no two
// calls deadlock; the keys the Service makes share their scope's prefix,
// so that is usually one lock. Tickets share one lock, because PutTicket
// links a ticket to its scope; PutCode with a Code.Ticket and VerifyCode
// with a CodeCheck.OnMatch take it after their shard locks, and nothing
// takes a shard lock while holding it, so the code and its ticket change
// in one step without deadlock.
//
// # Memory
//
// Entries expire lazily when touched and are removed by a sweeper goroutine
// (every minute by default, see [WithSweepInterval]); call [Store.Close] to
// stop it. A counter is a fixed 72 bytes whatever its number of events:
// the counts of its 13 buckets in a ring, the newest bucket's index and the
// bucket width. It is removed once its newest bucket has left the window,
// or at once when a refund or a reset empties it; a read, a refused hit, a
// refund or a reset of a key that has no counter creates none.
//
// A flood of distinct counters with one event each costs at most 280 bytes
// of heap per key, key strings of the Service's shape included (measured on
// amd64: about 250 just after the shards' maps have doubled, as at one and
// two million counters, 175 when they are fuller; the package tests assert
// the bound at two million), and all of it is released by the first sweep
// after the windows have passed: a sweep that empties more than half of a
// map replaces it, since Go maps never shrink.
//
// # Capacity
//
// Without a cap a flood of distinct keys would grow the heap with request
// rate times window. The Store therefore holds at most [DefaultMaxEntries]
// (two million) entries unless [WithMaxEntries] says otherwise, counting
// codes, counters and tickets together in one exact counter (a counter key
// is one entry); accounts are not counted. Measured as the Service fills
// them (TestHeapPerEntryKind, at 50,000 of a kind): about 175 bytes of heap
// per counter, 165 per code, 340 per ticket; just after the maps have
// doubled, up to 1.4 times as much (250, 215, 465). That bounds the
// short-lived state at about 930 MB of live heap at the default even if
// every entry were a ticket (about 500 MB for a flood of counters); the
// process's RSS can reach twice the live heap with the default GOGC, so
// set GOMEMLIMIT, or lower the cap to fit smaller machines. A flood from
// one client cannot reach the cap: the Service creates state for anonymous
// requests only within per-IP budgets.
//
// When the cap is reached the Store fails closed for new keys only: entries
// it already holds keep working, and updating one never fails. Before
// refusing, it sweeps expired entries, at most once a second, so a cap
// reached by stale entries frees itself. Then a Count hit that would create
// a counter returns an error wrapping [security.ErrBusy] (the hits of the
// batch before it were applied, it and those after it not); VerifyCode of a
// wrong code whose failure hits would create a counter counts its try on
// the code (which needs no slot, so a full Store never lets a code be
// guessed past its tries), applies none of the hits, and returns such an
// error; and PutCode (its gates
// applied, as a Count's hits) and PutTicket for a new scope or ID return
// one too (PutCode with a ticket
// when the code and the ticket together need more slots than are free). Reads, refused hits,
// refunds and resets, and checks that match, miss or are blocked, need no
// slot and are unaffected: a match's OnMatch ticket takes the slot of the
// code it consumes.
package memstore
