package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// codeGateTests check PutCode's gates: counters applied as Count applies
// hits, in the same call, with the code stored only when every gate with
// a Max had room. The Service makes a send's caps the gates of its code.
var codeGateTests = []roleTest[CodeAndCounterStore]{
	{"StoredWhenEveryGateHasRoom", testGatesRoom},
	{"RefusedGateStoresNothing", testGatesRefused},
	{"ReadGate", testGatesRead},
	{"InvalidAppliesNothing", testGatesInvalid},
	{"Concurrent", testGatesConcurrent},
}

const gateWindow = time.Hour

// gated calls PutCode and checks it answered one tally per gate.
func gated(t *testing.T, s security.CodeStore, now time.Time, c security.Code, gates ...security.Hit) (bool, []security.Tally) {
	t.Helper()
	stored, tallies, err := s.PutCode(t.Context(), now, c, gates)
	require.NoError(t, err)
	require.Len(t, tallies, len(gates))
	return stored, tallies
}

func testGatesRoom(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, mac := unique("code"), randomMAC()
	capped, plain := unique("gate"), unique("gate")
	next := leaves(now, gateWindow)
	stored, got := gated(t, s, now, security.Code{Scope: scope, MAC: mac, ExpiresAt: now.Add(codeTTL)},
		security.Hit{Key: capped, Window: gateWindow, Add: 1, Max: 2},
		security.Hit{Key: plain, Window: gateWindow, Add: 3})
	require.True(t, stored, "every gate had room")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: next}, got[0], "the capped gate")
	requireTally(t, security.Tally{Count: 3, Applied: true, Next: next}, got[1], "the plain gate")
	requireTally(t, security.Tally{Count: 3, Applied: true, Next: next}, one(t, s, now, security.Hit{Key: plain, Window: gateWindow}), "as Count sees it")
	verify(t, s, scope, mac, now, 5, security.CodeMatched, "the code was stored")

	stored, _ = gated(t, s, now, security.Code{Scope: unique("code"), MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)})
	require.True(t, stored, "no gates: the code is stored")
}

func testGatesRefused(t *testing.T, s CodeAndCounterStore) {
	now := start()
	scope, old := putCode(t, s, now)
	capped, plain, after := unique("gate"), unique("gate"), unique("gate")
	one(t, s, now, security.Hit{Key: capped, Window: gateWindow, Add: 2})
	next := leaves(now, gateWindow)
	stored, got := gated(t, s, now, security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)},
		security.Hit{Key: plain, Window: gateWindow, Add: 1},
		security.Hit{Key: capped, Window: gateWindow, Add: 1, Max: 2},
		security.Hit{Key: after, Window: gateWindow, Add: 1, Max: 5})
	require.False(t, stored, "a gate had no room")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: next}, got[0], "a gate before the refused one is applied, as in a Count batch")
	requireTally(t, security.Tally{Count: 2, Applied: false, Next: next}, got[1], "the refused gate")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: next}, got[2], "a gate after it is applied too")
	verify(t, s, scope, old, now, 5, security.CodeMatched, "a refused put leaves the code it would have replaced alone")

	fresh := unique("code")
	stored, _ = gated(t, s, now, security.Code{Scope: fresh, MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)},
		security.Hit{Key: capped, Window: gateWindow, Add: 1, Max: 2})
	require.False(t, stored)
	verify(t, s, fresh, randomMAC(), now, 5, security.CodeMissing, "a refused put stores no code in a new scope")
}

// A gate with no Add and a Max is a read that refuses once the count is
// above Max: the Service's failure block.
func testGatesRead(t *testing.T, s CodeAndCounterStore) {
	now := start()
	key := unique("gate")
	read := security.Hit{Key: key, Window: gateWindow, Max: 1}
	stored, got := gated(t, s, now, security.Code{Scope: unique("code"), MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)}, read)
	require.True(t, stored, "a read gate on an empty counter")
	requireTally(t, security.Tally{Applied: true}, got[0], "an empty counter")
	one(t, s, now, security.Hit{Key: key, Window: gateWindow, Add: 1})
	stored, _ = gated(t, s, now, security.Code{Scope: unique("code"), MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)}, read)
	require.True(t, stored, "a count at Max has room for a read")
	one(t, s, now, security.Hit{Key: key, Window: gateWindow, Add: 1})
	stored, got = gated(t, s, now, security.Code{Scope: unique("code"), MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)}, read)
	require.False(t, stored, "a count above Max refuses")
	requireTally(t, security.Tally{Count: 2, Applied: false, Next: leaves(now, gateWindow)}, got[0], "the refused read")
}

func testGatesInvalid(t *testing.T, s CodeAndCounterStore) {
	ctx, now := t.Context(), start()
	scope, mac := putCode(t, s, now)
	key := unique("gate")
	for name, tc := range map[string]struct {
		code  security.Code
		gates []security.Hit
	}{
		"an empty scope":     {security.Code{MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)}, []security.Hit{{Key: key, Window: gateWindow, Add: 1}}},
		"an empty MAC":       {security.Code{Scope: scope, ExpiresAt: now.Add(codeTTL)}, []security.Hit{{Key: key, Window: gateWindow, Add: 1}}},
		"an empty gate key":  {security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)}, []security.Hit{{Key: key, Window: gateWindow, Add: 1}, {Window: gateWindow, Add: 1}}},
		"a window too short": {security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)}, []security.Hit{{Key: key, Window: gateWindow, Add: 1}, {Key: unique("gate"), Window: security.CounterBuckets - 1, Add: 1}}},
	} {
		stored, _, err := s.PutCode(ctx, now, tc.code, tc.gates)
		require.ErrorIs(t, err, security.ErrInvalidArgument, name)
		require.False(t, stored, name)
	}
	requireTally(t, security.Tally{Applied: true}, one(t, s, now, security.Hit{Key: key, Window: gateWindow}), "no gate of an invalid call is applied")
	verify(t, s, scope, mac, now, 5, security.CodeMatched, "no code of an invalid call is stored")
}

// Of many concurrent puts behind one gate, no more are stored than its Max
// allows.
func testGatesConcurrent(t *testing.T, s CodeAndCounterStore) {
	const n, max = 40, 3
	ctx, now := t.Context(), start()
	key := unique("gate")
	var stored atomic.Int32
	errs := make([]error, n)
	race(n, func(i int) {
		ok, _, err := s.PutCode(ctx, now, security.Code{Scope: unique("code"), MAC: randomMAC(), ExpiresAt: now.Add(codeTTL)},
			[]security.Hit{{Key: key, Window: gateWindow, Add: 1, Max: max}})
		errs[i] = err
		if ok {
			stored.Add(1)
		}
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, max, stored.Load(), "codes stored behind a gate of Max %d", max)
	requireTally(t, security.Tally{Count: max, Applied: true, Next: leaves(now, gateWindow)}, one(t, s, now, security.Hit{Key: key, Window: gateWindow}), "the gate's count")
}
