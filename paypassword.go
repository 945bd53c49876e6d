package security

import (
	"context"
	"crypto/subtle"
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

// pinHashPrefix starts a stored pay-password hash. The key ID of the secret
// that peppered the PIN follows, then the argon2id PHC string:
// "$acctsec-pin$k=1a2b3c4d$argon2id$v=19$...". A hash without it was stored
// before key IDs existed.
const pinHashPrefix = "$acctsec-pin$k="

// errUnknownPINKey: a stored PIN hash names a secret that is not configured.
var errUnknownPINKey = errors.New("security: the pay password was peppered with a secret that is not configured; add it to Config.PreviousSecrets")

// pepperPIN is what argon2id hashes instead of the PIN: an HMAC keyed by the
// current secret, bound to the user, so a stolen database alone cannot be
// searched through the 10^6 possible PINs.
func (s *Service) pepperPIN(userID, pin string) string {
	return s.keys.current.pepper(userID, pin)
}

// hashPIN returns the stored form of a new PIN: peppered with the current
// secret, hashed, and tagged with the secret's key ID.
func (s *Service) hashPIN(ctx context.Context, userID, pin string) (string, error) {
	h, err := s.hashSecret(ctx, s.pepperPIN(userID, pin))
	if err != nil {
		return "", err
	}
	return pinHashPrefix + s.keys.current.id + h, nil
}

// pinHashKeys splits a stored PIN hash into its PHC string and the keys
// that may have peppered it: the one its key ID names, or, for a hash from
// before key IDs, Secret then each of PreviousSecrets. tagged reports
// whether it had a key ID. A key ID no configured secret has is
// errUnknownPINKey (wrapped with the ID, which reveals nothing of the
// secret).
func (s *Service) pinHashKeys(stored string) (phc string, keys []*pepperKey, tagged bool, err error) {
	rest, tagged := strings.CutPrefix(stored, pinHashPrefix)
	if !tagged {
		return stored, append([]*pepperKey{s.keys.current}, s.keys.previous...), false, nil
	}
	const idLen = 8
	if len(rest) < idLen {
		return "", nil, true, errBadHash
	}
	k := s.keys.pepperByID(rest[:idLen])
	if k == nil {
		return "", nil, true, fmt.Errorf("%w (key ID %q)", errUnknownPINKey, rest[:idLen])
	}
	return rest[idLen:], []*pepperKey{k}, true, nil
}

// checkPINHash checks pin against a stored PIN hash. stale reports, on a
// match, that the hash should be replaced: its parameters are outdated, or
// it was peppered with another secret than Secret, or has no key ID.
func (s *Service) checkPINHash(ctx context.Context, userID, pin, stored string) (match, stale bool, err error) {
	phc, keys, tagged, err := s.pinHashKeys(stored)
	if err != nil {
		return false, false, err
	}
	for _, k := range keys {
		match, outdated, err := s.checkSecret(ctx, k.pepper(userID, pin), phc)
		if err != nil {
			return false, false, err
		}
		if match {
			return true, outdated || !tagged || k != s.keys.current, nil
		}
	}
	return false, false, nil
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
// ErrPayPasswordSet when one exists (use ChangePayPassword or
// ResetPayPassword) and with a *PolicyError for a weak PIN.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's locale is the notice's language.
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
	h, err := s.hashPIN(ctx, userID, pin)
	if err != nil {
		return err
	}
	release()
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
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
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's locale is the language of the notice a lock
// sends.
func (s *Service) VerifyPayPassword(ctx context.Context, userID, pin string) (err error) {
	ctx, end := s.observe(ctx, flowPayVerify)
	defer func() { end(err) }()
	ctx, unlock, err := s.takeTurn(ctx, s.payKey(userID))
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
	if _, _, _, err := s.pinHashKeys(a.PayPasswordHash); errors.Is(err, errUnknownPINKey) {
		// Before the attempt is counted: no PIN can match until the
		// operator configures the secret, and the user is not to blame.
		s.log.ErrorContext(ctx, "security: a pay password cannot be checked", "error", err.Error())
		return nil, err
	}
	att, st, err := s.begin(ctx, s.payKey(userID), s.lim.payLockout())
	if err != nil {
		return nil, err
	}
	if st.locked {
		return nil, st.err()
	}
	match, stale := false, false
	if leg, ok := legacyPIN(a.PayPasswordHash); ok && validPINFormat(pin) {
		// Imported from the host's old system: checked once under its
		// scheme, then peppered and hashed like any PIN.
		match, err = s.checkLegacy(ctx, pin, leg)
		stale = match
		if err != nil && !errors.Is(err, errBadHash) {
			return nil, err
		}
	} else if validPINFormat(pin) {
		match, stale, err = s.checkPINHash(ctx, userID, pin, a.PayPasswordHash)
		if err != nil && !errors.Is(err, errBadHash) {
			return nil, err
		}
	}
	if !match {
		s.emit(ctx, Event{Type: EventPayPasswordCheckFailed, UserID: userID})
		st, err := s.fail(ctx, att)
		if err != nil {
			return nil, err
		}
		if st.locked {
			s.emit(ctx, Event{Type: EventPayPasswordLocked, UserID: userID})
			s.notify(ctx, a, PurposePayPasswordLocked, st.until)
		}
		return nil, ErrWrongPayPassword
	}
	if err := s.succeed(ctx, att); err != nil {
		return nil, err
	}
	if stale {
		// New parameters and the current secret's pepper, in one write. The
		// record as it now is: ChangePayPassword compares its hash.
		a = s.replaceHash(ctx, a, payPasswordHashField, func() (string, error) { return s.hashPIN(ctx, userID, pin) })
	}
	return a, nil
}

// ChangePayPassword replaces userID's pay password after checking the old
// one (which counts toward the same lockout as VerifyPayPassword).
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's locale is the notice's language.
func (s *Service) ChangePayPassword(ctx context.Context, userID, oldPIN, newPIN string) (err error) {
	ctx, end := s.observe(ctx, flowPayChange)
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
	ctx, unlock, err := s.takeTurn(ctx, s.payKey(userID))
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
	h, err := s.hashPIN(ctx, userID, newPIN)
	if err != nil {
		return err
	}
	release()
	verified := a.PayPasswordHash
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
		if cur.PayPasswordHash != verified {
			return ErrWrongPayPassword // changed meanwhile
		}
		cur.PayPasswordHash, cur.PayPasswordSetAt = h, s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.emit(ctx, Event{Type: EventPayPasswordChanged, UserID: userID})
	s.notify(ctx, after, PurposePayPasswordChanged, time.Time{})
	return nil
}

// ResetPayPasswordRequest is the input of ResetPayPassword.
type ResetPayPasswordRequest struct {
	// UserID is the signed-in account.
	UserID string
	// Phone is the account's bound phone, and PhoneCode the code
	// SendPhoneCode sent to it.
	Phone, PhoneCode string
	// NewPIN is the pay password to set.
	NewPIN string
}

// ResetPayPassword resets r.UserID's forgotten pay password to r.NewPIN.
// r.Phone must be the bound phone (ErrNoPhone, ErrPhoneMismatch) and
// r.PhoneCode the SMS code SendPhoneCode sent to it. The new PIN comes in
// the same call, proved by the same code: a reset never leaves the PIN
// cleared for a stolen session to set with no proof. The lock is lifted.
//
// The context carries the deadline, which also bounds the wait for a
// hashing slot (ErrBusy). Its Client's locale is the notice's language.
func (s *Service) ResetPayPassword(ctx context.Context, r ResetPayPasswordRequest) (err error) {
	ctx, end := s.observe(ctx, flowPayReset)
	defer func() { end(err) }()
	userID, phone, code, newPIN := r.UserID, r.Phone, r.PhoneCode, r.NewPIN
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
	h, err := s.hashPIN(ctx, userID, newPIN)
	if err != nil {
		return err
	}
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
		if cur.Phone != p.E164 {
			return ErrPhoneMismatch // rebound meanwhile
		}
		cur.PayPasswordHash, cur.PayPasswordSetAt = h, s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.reset(ctx, lockResets(lockKey{s.payKey(userID), s.lim.payLockout()})); err != nil {
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
//
// The context carries the deadline and nothing else the call uses.
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
	st, err := s.lockStatus(ctx, s.payKey(a.UserID), s.lim.payLockout())
	if err != nil {
		return ps, err
	}
	if st.locked {
		ps.Locked = true
		if !st.forever {
			t := st.until.UTC().Truncate(time.Second)
			ps.LockedUntil = &t
		}
	}
	return ps, nil
}
