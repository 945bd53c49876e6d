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
package memstore
