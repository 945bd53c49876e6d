package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

var codeTests = []roleTest[CodeAndCounterStore]{
	{"MatchIsSingleUse", testCodeMatch},
	{"Wrong", testCodeWrong},
	{"VoidedAfterMaxTries", testCodeVoided},
	{"RightAfterWrongTries", testCodeRightAfterWrong},
	{"MaxTriesOne", testCodeMaxTriesOne},
	{"MaxTriesBelowOne", testCodeMaxTriesBelowOne},
	{"PutKeepsTries", testCodePutKeepsTries},
	{"Expiry", testCodeExpiry},
	{"PutReplaces", testCodeReplace},
	{"ScopesIsolated", testCodeScopes},
	{"Delete", testCodeDelete},
	{"MACCopied", testCodeMACCopied},
	{"ConcurrentMatch", testCodeConcurrentMatch},
	{"ConcurrentWrong", testCodeConcurrentWrong},
}

const codeTTL = 5 * time.Minute

// putCode stores a fresh code in a new scope and returns the scope and MAC.
func putCode(t *testing.T, s CodeAndCounterStore, now time.Time) (scope string, mac []byte) {
	t.Helper()
	scope, mac = unique("code"), randomMAC()
	require.NoError(t, StoreCode(t.Context(), s, security.Code{Scope: scope, MAC: mac, ExpiresAt: now.Add(codeTTL)}))
	return scope, mac
}

func verify(t *testing.T, s CodeAndCounterStore, scope string, mac []byte, now time.Time, maxTries int, want security.CodeResult, msg ...any) {
	t.Helper()
	got, tallies, err := s.VerifyCode(t.Context(), now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: maxTries})
	require.NoError(t, err)
	require.Empty(t, tallies, "a check without Failures has no tallies")
	require.Equal(t, resultName(want), resultName(got), msg...)
}

func resultName(r security.CodeResult) string {
	switch r {
	case security.CodeMissing:
		return "CodeMissing"
	case security.CodeMatched:
		return "CodeMatched"
	case security.CodeWrong:
		return "CodeWrong"
	case security.CodeVoided:
		return "CodeVoided"
	case security.CodeBlocked:
		return "CodeBlocked"
	}
	return "CodeResult(?)"
}

func testCodeMatch(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := putCode(t, s, now)
	verify(t, s, scope, mac, now.Add(time.Second), 5, security.CodeMatched)
	verify(t, s, scope, mac, now.Add(2*time.Second), 5, security.CodeMissing, "a code is single use")
	verify(t, s, scope, randomMAC(), now.Add(3*time.Second), 5, security.CodeMissing, "a used code is gone")
	verify(t, s, unique("never"), mac, now, 5, security.CodeMissing, "a scope never used")
}

func testCodeWrong(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := putCode(t, s, now)
	verify(t, s, scope, randomMAC(), now, 5, security.CodeWrong)
	verify(t, s, scope, mac[:16], now, 5, security.CodeWrong, "a MAC prefix")
	verify(t, s, scope, nil, now, 5, security.CodeWrong, "an empty MAC")
	verify(t, s, scope, append(append([]byte{}, mac...), 0), now, 5, security.CodeWrong, "a longer MAC")
	// Four wrong tries so far: the fifth voids the code.
	verify(t, s, scope, randomMAC(), now, 5, security.CodeVoided, "wrong tries must be counted")
	verify(t, s, scope, mac, now, 5, security.CodeMissing)
}

func testCodeVoided(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := putCode(t, s, now)
	for i := range 4 {
		verify(t, s, scope, randomMAC(), now.Add(time.Duration(i)*time.Second), 5, security.CodeWrong, "wrong try %d", i+1)
	}
	verify(t, s, scope, randomMAC(), now.Add(5*time.Second), 5, security.CodeVoided, "wrong try 5")
	verify(t, s, scope, mac, now.Add(6*time.Second), 5, security.CodeMissing, "a voided code is deleted")
	verify(t, s, scope, randomMAC(), now.Add(7*time.Second), 5, security.CodeMissing)
}

func testCodeRightAfterWrong(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := putCode(t, s, now)
	for i := range 4 {
		verify(t, s, scope, randomMAC(), now, 5, security.CodeWrong, "wrong try %d", i+1)
	}
	verify(t, s, scope, mac, now, 5, security.CodeMatched)
	verify(t, s, scope, mac, now, 5, security.CodeMissing)
}

func testCodeMaxTriesOne(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := putCode(t, s, now)
	verify(t, s, scope, randomMAC(), now, 1, security.CodeVoided)
	verify(t, s, scope, mac, now, 1, security.CodeMissing)
}

// testCodeMaxTriesBelowOne: a maxTries below 1 counts as 1, never as
// "unlimited": a store fails closed.
func testCodeMaxTriesBelowOne(t *testing.T, s CodeAndCounterStore) {
	now := start()
	for _, max := range []int{0, -1} {
		scope, mac := putCode(t, s, now)
		verify(t, s, scope, randomMAC(), now, max, security.CodeVoided, "maxTries %d", max)
		verify(t, s, scope, mac, now, max, security.CodeMissing)
	}
}

func testCodePutKeepsTries(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := unique("code"), randomMAC()
	require.NoError(t, StoreCode(t.Context(), s, security.Code{Scope: scope, MAC: mac, ExpiresAt: now.Add(codeTTL), Tries: 3}))
	verify(t, s, scope, randomMAC(), now, 5, security.CodeWrong, "4th wrong try")
	verify(t, s, scope, randomMAC(), now, 5, security.CodeVoided, "5th wrong try: the stored Tries counts")
	verify(t, s, scope, mac, now, 5, security.CodeMissing)
}

func testCodeExpiry(t *testing.T, s CodeAndCounterStore) {
	now := start()
	expires := now.Add(codeTTL)

	scope, mac := putCode(t, s, now)
	verify(t, s, scope, mac, expires.Add(-time.Millisecond), 5, security.CodeMatched, "live until ExpiresAt")

	scope, mac = putCode(t, s, now)
	verify(t, s, scope, mac, expires, 5, security.CodeMissing, "dead at ExpiresAt")
	verify(t, s, scope, mac, expires.Add(time.Hour), 5, security.CodeMissing)

	scope, _ = putCode(t, s, now)
	verify(t, s, scope, randomMAC(), expires, 5, security.CodeMissing, "a wrong MAC on an expired code")
}

func testCodeReplace(t *testing.T, s CodeAndCounterStore) {
	ctx := t.Context()
	now := start()
	scope, old := putCode(t, s, now)
	for i := range 4 {
		verify(t, s, scope, randomMAC(), now, 5, security.CodeWrong, "wrong try %d", i+1)
	}

	later := now.Add(time.Minute)
	mac := randomMAC()
	require.NoError(t, StoreCode(ctx, s, security.Code{Scope: scope, MAC: mac, ExpiresAt: later.Add(codeTTL)}))
	// The old MAC is now merely wrong, and the count started again.
	verify(t, s, scope, old, later, 5, security.CodeWrong, "the replaced MAC must not match; tries must restart")
	for i := range 3 {
		verify(t, s, scope, randomMAC(), later, 5, security.CodeWrong, "wrong try %d after replace", i+2)
	}
	// The new expiry applies: the old one has passed.
	verify(t, s, scope, mac, now.Add(codeTTL).Add(time.Second), 5, security.CodeMatched)
}

func testCodeScopes(t *testing.T, s CodeAndCounterStore) {
	now := start()
	a, macA := putCode(t, s, now)
	b, macB := putCode(t, s, now)

	verify(t, s, b, macA, now, 2, security.CodeWrong, "a MAC of another scope")
	verify(t, s, a, randomMAC(), now, 2, security.CodeWrong, "tries are per scope")
	verify(t, s, a, macA, now, 2, security.CodeMatched)
	verify(t, s, b, macB, now, 2, security.CodeMatched)
}

func testCodeDelete(t *testing.T, s CodeAndCounterStore) {
	ctx := t.Context()
	now := start()
	a, macA := putCode(t, s, now)
	b, macB := putCode(t, s, now)
	require.NoError(t, s.DeleteCode(ctx, a))
	verify(t, s, a, macA, now, 5, security.CodeMissing)
	verify(t, s, b, macB, now, 5, security.CodeMatched, "DeleteCode must touch only its scope")
	require.NoError(t, s.DeleteCode(ctx, a), "deleting a missing code")
	require.NoError(t, s.DeleteCode(ctx, unique("never")), "deleting a scope never used")
}

func testCodeMACCopied(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := putCode(t, s, now)
	want := append([]byte(nil), mac...)
	for i := range mac {
		mac[i] ^= 0xff
	}
	verify(t, s, scope, want, now, 5, security.CodeMatched, "the store must copy the MAC it is given")
}

func testCodeConcurrentMatch(t *testing.T, s CodeAndCounterStore) {
	const n = 50
	ctx := t.Context()
	now := start()
	scope, mac := putCode(t, s, now)

	results := make([]security.CodeResult, n)
	errs := make([]error, n)
	race(n, func(i int) {
		results[i], _, errs[i] = s.VerifyCode(ctx, now, security.CodeCheck{Scope: scope, MAC: append([]byte(nil), mac...), MaxTries: 5})
	})
	counts := map[string]int{}
	for i := range n {
		require.NoError(t, errs[i])
		counts[resultName(results[i])]++
	}
	require.Equal(t, map[string]int{"CodeMatched": 1, "CodeMissing": n - 1}, counts)
}

func testCodeConcurrentWrong(t *testing.T, s CodeAndCounterStore) {
	const n = 100
	ctx := t.Context()
	now := start()
	scope, mac := putCode(t, s, now)

	results := make([]security.CodeResult, n)
	errs := make([]error, n)
	wrong := make([][]byte, n)
	for i := range wrong {
		wrong[i] = randomMAC()
	}
	race(n, func(i int) {
		results[i], _, errs[i] = s.VerifyCode(ctx, now, security.CodeCheck{Scope: scope, MAC: wrong[i], MaxTries: 5})
	})
	counts := map[string]int{}
	for i := range n {
		require.NoError(t, errs[i])
		counts[resultName(results[i])]++
	}
	require.Equal(t, map[string]int{"CodeWrong": 4, "CodeVoided": 1, "CodeMissing": n - 5}, counts)
	verify(t, s, scope, mac, now, 5, security.CodeMissing, "the right MAC after the code was voided")
}
