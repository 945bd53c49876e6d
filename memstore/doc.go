// Package memstore is an in-memory [security.Store] for tests, development
// and single-process deployments. Nothing survives a restart, and two
// processes do not share state: run one replica, or use pgstore/redisstore.
//
// Accounts live in maps guarded by one lock, so Phone and Email uniqueness
// holds under concurrent updates. Codes, rate-limit logs and attempt
// counters live in 64 shards chosen by a hash of their key, each with its
// own lock, so the hot paths of different users do not contend. Tickets
// share one lock, because PutTicket links a ticket to its scope.
//
// # Memory
//
// Entries expire lazily when touched and are removed by a sweeper goroutine
// (every minute by default, see [WithSweepInterval]); call [Store.Close] to
// stop it. A rate-limit key keeps only the unix-nano times of its most recent
// events, at most the largest Max of its windows, and is removed once its
// newest event has left the longest window. Attempt state is removed once no
// lock and no failure within the policy's window remain, except that a run of
// consecutive failures is remembered for 30 days after its last change and a
// lock "until cleared" until ClearAttempts.
//
// A flood of distinct rate-limit keys with one event each costs at most 200
// bytes of heap per key, key strings included (measured on amd64: about 105
// with 200,000 keys, 165 with the Service's own keys and windows at two
// million; the package tests assert the bound at both sizes), and all of it
// is released by the first sweep after the windows have passed: a sweep that
// empties more than half of a map replaces it, since Go maps never shrink.
//
// # Capacity
//
// Without a cap a flood of distinct keys would grow the heap with request
// rate times window. The Store therefore holds at most [DefaultMaxEntries]
// (two million) entries unless [WithMaxEntries] says otherwise, counting
// codes, rate-limit keys, attempt keys and tickets together in one exact
// counter; accounts are not counted. Measured as the Service fills them
// (TestHeapPerEntryKind): about 120 bytes of heap per rate-limit key, 165
// per code or failure counter, 305 per ticket. That bounds the short-lived
// state at about 610 MB of live heap at the default even if every entry
// were a ticket (about 250 MB for a flood of throttle keys); the process's
// RSS can reach twice the live heap with the default GOGC, so set
// GOMEMLIMIT, or lower the cap to fit smaller machines. A flood from one
// client cannot reach the cap: the Service creates state for anonymous
// requests only within per-IP budgets.
//
// When the cap is reached the Store fails closed for new keys only: entries
// it already holds keep working, and updating one never fails. Before
// refusing, it sweeps expired entries, at most once a second, so a cap
// reached by stale entries frees itself. Then Allow on a new key records
// nothing and returns a wait of one minute, BeginAttempt on a new key
// reserves nothing and reports a lock of one minute, and PutCode and
// PutTicket for a new scope or ID return an error wrapping
// [security.ErrBusy]. AttemptStatus creates nothing and is unaffected.
package memstore
