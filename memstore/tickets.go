package memstore

import (
	"context"
	"time"

	security "github.com/acctsec/security"
)

// PutTicket stores t, deleting any other ticket of the same non-empty
// scope. Re-putting a ticket with its own ID replaces it.
func (s *Store) PutTicket(_ context.Context, t security.Ticket) error {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	if old, ok := s.tickets[t.ID]; ok {
		s.unlinkScope(old)
	}
	if t.Scope != "" {
		if other, ok := s.ticketScopes[t.Scope]; ok && other != t.ID {
			delete(s.tickets, other)
		}
		s.ticketScopes[t.Scope] = t.ID
	}
	s.tickets[t.ID] = t
	return nil
}

// GetTicket returns a copy of the live ticket id at now, or
// security.ErrNotFound.
func (s *Store) GetTicket(_ context.Context, id string, now time.Time) (*security.Ticket, error) {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	t, ok := s.liveTicket(id, now)
	if !ok {
		return nil, security.ErrNotFound
	}
	return &t, nil
}

// TakeTicket returns and deletes the live ticket id at now. When verified
// is true an unverified ticket is left alone and security.ErrNotFound
// returned.
func (s *Store) TakeTicket(_ context.Context, id string, now time.Time, verified bool) (*security.Ticket, error) {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	t, ok := s.liveTicket(id, now)
	if !ok || (verified && !t.Verified) {
		return nil, security.ErrNotFound
	}
	s.deleteTicket(t)
	return &t, nil
}

// DeleteTicketScope removes the ticket of scope, if any.
func (s *Store) DeleteTicketScope(_ context.Context, scope string) error {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	if id, ok := s.ticketScopes[scope]; ok {
		delete(s.tickets, id)
		delete(s.ticketScopes, scope)
	}
	return nil
}

// liveTicket returns ticket id if it is live at now, deleting it if it has
// expired. The caller holds ticketMu.
func (s *Store) liveTicket(id string, now time.Time) (security.Ticket, bool) {
	t, ok := s.tickets[id]
	if !ok {
		return security.Ticket{}, false
	}
	if !now.Before(t.ExpiresAt) {
		s.deleteTicket(t)
		return security.Ticket{}, false
	}
	return t, true
}

func (s *Store) deleteTicket(t security.Ticket) {
	delete(s.tickets, t.ID)
	s.unlinkScope(t)
}

// unlinkScope removes t from the scope index if it is the scope's ticket.
func (s *Store) unlinkScope(t security.Ticket) {
	if t.Scope != "" && s.ticketScopes[t.Scope] == t.ID {
		delete(s.ticketScopes, t.Scope)
	}
}

func (s *Store) sweepTickets(now int64) {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	for _, t := range s.tickets {
		if now >= t.ExpiresAt.UnixNano() {
			s.deleteTicket(t)
		}
	}
	if len(s.tickets) == 0 && len(s.ticketScopes) == 0 {
		// Release the buckets of a past burst.
		s.tickets = make(map[string]security.Ticket)
		s.ticketScopes = make(map[string]string)
	}
}
