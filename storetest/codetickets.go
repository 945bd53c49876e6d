package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// codeTicketTests check the tickets that code operations store: a
// Code.Ticket stored with its code, and a CodeCheck.OnMatch stored when
// the code matches. Codes, tickets and counters share a shard prefix, as
// the Service's do.
var codeTicketTests = []roleTest[security.StateStore]{
	{"PutCodeWithTicket", testPutCodeWithTicket},
	{"RefusedPutStoresNoTicket", testRefusedPutStoresNoTicket},
	{"OnMatchStoredOnMatchOnly", testOnMatchStoredOnMatchOnly},
	{"OnMatchNotStoredWhenBlocked", testOnMatchNotStoredWhenBlocked},
	{"ConcurrentOnMatch", testConcurrentOnMatch},
}

// flowTicket returns a ticket whose ID and scope carry tag.
func flowTicket(t *testing.T, now time.Time, tag, scope string, verified bool) security.Ticket {
	tk := newTicket(t, now, scope)
	tk.ID = tagged(tag, "ticket")
	tk.Verified = verified
	return tk
}

func newTag() string { return unique("t")[len("storetest:t:"):][:4] }

func testPutCodeWithTicket(t *testing.T, s security.StateStore) {
	ctx, now, tag := t.Context(), start(), newTag()
	scope := tagged(tag, "flows")
	old := flowTicket(t, now, tag, scope, false)
	putTicket(t, s, old)
	next := flowTicket(t, now, tag, scope, false)
	code, mac := tagged(tag, "code"), randomMAC()
	require.NoError(t, StoreCode(ctx, s, security.Code{Scope: code, MAC: mac, ExpiresAt: now.Add(codeTTL), Ticket: &next}))
	requireLive(t, s, next, now)
	requireGone(t, s, old.ID, now, "the ticket put with a code voids the others of its scope")
	res, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: mac, MaxTries: 5})
	require.NoError(t, err)
	require.Equal(t, "CodeMatched", resultName(res), "and the code is stored")
	want := next
	next.Destination = "changed after the call"
	requireLive(t, s, want, now) // the store keeps its own copy
}

func testRefusedPutStoresNoTicket(t *testing.T, s security.StateStore) {
	ctx, now, tag := t.Context(), start(), newTag()
	scope := tagged(tag, "flows")
	old := flowTicket(t, now, tag, scope, false)
	putTicket(t, s, old)
	next := flowTicket(t, now, tag, scope, false)
	gate := tagged(tag, "gate")
	one(t, s, now, security.Hit{Key: gate, Window: time.Hour, Add: 1})
	stored, _, err := s.PutCode(ctx, now, security.Code{Scope: tagged(tag, "code"), MAC: randomMAC(), ExpiresAt: now.Add(codeTTL), Ticket: &next},
		[]security.Hit{{Key: gate, Window: time.Hour, Add: 1, Max: 1}})
	require.NoError(t, err)
	require.False(t, stored)
	requireGone(t, s, next.ID, now, "a refused put stores no ticket")
	requireLive(t, s, old, now) // and voids none
}

func testOnMatchStoredOnMatchOnly(t *testing.T, s security.StateStore) {
	ctx, now, tag := t.Context(), start(), newTag()
	scope := tagged(tag, "flows")
	flow := flowTicket(t, now, tag, scope, false)
	code, mac := tagged(tag, "code"), randomMAC()
	require.NoError(t, StoreCode(ctx, s, security.Code{Scope: code, MAC: mac, ExpiresAt: now.Add(codeTTL), Ticket: &flow}))
	verified := flowTicket(t, now, tag, scope, true)
	for _, m := range [][]byte{randomMAC(), randomMAC()} {
		res, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: m, MaxTries: 5, OnMatch: &verified})
		require.NoError(t, err)
		require.Equal(t, "CodeWrong", resultName(res))
		requireGone(t, s, verified.ID, now, "a wrong code stores nothing")
		requireLive(t, s, flow, now)
	}
	res, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: mac, MaxTries: 5, OnMatch: &verified})
	require.NoError(t, err)
	require.Equal(t, "CodeMatched", resultName(res))
	requireLive(t, s, verified, now)
	requireGone(t, s, flow.ID, now, "the verified ticket replaces the unverified one of its scope")
	again := flowTicket(t, now, tag, scope, true)
	res, _, err = s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: mac, MaxTries: 5, OnMatch: &again})
	require.NoError(t, err)
	require.Equal(t, "CodeMissing", resultName(res))
	requireGone(t, s, again.ID, now, "a used code stores nothing")
	requireLive(t, s, verified, now)
}

func testOnMatchNotStoredWhenBlocked(t *testing.T, s security.StateStore) {
	ctx, now, tag := t.Context(), start(), newTag()
	code, mac, fail := tagged(tag, "code"), randomMAC(), tagged(tag, "fail")
	require.NoError(t, StoreCode(ctx, s, security.Code{Scope: code, MAC: mac, ExpiresAt: now.Add(codeTTL)}))
	one(t, s, now, security.Hit{Key: fail, Window: failWindow, Add: 2})
	verified := flowTicket(t, now, tag, tagged(tag, "flows"), true)
	res, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: mac, MaxTries: 5, OnMatch: &verified,
		Failures: []security.Hit{{Key: fail, Window: failWindow, Add: 1, Max: 2}}})
	require.NoError(t, err)
	require.Equal(t, "CodeBlocked", resultName(res))
	requireGone(t, s, verified.ID, now, "a blocked check stores nothing")
}

func testConcurrentOnMatch(t *testing.T, s security.StateStore) {
	const n = 20
	ctx, now, tag := t.Context(), start(), newTag()
	scope := tagged(tag, "flows")
	flow := flowTicket(t, now, tag, scope, false)
	code, mac := tagged(tag, "code"), randomMAC()
	require.NoError(t, StoreCode(ctx, s, security.Code{Scope: code, MAC: mac, ExpiresAt: now.Add(codeTTL), Ticket: &flow}))
	tickets := make([]security.Ticket, n)
	for i := range tickets {
		tickets[i] = flowTicket(t, now, tag, scope, true)
	}
	results := make([]security.CodeResult, n)
	errs := make([]error, n)
	race(n, func(i int) {
		results[i], _, errs[i] = s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: append([]byte(nil), mac...), MaxTries: 5, OnMatch: &tickets[i]})
	})
	live := 0
	for i := range n {
		require.NoError(t, errs[i])
		_, err := s.GetTicket(ctx, tickets[i].ID, now)
		if err == nil {
			live++
			require.Equal(t, "CodeMatched", resultName(results[i]), "only the winner's ticket is stored")
		} else {
			require.True(t, errors.Is(err, security.ErrNotFound), "%v", err)
		}
	}
	require.Equal(t, 1, live, "exactly one verified ticket")
	requireGone(t, s, flow.ID, now)
}
