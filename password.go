package security

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/acctsec/security/internal/wordlist"
)

// maxPasswordBytes is the most input any password check reads: longer input
// is refused before normalisation or hashing.
const maxPasswordBytes = 1024

// normalizePassword applies the byte cap and NFKC. It never truncates,
// trims or changes case: "exactly as entered", up to canonical equivalence.
func (s *Service) normalizePassword(pw string) (string, error) {
	if len(pw) > maxPasswordBytes {
		return "", weakPassword("too_long")
	}
	if !utf8.ValidString(pw) {
		return "", fmt.Errorf("%w: password is not valid UTF-8", ErrInvalidArgument)
	}
	return norm.NFKC.String(pw), nil
}

// checkNewPassword normalises pw and applies the whole policy for account a
// (whose phone and email are context words). It returns the normalised form.
func (s *Service) checkNewPassword(ctx context.Context, pw string, a *Account) (string, error) {
	n, err := s.cheapPasswordPolicy(pw)
	if err != nil {
		return "", err
	}
	if err := s.contextPolicy(n, a); err != nil {
		return "", err
	}
	if err := s.hookPolicy(ctx, n); err != nil {
		return "", err
	}
	return n, nil
}

// cheapPasswordPolicy: length and blocklists, no I/O.
func (s *Service) cheapPasswordPolicy(pw string) (string, error) {
	if pw == "" {
		return "", fmt.Errorf("%w: password required", ErrInvalidArgument)
	}
	n, err := s.normalizePassword(pw)
	if err != nil {
		return "", err
	}
	switch runes := utf8.RuneCountInString(n); {
	case runes < s.lim.PasswordMinLength:
		return "", weakPassword("too_short")
	case runes > s.lim.PasswordMaxLength:
		return "", weakPassword("too_long")
	}
	lower := strings.ToLower(n)
	switch {
	case wordlist.CommonPassword(lower):
		return "", weakPassword("common")
	case wordlist.Repetitive(lower):
		return "", weakPassword("repetitive")
	case wordlist.Sequential(lower):
		return "", weakPassword("sequence")
	case s.cfg.Blocklist != nil && s.cfg.Blocklist(lower):
		return "", weakPassword("common")
	}
	return n, nil
}

// contextPolicy refuses a password containing the account's phone (its
// national number or any 8 consecutive digits of it), email address or local part, or user ID.
func (s *Service) contextPolicy(n string, a *Account) error {
	lower := strings.ToLower(n)
	var words []string
	if a.Phone != "" {
		digits := strings.TrimPrefix(a.Phone, "+")
		if p, err := s.phones.Normalize(a.Phone); err == nil {
			digits = strings.TrimPrefix(digits, p.CallingCode)
		}
		// The number, and every run of 8 of its digits.
		words = append(words, digits)
		for i := 0; i+8 <= len(digits); i++ {
			words = append(words, digits[i:i+8])
		}
	}
	if a.Email != "" {
		words = append(words, a.Email)
		if at := strings.LastIndexByte(a.Email, '@'); at >= 4 {
			words = append(words, a.Email[:at])
		}
	}
	if len(a.UserID) >= 4 {
		words = append(words, strings.ToLower(a.UserID))
	}
	for _, w := range words {
		if w != "" && strings.Contains(lower, w) {
			return weakPassword("context")
		}
	}
	return nil
}

func (s *Service) hookPolicy(ctx context.Context, n string) error {
	if s.cfg.PasswordCheck == nil {
		return nil
	}
	if err := s.cfg.PasswordCheck(ctx, n); err != nil {
		if errors.Is(err, ErrWeakPassword) {
			return err
		}
		return fmt.Errorf("security: password check: %w", err)
	}
	return nil
}

func (s *Service) passwordKey(userID string) string { return s.key("pw", userID) }

// VerifyPassword checks a login password for userID: the host's login calls
// it, since the library owns the hash. It returns nil on a match,
// ErrWrongPassword on a mismatch or when the account does not exist (both
// cost the same time), and *LockedError while checks are locked: 5
// consecutive failures block them for 15 minutes, 100 without a success lock
// them until the password is reset (Limits). A hash with outdated
// parameters is upgraded on success.
func (s *Service) VerifyPassword(ctx context.Context, userID, password string) error {
	ctx, release, err := s.holdSlot(ctx) // the check, and an upgrade if due
	if err != nil {
		return err
	}
	defer release()
	_, err = s.checkPassword(ctx, userID, password)
	return err
}

// normalizeToCheck normalises a password to check: input that cannot
// normalise (too long, not UTF-8) cannot be anyone's password.
func (s *Service) normalizeToCheck(password string) (string, bool) {
	n, err := s.normalizePassword(password)
	return n, err == nil
}

// checkPassword is VerifyPassword returning the account on success.
func (s *Service) checkPassword(ctx context.Context, userID, password string) (*Account, error) {
	if userID == "" || password == "" {
		return nil, fmt.Errorf("%w: user and password required", ErrInvalidArgument)
	}
	n, ok := s.normalizeToCheck(password)
	if !ok {
		return nil, ErrWrongPassword
	}
	return s.checkNormalized(ctx, userID, n)
}

// checkNormalized is checkPassword on a normalised password.
func (s *Service) checkNormalized(ctx context.Context, userID, n string) (*Account, error) {
	now := s.now()
	key := s.passwordKey(userID)
	a, err := s.store.GetAccount(ctx, userID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, s.storeErr(err)
	}
	var att Attempt
	if a == nil {
		// No account: look at the counter (the same store work as a
		// reservation) and run the decoy hash, so the answer takes as long.
		att, err = s.store.AttemptStatus(ctx, key, now, s.lim.passwordPolicy())
	} else {
		att, err = s.store.BeginAttempt(ctx, key, now, s.lim.passwordPolicy())
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	if !att.Allowed {
		return nil, s.lockedErr(att)
	}
	phc := s.decoy
	if a != nil {
		phc = a.PasswordHash
	}
	match, outdated, err := s.checkSecret(ctx, n, phc)
	if err != nil && !errors.Is(err, errBadHash) {
		return nil, err
	}
	if a == nil || !match {
		s.emit(ctx, Event{Type: EventPasswordCheckFailed, UserID: userID})
		if a != nil {
			s.emitIfLocked(ctx, key, s.lim.passwordPolicy(), EventPasswordLocked, userID)
		}
		return nil, ErrWrongPassword
	}
	if err := s.store.SucceedAttempt(ctx, key, att.ID, now); err != nil {
		return nil, s.storeErr(err)
	}
	if outdated {
		a = s.rehash(ctx, a, passwordHashField, n)
	}
	return a, nil
}

func (s *Service) lockedErr(a Attempt) error {
	if a.Forever {
		return &LockedError{}
	}
	return &LockedError{Until: a.LockedUntil.UTC()}
}

// emitIfLocked emits t when key is locked after a failure.
func (s *Service) emitIfLocked(ctx context.Context, key string, p LockPolicy, t EventType, userID string) (Attempt, bool) {
	st, err := s.store.AttemptStatus(ctx, key, s.now(), p)
	if err != nil || st.Allowed {
		return st, false
	}
	s.emit(ctx, Event{Type: t, UserID: userID})
	return st, true
}

// ChangePassword changes userID's login password after checking the old
// one (sharing VerifyPassword's lockout). The new one must pass the policy
// and differ from the old. On success it emits EventPasswordChanged (end the
// user's other sessions on it), voids pending forgot-password flows and
// sends a security notice.
func (s *Service) ChangePassword(ctx context.Context, userID, oldPassword, newPassword string) error {
	if userID == "" || oldPassword == "" || newPassword == "" {
		return fmt.Errorf("%w: user, old and new password required", ErrInvalidArgument)
	}
	// Refuse what can never pass before spending a lockout try on it.
	n, err := s.cheapPasswordPolicy(newPassword)
	if err != nil {
		return err
	}
	if err := s.hookPolicy(ctx, n); err != nil {
		return err
	}
	ctx, release, err := s.holdSlot(ctx) // check the old, hash the new
	if err != nil {
		return err
	}
	defer release()
	old, ok := s.normalizeToCheck(oldPassword)
	if !ok {
		return ErrWrongPassword
	}
	a, err := s.checkNormalized(ctx, userID, old)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(old), []byte(n)) == 1 {
		return weakPassword("same_as_current")
	}
	if err := s.contextPolicy(n, a); err != nil {
		return err
	}
	h, err := s.hashSecret(ctx, n)
	if err != nil {
		return err
	}
	release() // no more hashing: hooks and writes need no slot
	verified := a.PasswordHash
	_, after, err := s.updateAccount(ctx, userID, func(cur *Account) error {
		if cur.PasswordHash != verified {
			return ErrWrongPassword // changed meanwhile: the old password is no longer current
		}
		cur.PasswordHash = h
		cur.PasswordChangedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.voidForgotFlows(ctx, after.Phone)
	s.emit(ctx, Event{Type: EventPasswordChanged, UserID: userID})
	s.notify(ctx, after, PurposePasswordChanged, time.Time{})
	return nil
}
