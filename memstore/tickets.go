package memstore

import (
	"context"
	"time"

	security "github.com/acctsec/security"
)

// PutTicket stores t, deleting any other ticket of the same non-empty
// scope. Re-putting a ticket with its own ID replaces it. When the Store is
// full and t neither replaces a ticket of its ID nor one of its scope, it
// sweeps the entries expired by the Store's clock (see WithClock), at most
// once a second, and if that frees no slot stores nothing and returns an
// error wrapping security.ErrBusy.
func (s *Store) PutTicket(_ context.Context, t security.Ticket) error {
	if s.putTicket(t) {
		return nil
	}
	if s.sweepIfDue(s.now().UnixNano()) && s.putTicket(t) {
		return nil
	}
	return errFull
}

// putTicket is PutTicket under ticketMu: it reports false when t is new and
// no slot is free.
func (s *Store) putTicket(t security.Ticket) bool {
	s.ticketMu.Lock()
	defer s.ticketMu.Unlock()
	if s.ticketTakesSlot(t) && !s.reserve() {
		return false
	}
	s.storeTicket(t)
	return true
}

// ticketTakesSlot reports whether storing t needs a new slot: it replaces
// neither the ticket of its ID nor the one of its scope. The caller holds
// ticketMu.
func (s *Store) ticketTakesSlot(t security.Ticket) bool {
	if _, ok := s.tickets[t.ID]; ok {
		return false
	}
	_, ok := s.scopeTicket(t.Scope)
	return !ok
}

// storeTicket stores t, deleting any other ticket of its non-empty scope,
// as PutTicket does. The caller holds ticketMu and has reserved a slot when
// ticketTakesSlot says t needs one.
func (s *Store) storeTicket(t security.Ticket) {
	if old, ok := s.tickets[t.ID]; ok {
		s.unlinkScope(old)
	} else if o, ok := s.scopeTicket(t.Scope); ok {
		delete(s.tickets, o.ID) // t takes o's slot
		s.unlinkScope(o)
	}
	if t.Scope != "" {
		if o, ok := s.scopeTicket(t.Scope); ok && o.ID != t.ID {
			s.deleteTicket(o)
		}
		s.ticketScopes[t.Scope] = t.ID
	}
	s.tickets[t.ID] = t
}

// scopeTicket returns the ticket of the non-empty scope, if any. The caller
// holds ticketMu.
func (s *Store) scopeTicket(scope string) (security.Ticket, bool) {
	if scope == "" {
		return security.Ticket{}, false
	}
	id, ok := s.ticketScopes[scope]
	if !ok {
		return security.Ticket{}, false
	}
	t, ok := s.tickets[id]
	return t, ok
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
		if t, ok := s.tickets[id]; ok {
			s.deleteTicket(t)
		}
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

// deleteTicket removes t, which is in s.tickets, and gives back its slot.
// The caller holds ticketMu.
func (s *Store) deleteTicket(t security.Ticket) {
	delete(s.tickets, t.ID)
	s.unlinkScope(t)
	s.release(1)
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
