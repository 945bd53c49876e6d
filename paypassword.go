package security

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/acctsec/security/internal/wordlist"
)

// PayPasswordStatus is the state of a user's pay password.
type PayPasswordStatus struct {
	Set    bool
	Locked bool
	// LockedUntil is when the lock ends; nil when not locked or locked until
	// a reset.
	LockedUntil *time.Time
}

func (s *Service) payKey(userID string) string { return s.key("pay", userID) }

// pepperPIN is what argon2id hashes instead of the PIN: an HMAC keyed by the
// secret, bound to the user, so a stolen database alone cannot be searched
// through the 10^6 possible PINs.
func (s *Service) pepperPIN(userID, pin string) string {
	return hex.EncodeToString(s.mac("pin", userID, pin))
}

// validPINFormat reports whether pin is exactly 6 ASCII digits.
func validPINFormat(pin string) bool { return validCodeFormat(pin) }

// checkNewPIN applies the PIN policy for account a.
func (s *Service) checkNewPIN(ctx context.Context, pin string, a *Account) error {
	if err := cheapPINPolicy(pin, a); err != nil {
		return err
	}
	return s.pinNotLoginPassword(ctx, pin, a)
}

// cheapPINPolicy: format, blocklist and the phone's tail, no hashing.
func cheapPINPolicy(pin string, a *Account) error {
	if !validPINFormat(pin) {
		return weakPIN("format")
	}
	if reason, weak := wordlist.WeakPIN(pin); weak {
		return weakPIN(reason)
	}
	if a.Phone != "" && strings.HasSuffix(a.Phone, pin) {
		return weakPIN("context")
	}
	return nil
}

// pinNotLoginPassword refuses a PIN equal to the login password: an
// argon2id comparison.
func (s *Service) pinNotLoginPassword(ctx context.Context, pin string, a *Account) error {
	// Equal to the login password? Only possible for imported hashes, since
	// the password policy asks for 8 characters; check it all the same.
	if a.PasswordHash != "" {
		match, _, err := s.checkSecret(ctx, pin, a.PasswordHash)
		if err != nil && !errors.Is(err, errBadHash) {
			return err
		}
		if match {
			return weakPIN("same_as_login")
		}
	}
	return nil
}

// SetPayPassword sets userID's first pay password. It refuses with
// ErrPayPasswordSet when one exists (use UpdatePayPassword or
// ResetPayPassword) and with a *PolicyError for a weak PIN.
func (s *Service) SetPayPassword(ctx context.Context, userID, pin string) (err error) {
	ctx, end := s.observe(ctx, flowPaySet)
	defer func() { end(err) }()
	if userID == "" || pin == "" {
		return fmt.Errorf("%w: user and pay password required", ErrInvalidArgument)
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	if a.PayPasswordHash != "" {
		return ErrPayPasswordSet
	}
	ctx, release, err := s.holdSlot(ctx) // compare with the login password, hash
	if err != nil {
		return err
	}
	defer release()
	if err := s.checkNewPIN(ctx, pin, a); err != nil {
		return err
	}
	h, err := s.hashSecret(ctx, s.pepperPIN(userID, pin))
	if err != nil {
		return err
	}
	release()
	_, after, err := s.updateAccount(ctx, userID, func(cur *Account) error {
		if cur.PayPasswordHash != "" {
			return ErrPayPasswordSet
		}
		cur.PayPasswordHash, cur.PayPasswordSetAt = h, s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.emit(ctx, Event{Type: EventPayPasswordSet, UserID: userID})
	s.notify(ctx, after, PurposePayPasswordSet, time.Time{})
	return nil
}

// VerifyPayPassword checks userID's pay password: the call a host makes to
// confirm a payment. A wrong PIN returns ErrWrongPayPassword; 5 consecutive
// wrong ones lock it for 3 hours and 10 within 24 hours until a reset
// (*LockedError, also while the right PIN is given). A right one resets the
// consecutive count. At most the allowed number of PINs is ever evaluated,
// however many requests race.
func (s *Service) VerifyPayPassword(ctx context.Context, userID, pin string) (err error) {
	ctx, end := s.observe(ctx, flowPayVerify)
	defer func() { end(err) }()
	unlock, err := s.locks.lock(ctx, s.payKey(userID))
	if err != nil {
		return err
	}
	defer unlock()
	ctx, release, err := s.holdSlot(ctx) // the check, and an upgrade if due
	if err != nil {
		return err
	}
	defer release()
	_, err = s.checkPIN(ctx, userID, pin)
	return err
}

func (s *Service) checkPIN(ctx context.Context, userID, pin string) (*Account, error) {
	if userID == "" || pin == "" {
		return nil, fmt.Errorf("%w: user and pay password required", ErrInvalidArgument)
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return nil, err
	}
	if a.PayPasswordHash == "" {
		return nil, ErrPayPasswordNotSet
	}
	now := s.now()
	key := s.payKey(userID)
	att, err := s.store.BeginAttempt(ctx, key, now, s.lim.payPolicy())
	if err != nil {
		return nil, s.storeErr(err)
	}
	if !att.Allowed {
		return nil, s.lockedErr(att)
	}
	match, outdated := false, false
	peppered := s.pepperPIN(userID, pin)
	if validPINFormat(pin) {
		match, outdated, err = s.checkSecret(ctx, peppered, a.PayPasswordHash)
		if err != nil && !errors.Is(err, errBadHash) {
			return nil, err
		}
	}
	if !match {
		s.emit(ctx, Event{Type: EventPayPasswordFailed, UserID: userID})
		if st, locked := s.emitIfLocked(ctx, key, s.lim.payPolicy(), EventPayPasswordLocked, userID); locked {
			s.notify(ctx, a, PurposePayPasswordLocked, st.LockedUntil)
		}
		return nil, ErrWrongPayPassword
	}
	if err := s.store.SucceedAttempt(ctx, key, att.ID, now); err != nil {
		return nil, s.storeErr(err)
	}
	if outdated {
		// The record as it now is: UpdatePayPassword compares its hash.
		a = s.rehash(ctx, a, payPasswordHashField, peppered)
	}
	return a, nil
}

// UpdatePayPassword replaces userID's pay password after checking the old
// one (which counts toward the same lockout as VerifyPayPassword).
func (s *Service) UpdatePayPassword(ctx context.Context, userID, oldPIN, newPIN string) (err error) {
	ctx, end := s.observe(ctx, flowPayUpdate)
	defer func() { end(err) }()
	if userID == "" || oldPIN == "" || newPIN == "" {
		return fmt.Errorf("%w: user, old and new pay password required", ErrInvalidArgument)
	}
	if !validPINFormat(newPIN) {
		return weakPIN("format")
	}
	if reason, weak := wordlist.WeakPIN(newPIN); weak {
		return weakPIN(reason)
	}
	unlock, err := s.locks.lock(ctx, s.payKey(userID))
	if err != nil {
		return err
	}
	defer unlock()
	ctx, release, err := s.holdSlot(ctx) // old PIN, login-password comparison, new hash
	if err != nil {
		return err
	}
	defer release()
	a, err := s.checkPIN(ctx, userID, oldPIN)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(oldPIN), []byte(newPIN)) == 1 {
		return weakPIN("same_as_current")
	}
	if err := s.checkNewPIN(ctx, newPIN, a); err != nil {
		return err
	}
	h, err := s.hashSecret(ctx, s.pepperPIN(userID, newPIN))
	if err != nil {
		return err
	}
	release()
	verified := a.PayPasswordHash
	_, after, err := s.updateAccount(ctx, userID, func(cur *Account) error {
		if cur.PayPasswordHash != verified {
			return ErrWrongPayPassword // changed meanwhile
		}
		cur.PayPasswordHash, cur.PayPasswordSetAt = h, s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.emit(ctx, Event{Type: EventPayPasswordUpdated, UserID: userID})
	s.notify(ctx, after, PurposePayPasswordChanged, time.Time{})
	return nil
}

// ResetPayPassword resets a forgotten pay password to newPIN. phone must
// be the bound phone (ErrNoPhone, ErrPhoneMismatch) and code the SMS code
// SendPhoneCode sent to it. The new PIN comes in the same call, proved by
// the same code: a reset never leaves the PIN cleared for a stolen session
// to set with no proof. The lock is lifted.
func (s *Service) ResetPayPassword(ctx context.Context, userID, phone, code, newPIN string) (err error) {
	ctx, end := s.observe(ctx, flowPayReset)
	defer func() { end(err) }()
	if userID == "" || code == "" || newPIN == "" {
		return fmt.Errorf("%w: user, code and new pay password required", ErrInvalidArgument)
	}
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	if a.Phone == "" {
		return ErrNoPhone
	}
	if err := cheapPINPolicy(newPIN, a); err != nil {
		return err
	}
	// The code first: its scope holds the phone, so a guessed phone number
	// is a failed verification, counted, not a free "mismatch" oracle. And
	// no hashing happens before it: without the code, a request cannot make
	// the Service spend argon2id work.
	if err := s.verifyCode(ctx, codeCheck{scope: s.memberCodeScope(userID, p.E164), dest: p.E164, code: code,
		rq: memberFor(userID, a.Phone == p.E164), userID: userID, purpose: PurposeConfirmPhone, sent: true}); err != nil {
		return err
	}
	if a.Phone != p.E164 {
		return ErrPhoneMismatch
	}
	ctx, release, err := s.holdSlot(ctx) // login-password comparison, new hash
	if err != nil {
		return err
	}
	defer release()
	if err := s.pinNotLoginPassword(ctx, newPIN, a); err != nil {
		return err
	}
	h, err := s.hashSecret(ctx, s.pepperPIN(userID, newPIN))
	if err != nil {
		return err
	}
	_, after, err := s.updateAccount(ctx, userID, func(cur *Account) error {
		if cur.Phone != p.E164 {
			return ErrPhoneMismatch // rebound meanwhile
		}
		cur.PayPasswordHash, cur.PayPasswordSetAt = h, s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.store.ClearAttempts(ctx, s.payKey(userID)); err != nil {
		// The PIN is reset; a lock left behind ends on its own or with Unlock.
		s.log.ErrorContext(ctx, "security: could not lift the pay-password lock after a reset", "error", err.Error())
	}
	release()
	s.emit(ctx, Event{Type: EventPayPasswordReset, UserID: userID})
	s.notify(ctx, after, PurposePayPasswordReset, time.Time{})
	return nil
}

// PayPasswordStatus reports whether userID has a pay password and whether
// it is locked.
func (s *Service) PayPasswordStatus(ctx context.Context, userID string) (_ PayPasswordStatus, err error) {
	ctx, end := s.observe(ctx, flowPayStatus)
	defer func() { end(err) }()
	a, err := s.account(ctx, userID)
	if err != nil {
		return PayPasswordStatus{}, err
	}
	return s.payStatus(ctx, a)
}

func (s *Service) payStatus(ctx context.Context, a *Account) (PayPasswordStatus, error) {
	ps := PayPasswordStatus{Set: a.PayPasswordHash != ""}
	if !ps.Set {
		return ps, nil
	}
	st, err := s.store.AttemptStatus(ctx, s.payKey(a.UserID), s.now(), s.lim.payPolicy())
	if err != nil {
		return ps, s.storeErr(err)
	}
	if !st.Allowed {
		ps.Locked = true
		if !st.Forever {
			t := st.LockedUntil.UTC().Truncate(time.Second)
			ps.LockedUntil = &t
		}
	}
	return ps, nil
}
