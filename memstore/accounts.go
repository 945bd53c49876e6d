package memstore

import (
	"context"

	security "github.com/acctsec/security"
)

// CreateAccount stores a copy of a with Version 1 (a.Version is set to 1).
// It returns security.ErrAccountExists, ErrPhoneTaken or ErrEmailTaken on
// conflict, and then stores nothing.
func (s *Store) CreateAccount(_ context.Context, a *security.Account) error {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	if _, ok := s.accounts[a.UserID]; ok {
		return security.ErrAccountExists
	}
	if err := s.checkUnique(a); err != nil {
		return err
	}
	c := *a
	c.Version = 1
	s.accounts[c.UserID] = &c
	s.index(&c)
	a.Version = 1
	return nil
}

// GetAccount returns a copy of the record of userID, or security.ErrNotFound.
func (s *Store) GetAccount(_ context.Context, userID string) (*security.Account, error) {
	s.accMu.RLock()
	defer s.accMu.RUnlock()
	return s.copyOf(userID)
}

// AccountByPhone returns a copy of the record whose Phone is e164, or
// security.ErrNotFound (always for "").
func (s *Store) AccountByPhone(_ context.Context, e164 string) (*security.Account, error) {
	s.accMu.RLock()
	defer s.accMu.RUnlock()
	id, ok := s.byPhone[e164]
	if !ok {
		return nil, security.ErrNotFound
	}
	return s.copyOf(id)
}

// AccountByEmail returns a copy of the record whose Email is email, or
// security.ErrNotFound (always for "").
func (s *Store) AccountByEmail(_ context.Context, email string) (*security.Account, error) {
	s.accMu.RLock()
	defer s.accMu.RUnlock()
	id, ok := s.byEmail[email]
	if !ok {
		return nil, security.ErrNotFound
	}
	return s.copyOf(id)
}

// UpdateAccount replaces the record of a.UserID with a copy of a if the
// stored Version equals a.Version, bumping both. It returns
// security.ErrNotFound, ErrConflict, ErrPhoneTaken or ErrEmailTaken, in that
// order of precedence, and then changes nothing.
func (s *Store) UpdateAccount(_ context.Context, a *security.Account) error {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	cur, ok := s.accounts[a.UserID]
	if !ok {
		return security.ErrNotFound
	}
	if cur.Version != a.Version {
		return security.ErrConflict
	}
	if err := s.checkUnique(a); err != nil {
		return err
	}
	s.unindex(cur)
	c := *a
	c.Version++
	s.accounts[c.UserID] = &c
	s.index(&c)
	a.Version = c.Version
	return nil
}

// checkUnique reports whether a's phone or email belongs to another
// account. The caller holds accMu.
func (s *Store) checkUnique(a *security.Account) error {
	if id, ok := s.byPhone[a.Phone]; ok && a.Phone != "" && id != a.UserID {
		return security.ErrPhoneTaken
	}
	if id, ok := s.byEmail[a.Email]; ok && a.Email != "" && id != a.UserID {
		return security.ErrEmailTaken
	}
	return nil
}

func (s *Store) index(a *security.Account) {
	if a.Phone != "" {
		s.byPhone[a.Phone] = a.UserID
	}
	if a.Email != "" {
		s.byEmail[a.Email] = a.UserID
	}
}

func (s *Store) unindex(a *security.Account) {
	if a.Phone != "" {
		delete(s.byPhone, a.Phone)
	}
	if a.Email != "" {
		delete(s.byEmail, a.Email)
	}
}

// copyOf returns a copy of the record of userID. The caller holds accMu.
func (s *Store) copyOf(userID string) (*security.Account, error) {
	a, ok := s.accounts[userID]
	if !ok {
		return nil, security.ErrNotFound
	}
	c := *a
	return &c, nil
}

// DeleteAccount removes the record of userID and frees its phone and email,
// or returns security.ErrNotFound.
func (s *Store) DeleteAccount(_ context.Context, userID string) error {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	a, ok := s.accounts[userID]
	if !ok {
		return security.ErrNotFound
	}
	s.unindex(a)
	delete(s.accounts, userID)
	return nil
}
