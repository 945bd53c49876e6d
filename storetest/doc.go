// Package storetest is a conformance suite for implementations of
// [security.Store], [security.AccountStore] and [security.StateStore], in the
// manner of testing/fstest.TestFS.
//
// A store author calls it from an ordinary test, with a factory that the
// suite calls once per subtest; the factory registers its own cleanup with
// t.Cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) security.Store {
//			s := mystore.New(...)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// A store that implements only one half runs that half: [RunAccounts] for
// an AccountStore, [RunState] for a StateStore. [Run] runs both. Each role
// of a StateStore has its own runner too: [RunCodes], [RunTickets] and
// [RunCounters], for a store that implements one role and is composed with
// others.
//
// Every subtest uses random user IDs, phones, emails, scopes and keys, so
// stores returned by the factory may share one backend (a database schema,
// a Redis prefix); the suite never needs a store to be empty. Times start at
// time.Now() truncated to the millisecond and are advanced virtually (by up
// to a year): the suite never sleeps, and on one key it never goes back in
// time except after a Reset, so a backend that derives TTLs from the
// passed-in now keeps every record alive at least as long as the semantics
// require. All times the suite passes are whole milliseconds; stores must
// keep times to at least that precision. Time boundaries are checked
// exactly: a code, ticket or counter bucket is live while
// now < its end, and dead at it.
//
// Subtests are not run in parallel; the concurrency subtests start many
// goroutines on one store and check that atomic operations really are
// atomic (run them with -race).
package storetest
