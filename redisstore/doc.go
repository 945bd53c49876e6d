// Package redisstore keeps the short-lived state of an acctsec
// [security.Service] in Redis: pending codes, tickets (forgot-password flows
// and email link tokens), rate limits and failure counters. It implements
// [security.StateStore] only; durable account records stay in PostgreSQL
// (pgstore) or the host's own [security.AccountStore], joined with
// [security.Compose].
//
// Every hot operation is one Lua script call (EVALSHA, falling back to EVAL
// once when the server has not cached the script), so it is atomic and costs
// one round trip. Scripts never read the server clock: the caller's now is
// passed in and compared with the expiry timestamps stored beside the data;
// Redis TTLs only collect garbage. All keys one script touches share a hash
// tag, so the store works on a single node, behind Sentinel, and on Redis
// Cluster. Times are kept with millisecond precision.
//
// See README.md for the key layout and footprint.
package redisstore
