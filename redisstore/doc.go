// Package redisstore keeps the short-lived state of an acctsec
// [security.Service] in Redis: pending codes, tickets (forgot-password flows
// and email link tokens) and the event counters every rate limit and lockout
// is built on. It implements [security.StateStore] only; durable account
// records stay in PostgreSQL (pgstore) or the host's own
// [security.AccountStore], joined with [security.Compose].
//
// Every operation but DeleteCode (one DEL) is one Lua script call (EVALSHA,
// falling back to EVAL once when the server has not cached the script), so
// it is atomic and costs one round trip; a Count batch is one such call on
// a single node, and one per hash slot on a Cluster (one pipeline), each
// hit atomic on its counter. A counter keeps one
// number per bucket, at most 13 counted, so a hit costs the same whatever
// the number of events. VerifyCode checks and moves a code's failure
// counters, and stores its OnMatch ticket on a match, in the script that
// checks the code; PutCode applies its gates and stores a Code.Ticket in
// the script that stores the code, with the Lua PutTicket uses (on a
// Cluster the gates, on other slots, are a Count before it). Scripts never read the server
// clock: the caller's now is passed in and compared with the expiry
// timestamps and bucket numbers stored with the data; Redis TTLs only
// collect garbage. All keys one script touches share a hash tag (a code, its
// failure counters and its tickets share the shard prefix the Service gives
// them), so
// the store works on a single node, behind Sentinel, and on Redis Cluster.
// Code and ticket times are kept to the millisecond.
//
// See README.md for the key layout and footprint.
package redisstore
