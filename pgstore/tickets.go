package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/acctsec/security"
	"github.com/jackc/pgx/v5"
)

// PutTicket stores t, deleting any other ticket of the same non-empty scope,
// in one statement (a call of the put_ticket function). A unique index on the
// scope keeps at most one ticket per scope even when replicas race.
func (s *Store) PutTicket(ctx context.Context, t security.Ticket) error {
	if _, err := s.pool.Exec(ctx, s.q.putTicket, ticketArgs(&t)...); err != nil {
		return wrap("put ticket", err)
	}
	return nil
}

// ticketArgs returns the six put_ticket arguments of t (id, scope, user,
// destination, verified, expiry), which put_code and verify_code take too;
// all six are NULL, meaning no ticket, when t is nil.
func ticketArgs(t *security.Ticket) []any {
	if t == nil {
		return []any{nil, nil, nil, nil, nil, nil}
	}
	return []any{t.ID, t.Scope, t.UserID, t.Destination, t.Verified, toNS(t.ExpiresAt)}
}

// GetTicket returns the live ticket id at now, or security.ErrNotFound.
func (s *Store) GetTicket(ctx context.Context, id string, now time.Time) (*security.Ticket, error) {
	return s.scanTicket("get ticket", id, s.pool.QueryRow(ctx, s.q.getTicket, id, toNS(now)))
}

// TakeTicket returns and deletes the live ticket id at now in one
// DELETE ... RETURNING statement; of concurrent callers exactly one gets it.
// When verified is true an unverified ticket is left alone and
// security.ErrNotFound returned.
func (s *Store) TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (*security.Ticket, error) {
	return s.scanTicket("take ticket", id, s.pool.QueryRow(ctx, s.q.takeTicket, id, toNS(now), verified))
}

// DeleteTicketScope removes every ticket of scope. The empty scope groups
// nothing, so it deletes nothing.
func (s *Store) DeleteTicketScope(ctx context.Context, scope string) error {
	if _, err := s.pool.Exec(ctx, s.q.deleteTicketScope, scope); err != nil {
		return wrap("delete ticket scope", err)
	}
	return nil
}

func (s *Store) scanTicket(op, id string, row pgx.Row) (*security.Ticket, error) {
	t := security.Ticket{ID: id}
	var exp int64
	err := row.Scan(&t.Scope, &t.UserID, &t.Destination, &t.Verified, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, security.ErrNotFound
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	t.ExpiresAt = fromNS(exp)
	return &t, nil
}
