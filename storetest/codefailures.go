package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// codeFailureTests check VerifyCode's Failures: the counters a wrong guess
// moves and whose Max blocks a check. Scopes and counter keys share a
// shard prefix, as the Service's do.
var codeFailureTests = []roleTest[CodeAndCounterStore]{
	{"WrongAdds", testCodeFailuresWrongAdds},
	{"MatchAndMissingAddNothing", testCodeFailuresMatchMissing},
	{"BlockedTouchesNothing", testCodeFailuresBlocked},
	{"BlockCountsFailuresAhead", testCodeFailuresBlockedAhead},
	{"VoidedAdds", testCodeFailuresVoided},
	{"ConcurrentWrong", testCodeFailuresConcurrent},
}

const failWindow = 24 * time.Hour

// taggedCode stores a fresh code in a new tagged scope and returns the
// scope, its MAC and two failure keys of the same tag.
func taggedCode(t *testing.T, s CodeAndCounterStore, now time.Time) (scope string, mac []byte, k1, k2 string) {
	t.Helper()
	tag := unique("t")[len("storetest:t:"):][:4]
	scope, mac = tagged(tag, "code"), randomMAC()
	require.NoError(t, StoreCode(t.Context(), s, security.Code{Scope: scope, MAC: mac, ExpiresAt: now.Add(codeTTL)}))
	return scope, mac, tagged(tag, "fail"), tagged(tag, "fail")
}

func check(t *testing.T, s CodeAndCounterStore, now time.Time, c security.CodeCheck, want security.CodeResult, msg string) []security.Tally {
	t.Helper()
	got, tallies, err := s.VerifyCode(t.Context(), now, c)
	require.NoError(t, err, msg)
	require.Equal(t, resultName(want), resultName(got), msg)
	require.Len(t, tallies, len(c.Failures), msg)
	return tallies
}

func failures(k1, k2 string, max int) []security.Hit {
	return []security.Hit{{Key: k1, Window: failWindow, Add: 1, Max: max}, {Key: k2, Window: failWindow, Add: 1}}
}

func testCodeFailuresWrongAdds(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac, k1, k2 := taggedCode(t, s, now)
	next := leaves(now, failWindow)
	got := check(t, s, now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeWrong, "a wrong MAC")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: next}, got[0], "first failure key")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: next}, got[1], "second failure key")
	got = check(t, s, now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeWrong, "a second wrong MAC")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: next}, got[0], "counted twice")
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeMatched, "the right MAC under Max")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: next}, one(t, s, now, read2(k2, failWindow)), "as Count sees it")
}

func testCodeFailuresMatchMissing(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac, k1, k2 := taggedCode(t, s, now)
	got := check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeMatched, "a match")
	requireTally(t, security.Tally{}, got[0], "a match adds nothing")
	got = check(t, s, now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeMissing, "a used code")
	requireTally(t, security.Tally{}, got[1], "a miss adds nothing")
}

func testCodeFailuresBlocked(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac, k1, k2 := taggedCode(t, s, now)
	one(t, s, now, security.Hit{Key: k1, Window: failWindow, Add: 3})
	next := leaves(now, failWindow)
	for _, m := range [][]byte{randomMAC(), mac} {
		got := check(t, s, now, security.CodeCheck{Scope: scope, MAC: m, MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeBlocked, "a check at Max")
		requireTally(t, security.Tally{Count: 3, Next: next}, got[0], "the full counter")
		requireTally(t, security.Tally{}, got[1], "nothing added to the other")
	}
	// The code was never looked at: no try was counted on it, and it still
	// matches once the block is lifted.
	one(t, s, now, security.Hit{Key: k1, Window: failWindow, Reset: true})
	for range 4 {
		check(t, s, now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 5}, security.CodeWrong, "tries left")
	}
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeMatched, "the code survived the block")
	// A blocked check on a scope with no code is blocked too.
	one(t, s, now, security.Hit{Key: k1, Window: failWindow, Add: 3})
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeBlocked, "blocked, no code")
}

// testCodeFailuresBlockedAhead: a failure counter whose events lie in a
// bucket after the check's now still blocks it, as Count's Max would.
func testCodeFailuresBlockedAhead(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac, k1, k2 := taggedCode(t, s, now)
	one(t, s, now.Add(failWindow/security.CounterBuckets), security.Hit{Key: k1, Window: failWindow, Add: 3})
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 5, Failures: failures(k1, k2, 3)}, security.CodeBlocked, "failures a bucket ahead")
}

func testCodeFailuresVoided(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac, k1, k2 := taggedCode(t, s, now)
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 2, Failures: failures(k1, k2, 0)}, security.CodeWrong, "first try")
	got := check(t, s, now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 2, Failures: failures(k1, k2, 0)}, security.CodeVoided, "last try")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: leaves(now, failWindow)}, got[0], "a voiding try counts")
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 2, Failures: failures(k1, k2, 0)}, security.CodeMissing, "voided")
}

func testCodeFailuresConcurrent(t *testing.T, s CodeAndCounterStore) {
	const n, max = 40, 3
	now := start()
	scope, mac, k1, k2 := taggedCode(t, s, now)
	results := make([]security.CodeResult, n)
	errs := make([]error, n)
	race(n, func(i int) {
		results[i], _, errs[i] = s.VerifyCode(t.Context(), now, security.CodeCheck{Scope: scope, MAC: randomMAC(), MaxTries: 100, Failures: failures(k1, k2, max)})
	})
	counts := map[string]int{}
	for i := range n {
		require.NoError(t, errs[i])
		counts[resultName(results[i])]++
	}
	require.Equal(t, map[string]int{"CodeWrong": max, "CodeBlocked": n - max}, counts)
	requireTally(t, security.Tally{Count: max, Applied: true, Next: leaves(now, failWindow)}, one(t, s, now, read2(k2, failWindow)), "the unconditional key moved only with the admitted")
	check(t, s, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: 100, Failures: failures(k1, k2, max)}, security.CodeBlocked, "the right MAC while blocked")
}
