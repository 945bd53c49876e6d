package security

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// UserIDByPhone returns the user whose bound phone is phone, for the host's
// own login ("sign in with phone and password"). The input is normalised
// as the flows and CreateAccount do it, so every accepted spelling of the
// number finds the account. The SMS country allow-list is not applied:
// nothing is sent, and an account created with a phone outside it must
// still be found. Errors: ErrInvalidPhone, ErrAccountNotFound.
//
// The answer says whether an account has the phone: never pass it to a
// client as is. Answer a failed login the same way whether the phone is
// unknown or the password wrong, and as slowly: on ErrAccountNotFound run
// VerifyPassword with a user ID no account has, which costs what a wrong
// password costs and stores nothing.
//
// The context carries the deadline and nothing else the call uses.
func (s *Service) UserIDByPhone(ctx context.Context, phone string) (_ string, err error) {
	ctx, end := s.observe(ctx, flowUserIDByPhone)
	defer func() { end(err) }()
	if strings.TrimSpace(phone) == "" {
		return "", fmt.Errorf("%w: empty phone", ErrInvalidPhone)
	}
	p, err := s.phones.Normalize(phone)
	if err != nil {
		if !errors.Is(err, ErrInvalidPhone) {
			err = fmt.Errorf("%w: %w", ErrInvalidPhone, err)
		}
		return "", err
	}
	a, err := s.store.AccountByPhone(ctx, p.E164)
	return s.lookedUp(a, err)
}

// UserIDByEmail returns the user that holds the address email, verified or
// not, for the host's own login; see Account for whether it is verified.
// The input is normalised as the flows do it. Errors: ErrInvalidEmail,
// ErrAccountNotFound. The same warning as for UserIDByPhone applies.
//
// The context carries the deadline and nothing else the call uses.
func (s *Service) UserIDByEmail(ctx context.Context, email string) (_ string, err error) {
	ctx, end := s.observe(ctx, flowUserIDByEmail)
	defer func() { end(err) }()
	addr, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	a, err := s.store.AccountByEmail(ctx, addr)
	return s.lookedUp(a, err)
}

// lookedUp maps a lookup's record to its user ID.
func (s *Service) lookedUp(a *Account, err error) (string, error) {
	if errors.Is(err, ErrNotFound) {
		return "", ErrAccountNotFound
	}
	if err != nil {
		return "", s.storeErr(err)
	}
	return a.UserID, nil
}

// AccountInfo is the unmasked security record of a user, without its
// hashes: what the host needs for its own login, support tools and data
// exports. It is sensitive: the phone and address are in full. Keep it on
// the server; send clients Status, which masks them. String and LogValue
// mask the phone and address, so printing or logging it by mistake does
// not leak them.
type AccountInfo struct {
	UserID string
	// Phone is the bound phone in E.164, or "".
	Phone string
	// Email is the normalised address, or ""; EmailVerified says whether
	// its holder proved it.
	Email         string
	EmailVerified bool
	// PasswordSet is false for an account without a login password;
	// PasswordChangedAt is then zero.
	PasswordSet       bool
	PasswordChangedAt time.Time
	// PayPasswordSet says whether a pay password exists; PayPasswordSetAt
	// is when it was last set, changed or reset.
	PayPasswordSet   bool
	PayPasswordSetAt time.Time
	CreatedAt        time.Time
	// UpdatedAt is the last change of the record.
	UpdatedAt time.Time
}

// String describes i with its phone and address masked.
func (i AccountInfo) String() string {
	return "security.AccountInfo{" + i.UserID + " phone " + Mask(i.Phone) + " email " + Mask(i.Email) + "}"
}

// GoString keeps %#v from printing the phone and address.
func (i AccountInfo) GoString() string { return i.String() }

// LogValue makes log/slog record i with its phone and address masked.
func (i AccountInfo) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", i.UserID), slog.String("phone", Mask(i.Phone)),
		slog.String("email", Mask(i.Email)), slog.Bool("emailVerified", i.EmailVerified),
		slog.Bool("passwordSet", i.PasswordSet), slog.Bool("payPasswordSet", i.PayPasswordSet))
}

// Account returns userID's security record, unmasked and without hashes
// (see AccountInfo: for the host's own use, never for clients), or
// ErrAccountNotFound.
//
// The context carries the deadline and nothing else the call uses.
func (s *Service) Account(ctx context.Context, userID string) (_ *AccountInfo, err error) {
	ctx, end := s.observe(ctx, flowAccount)
	defer func() { end(err) }()
	a, err := s.account(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &AccountInfo{
		UserID: a.UserID, Phone: a.Phone, Email: a.Email, EmailVerified: a.Email != "" && a.EmailVerified,
		PasswordSet: a.PasswordHash != "", PasswordChangedAt: a.PasswordChangedAt.UTC(),
		PayPasswordSet: a.PayPasswordHash != "", PayPasswordSetAt: a.PayPasswordSetAt.UTC(),
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
	}, nil
}
