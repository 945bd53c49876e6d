package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/acctsec/security"
)

// PutCode applies gates at now as Count does and then, when every gate
// with a Max was applied, stores c, replacing (voiding) any code in the
// same scope, and c.Ticket when set, as PutTicket stores it: one statement
// (count_hits, then the put_code function, which stores the ticket with
// put_ticket), so one transaction, and an error applies nothing. An empty
// scope or MAC, or a gate Count would refuse is an error wrapping
// security.ErrInvalidArgument.
func (s *Store) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	if c.Scope == "" || len(c.MAC) == 0 {
		return false, nil, fmt.Errorf("pgstore: put code: empty scope or MAC: %w", security.ErrInvalidArgument)
	}
	args := append([]any{c.Scope, c.MAC, toNS(c.ExpiresAt), c.Tries}, ticketArgs(c.Ticket)...)
	a, err := newHitArgs(now, gates)
	if err != nil {
		return false, nil, err
	}
	var (
		counts  []int64
		applied []bool
		oldest  []*int64
		stored  bool
	)
	args = append(args, a.keys, a.widths, a.buckets, a.adds, a.maxes, a.resets)
	if err := s.pool.QueryRow(ctx, s.q.putCode, args...).Scan(&counts, &applied, &oldest, &stored); err != nil {
		return false, nil, wrap("put code", err)
	}
	tallies, err := a.tallies(counts, applied, oldest)
	return stored && err == nil, tallies, err
}

// VerifyCode checks c.MAC against the live code of c.Scope at now in one
// statement (a call of the verify_code function), atomically: it locks the
// code row and the failure counters c.Failures may move; answers
// CodeBlocked, changing nothing, when a failure hit with a Max has no room;
// otherwise consumes the code on a match, storing c.OnMatch when set as
// PutTicket stores it (through the same put_ticket function), or counts the
// wrong try (deleting the code when the count reaches c.MaxTries, a value
// below 1 counting as 1) and applies every failure hit's Add. The tallies
// are the failure counters after the call, in order.
//
// The MACs are compared through their SHA-256 digests inside PostgreSQL, so
// the comparison's timing reveals nothing about the stored MAC.
//
// An empty scope or a failure hit Count would refuse is an error wrapping
// security.ErrInvalidArgument.
func (s *Store) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	if c.Scope == "" {
		return security.CodeMissing, nil, fmt.Errorf("pgstore: verify code: empty scope: %w", security.ErrInvalidArgument)
	}
	a, err := newHitArgs(now, c.Failures)
	if err != nil {
		return security.CodeMissing, nil, err
	}
	var (
		res     int32
		counts  []int64
		applied []bool
		oldest  []*int64
	)
	args := append([]any{c.Scope, c.MAC, toNS(now), clampInt32(max(c.MaxTries, 1)),
		a.keys, a.widths, a.buckets, a.adds, a.maxes}, ticketArgs(c.OnMatch)...)
	err = s.pool.QueryRow(ctx, s.q.verifyCode, args...).Scan(&res, &counts, &applied, &oldest)
	if err != nil {
		return security.CodeMissing, nil, wrap("verify code", err)
	}
	tallies, err := a.tallies(counts, applied, oldest)
	if err != nil {
		return security.CodeMissing, nil, err
	}
	return security.CodeResult(res), tallies, nil
}

// DeleteCode removes the code of scope, if any.
func (s *Store) DeleteCode(ctx context.Context, scope string) error {
	if _, err := s.pool.Exec(ctx, s.q.deleteCode, scope); err != nil {
		return wrap("delete code", err)
	}
	return nil
}
