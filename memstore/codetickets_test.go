package memstore

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

// TestCodeTicketsAcrossShards: a code whose Ticket and OnMatch tickets
// have their ID and scope in other shards than the code scope and its
// failure counter, checked by many goroutines at once while others put
// codes with tickets, check codes and count with the same shards in the
// reverse roles: no deadlock, exactly one match stores its ticket, which
// voids the flow put with the code, and the entry counter stays exact.
func TestCodeTicketsAcrossShards(t *testing.T) {
	ctx := t.Context()
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	const rounds, n, window = 20, 16, 24 * time.Hour
	keys := distinctShards(s, 4)
	code, fail, tid, tscope := keys[0], keys[1], keys[2], keys[3]
	ticket := func(id, scope string, verified bool) security.Ticket {
		return security.Ticket{ID: id, Scope: scope, UserID: "u", Verified: verified, ExpiresAt: now.Add(time.Hour)}
	}

	for r := range rounds {
		round := strconv.Itoa(r)
		flow := ticket(tid+".flow"+round, tscope, false)
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: code, MAC: []byte("m"), ExpiresAt: now.Add(time.Hour), Ticket: &flow}))

		onMatch := make([]security.Ticket, n)
		results := make([]security.CodeResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			k := round + "-" + strconv.Itoa(i)
			onMatch[i] = ticket(tid+".v"+k, tscope, true)
			wg.Go(func() {
				results[i], _, errs[i] = s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: []byte("m"), MaxTries: 1000,
					OnMatch: &onMatch[i], Failures: []security.Hit{{Key: fail, Window: window, Add: 1}}})
			})
			wg.Go(func() { // a wrong guess on the same code and counter
				_, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: code, MAC: []byte("x"), MaxTries: 1000,
					OnMatch:  &security.Ticket{ID: tid + ".w" + k, Scope: tscope, ExpiresAt: now.Add(time.Hour)},
					Failures: []security.Hit{{Key: fail, Window: window, Add: 1}}})
				assert.NoError(t, err)
			})
			// The same shards in the reverse roles: a code in the ticket
			// scope's shard whose tickets live in the code's and the
			// failure counter's shards.
			other := tscope + ".code" + k
			wg.Go(func() {
				tk := ticket(code+".t"+k, fail+".s"+k, false)
				assert.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: other, MAC: []byte("o"), ExpiresAt: now.Add(time.Hour), Ticket: &tk}))
				res, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: other, MAC: []byte("o"), MaxTries: 1,
					OnMatch:  &security.Ticket{ID: fail + ".t" + k, Scope: code + ".s" + k, ExpiresAt: now.Add(time.Hour)},
					Failures: []security.Hit{{Key: code + ".fail", Window: window, Add: 1}, {Key: tid + ".fail", Window: window, Add: 1}}})
				assert.NoError(t, err)
				assert.Equal(t, security.CodeMatched, res)
				_, err = s.TakeTicket(ctx, tk.ID, now, false)
				assert.NoError(t, err)
			})
			wg.Go(func() {
				_, err := s.Count(ctx, now, []security.Hit{{Key: tid + ".c", Window: window, Add: 1}, {Key: code + ".c", Window: window, Add: 1}})
				assert.NoError(t, err)
			})
		}
		waitNoDeadlock(t, &wg)

		matched := -1
		for i := range n {
			require.NoError(t, errs[i])
			_, err := s.GetTicket(ctx, onMatch[i].ID, now)
			if results[i] == security.CodeMatched {
				require.Equal(t, -1, matched, "round %d: one match", r)
				matched = i
				require.NoError(t, err, "the match stored its ticket")
			} else {
				require.Equal(t, security.CodeMissing, results[i])
				require.ErrorIs(t, err, security.ErrNotFound, "a miss stores nothing")
			}
		}
		require.NotEqual(t, -1, matched, "round %d: one match", r)
		_, err := s.GetTicket(ctx, flow.ID, now)
		require.ErrorIs(t, err, security.ErrNotFound, "the verified ticket voided the flow")
		for i := range n {
			_, err := s.GetTicket(ctx, tid+".w"+round+"-"+strconv.Itoa(i), now)
			require.ErrorIs(t, err, security.ErrNotFound, "a wrong guess stores nothing")
		}
		got, err := s.TakeTicket(ctx, onMatch[matched].ID, now, true)
		require.NoError(t, err)
		require.Equal(t, onMatch[matched], *got)
		requireExact(t, s)
	}
	c := s.counts()
	require.Equal(t, rounds*n, c["tickets"], "the OnMatch tickets of the other codes")
	require.Equal(t, c["tickets"], c["ticketScopes"])
	require.Zero(t, c["codes"])
}

// TestCapCodeTickets: a code and its ticket need a slot each, all or
// none; a ticket that replaces one of its ID or scope needs none, nor does
// the OnMatch ticket of a match, which takes its code's slot.
func TestCapCodeTickets(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	code := func(scope string, tk *security.Ticket) security.Code {
		return security.Code{Scope: scope, MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour), Ticket: tk}
	}
	ticket := func(id, scope string) *security.Ticket {
		return &security.Ticket{ID: id, Scope: scope, ExpiresAt: t0.Add(time.Hour)}
	}
	requireTicket := func(id string, live bool) {
		t.Helper()
		_, err := s.GetTicket(ctx, id, t0)
		if live {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, security.ErrNotFound)
		}
	}

	for i := range testCap - 1 {
		require.NoError(t, storetest.StoreCode(ctx, s, code("c"+strconv.Itoa(i), nil)))
	}
	requireFull(t, storetest.StoreCode(ctx, s, code("new", ticket("a", "flows"))))
	requireTicket("a", false)
	res, _ := verify(t, s, t0, security.CodeCheck{Scope: "new", MAC: []byte("m"), MaxTries: 5})
	require.Equal(t, security.CodeMissing, res, "a refused code with its ticket stores neither")
	requireExact(t, s)

	// Replacing a code leaves the last slot to its ticket.
	require.NoError(t, storetest.StoreCode(ctx, s, code("c0", ticket("a", "flows"))))
	requireTicket("a", true)
	require.Equal(t, int64(testCap), s.entries.Load())
	requireFull(t, storetest.StoreCode(ctx, s, code("c1", ticket("b", ""))))
	requireTicket("b", false)
	// A ticket replacing its scope's needs no slot.
	require.NoError(t, storetest.StoreCode(ctx, s, code("c1", ticket("b", "flows"))))
	requireTicket("a", false)
	requireTicket("b", true)
	requireExact(t, s)

	// A match on a full Store stores its new ticket in the code's slot;
	// a wrong guess stores nothing.
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "c2", MAC: []byte("x"), MaxTries: 5, OnMatch: ticket("v", "other")})
	require.Equal(t, security.CodeWrong, res)
	requireTicket("v", false)
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "c2", MAC: []byte("m"), MaxTries: 5, OnMatch: ticket("v", "other")})
	require.Equal(t, security.CodeMatched, res)
	requireTicket("v", true)
	require.Equal(t, int64(testCap), s.entries.Load())
	// One replacing a ticket frees the code's slot.
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "c3", MAC: []byte("m"), MaxTries: 5, OnMatch: ticket("w", "flows")})
	require.Equal(t, security.CodeMatched, res)
	requireTicket("b", false)
	requireTicket("w", true)
	require.Equal(t, int64(testCap-1), s.entries.Load())
	requireExact(t, s)
}
