package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/acctsec/security"
	"github.com/jackc/pgx/v5"
)

// CreateAccount stores a new record with Version 1 (and sets a.Version to 1).
// It returns security.ErrAccountExists, ErrPhoneTaken or ErrEmailTaken when a
// primary key or unique index of the accounts table refuses it.
func (s *Store) CreateAccount(ctx context.Context, a *security.Account) error {
	_, err := s.pool.Exec(ctx, s.q.createAccount,
		a.UserID, a.PasswordHash, toTS(a.PasswordChangedAt), a.Phone, a.Email, a.EmailVerified,
		a.PayPasswordHash, toTS(a.PayPasswordSetAt), toTS(a.CreatedAt), toTS(a.UpdatedAt))
	if err != nil {
		return wrap("create account", err)
	}
	a.Version = 1
	return nil
}

// GetAccount returns the record of userID, or security.ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, userID string) (*security.Account, error) {
	return s.queryAccount(ctx, "get account", s.q.getAccount, userID)
}

// AccountByPhone returns the record whose Phone equals e164, or
// security.ErrNotFound.
func (s *Store) AccountByPhone(ctx context.Context, e164 string) (*security.Account, error) {
	if e164 == "" {
		return nil, security.ErrNotFound
	}
	return s.queryAccount(ctx, "account by phone", s.q.accountByPhone, e164)
}

// AccountByEmail returns the record whose Email equals email byte for byte
// (as the unique index compares), or security.ErrNotFound. The Service
// passes addresses normalised by security.NormalizeEmail, which folds ASCII
// letters only; the store folds nothing, so no database locale can make two
// addresses one.
func (s *Store) AccountByEmail(ctx context.Context, email string) (*security.Account, error) {
	if email == "" {
		return nil, security.ErrNotFound
	}
	return s.queryAccount(ctx, "account by email", s.q.accountByEmail, email)
}

// UpdateAccount replaces the record of a.UserID if its stored Version equals
// a.Version, in one UPDATE ... WHERE user_id = $1 AND version = $2, and sets
// a.Version to the new version. When no row matched it tells
// security.ErrNotFound from security.ErrConflict with a second query. A
// refused update (ErrPhoneTaken, ErrEmailTaken or any failure) changes
// nothing.
func (s *Store) UpdateAccount(ctx context.Context, a *security.Account) error {
	tag, err := s.pool.Exec(ctx, s.q.updateAccount,
		a.UserID, a.Version, a.PasswordHash, toTS(a.PasswordChangedAt), a.Phone, a.Email,
		a.EmailVerified, a.PayPasswordHash, toTS(a.PayPasswordSetAt), toTS(a.CreatedAt),
		toTS(a.UpdatedAt))
	if err != nil {
		return wrap("update account", err)
	}
	if tag.RowsAffected() == 1 {
		a.Version++
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, s.q.accountExists, a.UserID).Scan(&exists); err != nil {
		return wrap("update account", err)
	}
	if exists {
		return security.ErrConflict
	}
	return security.ErrNotFound
}

func (s *Store) queryAccount(ctx context.Context, op, sql, arg string) (*security.Account, error) {
	var (
		a                                   security.Account
		pwChanged, paySet, created, updated *time.Time
	)
	err := s.pool.QueryRow(ctx, sql, arg).Scan(&a.UserID, &a.PasswordHash, &pwChanged,
		&a.Phone, &a.Email, &a.EmailVerified, &a.PayPasswordHash, &paySet, &created, &updated,
		&a.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, security.ErrNotFound
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	a.PasswordChangedAt = fromTS(pwChanged)
	a.PayPasswordSetAt = fromTS(paySet)
	a.CreatedAt = fromTS(created)
	a.UpdatedAt = fromTS(updated)
	return &a, nil
}

// DeleteAccount removes the record of userID in one DELETE, which frees its
// phone and email in the unique indexes at commit, or returns
// security.ErrNotFound when no row matched.
func (s *Store) DeleteAccount(ctx context.Context, userID string) error {
	tag, err := s.pool.Exec(ctx, s.q.deleteAccount, userID)
	if err != nil {
		return wrap("delete account", err)
	}
	if tag.RowsAffected() == 0 {
		return security.ErrNotFound
	}
	return nil
}
