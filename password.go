package security

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
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

// passwordKey counts the wrong passwords unknown clients type for the
// password of userID set at set (the account's PasswordChangedAt). Each
// password has counters of its own, so a new password (a reset, a change)
// starts with no failures and no lock, and no store call ends the old
// ones. The zero time (no password, or one from before the field was kept)
// names the key without an epoch.
func (s *Service) passwordKey(userID string, set time.Time) string {
	if set.IsZero() {
		return s.key("pw", userID)
	}
	return s.key("pw", userID, passwordEpoch(set))
}

// passwordEpoch names the password set at set in its counters' keys.
func passwordEpoch(set time.Time) string { return strconv.FormatInt(set.UnixMicro(), 36) }

// VerifyPassword checks a login password for userID: the host's login calls
// it, since the library owns the hash. It returns nil on a match,
// ErrWrongPassword on a mismatch, when the account does not exist or when
// it has no password (all three cost the same time; the last two count
// against nothing, as there is no password to guess), and *LockedError
// while checks are locked. A hash with outdated parameters is upgraded on
// success.
//
// Wrong passwords are counted per client kind. From a client that presents
// (in Client.DeviceToken) a valid device token of userID, they count for
// that device alone: Limits.PasswordFailures in a row lock it for
// Limits.PasswordLockFor, Limits.DeviceMaxFailures in a row lock it until
// a reset. From any other client they count together for all unknown
// clients: PasswordFailures in a row lock them for PasswordLockFor,
// Limits.PasswordMaxFailures without a success lock them until a
// forgot-password reset or Unlock. So guessing at a user's password locks
// out the guessers, not the devices the user signs in on. Use SignIn to get
// the device token on success.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's device token tells the owner's known device
// from other clients.
func (s *Service) VerifyPassword(ctx context.Context, userID, password string) (err error) {
	ctx, end := s.observe(ctx, flowVerifyPassword)
	defer func() { end(err) }()
	_, err = s.signIn(ctx, userID, password, false)
	return err
}

// SignIn is VerifyPassword that, on success, also returns a device token
// for the client: keep it on the client (a long-lived, HttpOnly, Secure
// cookie is the usual place) and pass it back in Client.DeviceToken on its
// later requests (security.WithClient). The token is bound to userID, signed
// with Config.Secret and valid for Limits.DeviceTokenTTL; a new one is
// issued at each sign-in. It is not a session and grants nothing on its own:
// it only tells a known device from an unknown client.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's device token tells the owner's known device
// from other clients.
func (s *Service) SignIn(ctx context.Context, userID, password string) (deviceToken string, err error) {
	ctx, end := s.observe(ctx, flowSignIn)
	defer func() { end(err) }()
	return s.signIn(ctx, userID, password, true)
}

func (s *Service) signIn(ctx context.Context, userID, password string, issue bool) (string, error) {
	ctx, unlock, err := s.takeTurn(ctx, s.passwordCounter(ctx, userID))
	if err != nil {
		return "", err
	}
	defer unlock()
	ctx, release, err := s.holdSlot(ctx) // the check, and an upgrade if due
	if err != nil {
		return "", err
	}
	defer release()
	if _, err := s.checkPassword(ctx, userID, password); err != nil {
		return "", err
	}
	if !issue {
		return "", nil
	}
	return s.issueDevice(userID)
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
	a, upgrade, err := s.checkNormalized(ctx, userID, password, n)
	if err == nil && upgrade {
		a = s.rehash(ctx, a, passwordHashField, n)
	}
	return a, err
}

// checkNormalized checks a password, raw as typed and n normalised, against
// userID's hash and lockout. On success, upgrade reports that the stored
// hash is legacy or has outdated parameters: the caller replaces it, in its
// own update if it makes one (a password change) or by rehash.
func (s *Service) checkNormalized(ctx context.Context, userID, raw, n string) (a *Account, upgrade bool, err error) {
	a, err = s.store.GetAccount(ctx, userID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, false, s.storeErr(err)
	}
	var set time.Time
	if a != nil {
		set = a.PasswordChangedAt
	}
	key, lo := s.passwordKey(userID, set), s.lim.passwordLockout()
	if d, ok := s.deviceOf(ctx, userID); ok {
		key, lo = s.devicePasswordKey(userID, set, d), s.lim.deviceLockout()
	}
	// No account, or one without a password: there is nothing to guess, so
	// a try counts against nobody (counting would only let strangers lock
	// the password the user sets later). Look at the counter (the same
	// store work as a reservation) and run the decoy hash, so the answer
	// takes as long as a wrong password.
	guessable := a != nil && a.PasswordHash != ""
	var att *attempt
	var st lockState
	if !guessable {
		st, err = s.lockStatus(ctx, key, lo)
	} else {
		att, st, err = s.begin(ctx, key, lo)
	}
	if err != nil {
		return nil, false, err
	}
	if st.locked {
		return nil, false, st.err()
	}
	stored := s.decoy
	if guessable {
		stored = a.PasswordHash
	}
	match, upgrade, err := s.checkPasswordHash(ctx, raw, n, stored)
	if err != nil && !errors.Is(err, errBadHash) {
		return nil, false, err
	}
	if errors.Is(err, errBadHash) {
		// No usable hash (none set, or corrupted): as long as a wrong one.
		if _, _, err := s.checkSecret(ctx, n, s.decoy); err != nil && !errors.Is(err, errBadHash) {
			return nil, false, err
		}
	}
	if !guessable || !match {
		s.emit(ctx, Event{Type: EventPasswordCheckFailed, UserID: userID})
		if guessable {
			if st, err := s.fail(ctx, att); err != nil {
				return nil, false, err
			} else if st.locked {
				s.emit(ctx, Event{Type: EventPasswordLocked, UserID: userID})
			}
		}
		return nil, false, ErrWrongPassword
	}
	if err := s.succeed(ctx, att); err != nil {
		return nil, false, err
	}
	return a, upgrade, nil
}

// passwordCounter names the turn a password check of ctx's client takes:
// its known device's, or the one all unknown clients share. Checks take
// turns per counter, so a flood of guesses from unknown clients never
// queues the owner's known device behind it. (The counters themselves are
// per password too; see passwordKey.)
func (s *Service) passwordCounter(ctx context.Context, userID string) string {
	if d, ok := s.deviceOf(ctx, userID); ok {
		return s.devicePasswordKey(userID, time.Time{}, d)
	}
	return s.passwordKey(userID, time.Time{})
}

// ChangePassword changes userID's login password after checking the old
// one (sharing VerifyPassword's lockout). The new one must pass the policy
// and differ from the old. On success it emits EventPasswordChanged (end the
// user's other sessions on it), voids pending forgot-password flows and
// sends a security notice. An account without a password answers
// ErrPasswordNotSet: use SetPassword.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's device token tells the owner's known device
// from other clients, and its locale is the notice's language.
func (s *Service) ChangePassword(ctx context.Context, userID, oldPassword, newPassword string) (err error) {
	ctx, end := s.observe(ctx, flowChangePassword)
	defer func() { end(err) }()
	if userID == "" || oldPassword == "" || newPassword == "" {
		return fmt.Errorf("%w: user, old and new password required", ErrInvalidArgument)
	}
	// An account without a password has no old one to check: say so
	// (the signed-in user may know) rather than answer a wrong password.
	if a, err := s.account(ctx, userID); err != nil {
		return err
	} else if a.PasswordHash == "" {
		return ErrPasswordNotSet
	}
	// Refuse what can never pass before spending a lockout try on it.
	n, err := s.cheapPasswordPolicy(newPassword)
	if err != nil {
		return err
	}
	if err := s.hookPolicy(ctx, n); err != nil {
		return err
	}
	ctx, unlock, err := s.takeTurn(ctx, s.passwordCounter(ctx, userID))
	if err != nil {
		return err
	}
	defer unlock()
	ctx, release, err := s.holdSlot(ctx) // check the old, hash the new
	if err != nil {
		return err
	}
	defer release()
	old, ok := s.normalizeToCheck(oldPassword)
	if !ok {
		return ErrWrongPassword
	}
	a, _, err := s.checkNormalized(ctx, userID, oldPassword, old)
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
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
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
