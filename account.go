package security

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// NewAccount is what a host knows of a user when it creates the user's
// security record, or imports it from another system.
type NewAccount struct {
	// UserID is the host's stable user identifier (1..128 bytes, printable).
	UserID string
	// Password is the initial login password; it must pass the policy.
	// Alternatively PasswordHash imports the hash of an existing one: an
	// argon2id PHC string, or any format of Config.LegacyHashes (bcrypt,
	// PBKDF2, crypt(3), ...; PasswordSalt and PasswordScheme for a digest
	// whose salt was kept apart, e.g. "md5-md5pass-salt"). An imported hash
	// is checked at the next login and replaced by argon2id. At most one of
	// the two may be given; with neither the account has no password (an
	// SMS or WeChat sign-up): password checks answer ErrWrongPassword until
	// SetPassword sets one.
	Password       string
	PasswordHash   string
	PasswordSalt   string
	PasswordScheme string
	// Phone, optional, is a phone the host has already verified.
	Phone string
	// Email, optional, is an address; EmailVerified says the host verified it.
	Email         string
	EmailVerified bool
	// PayPasswordHash, optional, imports the hash of an existing 6-digit pay
	// password in a format of Config.LegacyHashes (with PayPasswordSalt and
	// PayPasswordScheme as for the password). It is checked at the next pay
	// password check, then peppered and hashed like any PIN, with the same
	// lockout throughout.
	PayPasswordHash   string
	PayPasswordSalt   string
	PayPasswordScheme string
	// CreatedAt, optional, keeps the creation time of an imported account.
	CreatedAt time.Time
}

// ImportOptions tune PrepareAccount for bulk imports.
type ImportOptions struct {
	// KeepCheapHashes stores cheap legacy hashes (unsalted or salted MD5,
	// SHA-1, SHA-256 digests, md5crypt) as they are. By default they are
	// wrapped in argon2id at import ("onion"), so a leaked store costs an
	// attacker argon2id per guess even before the users' next login; that
	// costs one argon2id hash per such account at import.
	KeepCheapHashes bool
}

// Status is what the account-security page shows. Phone and Email are
// masked.
type Status struct {
	Phone                  string     `json:"phone"`
	PhoneBound             bool       `json:"phoneBound"`
	Email                  string     `json:"email"`
	EmailVerified          bool       `json:"emailVerified"`
	PayPasswordSet         bool       `json:"payPasswordSet"`
	PayPasswordLocked      bool       `json:"payPasswordLocked"`
	PayPasswordLockedUntil *time.Time `json:"payPasswordLockedUntil"`
	// PasswordSet is false for an account without a login password; its
	// PasswordChangedAt is then the zero time.
	PasswordSet       bool      `json:"passwordSet"`
	PasswordChangedAt time.Time `json:"passwordChangedAt"`
}

func validUserID(id string) bool {
	if id == "" || len(id) > 128 || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// CreateAccount creates the security record of a user. The password is
// checked against the policy (with the phone and address as context) and
// hashed; an imported hash is checked for its format, cheap ones are wrapped
// in argon2id, and it is upgraded on the first successful check. Without
// either the account has no password until SetPassword.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy).
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (err error) {
	ctx, end := s.observe(ctx, flowCreateAccount)
	defer func() { end(err) }()
	a, err := s.prepareAccount(ctx, n, ImportOptions{})
	if err != nil {
		return err
	}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		if errors.Is(err, ErrAccountExists) || errors.Is(err, ErrPhoneTaken) || errors.Is(err, ErrEmailTaken) {
			return err
		}
		return s.storeErr(err)
	}
	s.emit(ctx, Event{Type: EventAccountCreated, UserID: n.UserID})
	return nil
}

// PrepareAccount validates and normalises n into the record CreateAccount
// would store, without storing it: for bulk importers that write many
// records at once (cmd/acctsec-import, pgstore's ImportAccounts). Errors
// name the field at fault and never carry a hash or password.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy).
func (s *Service) PrepareAccount(ctx context.Context, n NewAccount, opt ImportOptions) (_ *Account, err error) {
	ctx, end := s.observe(ctx, flowPrepareAccount)
	defer func() { end(err) }()
	return s.prepareAccount(ctx, n, opt)
}

func (s *Service) prepareAccount(ctx context.Context, n NewAccount, opt ImportOptions) (*Account, error) {
	if !validUserID(n.UserID) {
		return nil, fmt.Errorf("%w: user ID", ErrInvalidArgument)
	}
	if n.Password != "" && n.PasswordHash != "" {
		return nil, fmt.Errorf("%w: at most one of Password and PasswordHash", ErrInvalidArgument)
	}
	a := &Account{UserID: n.UserID, EmailVerified: n.EmailVerified}
	if n.Phone != "" {
		p, err := s.phones.Normalize(n.Phone)
		if err != nil {
			return nil, err
		}
		a.Phone = p.E164
	}
	if n.Email != "" {
		e, err := NormalizeEmail(n.Email)
		if err != nil {
			return nil, err
		}
		a.Email = e
	} else {
		a.EmailVerified = false
	}
	onion := !opt.KeepCheapHashes
	switch {
	case n.Password == "" && n.PasswordHash == "":
		// No password: the account signs in by SMS code or the host's own
		// means until SetPassword.
	case n.PasswordHash != "":
		h, err := s.importPasswordHash(n.PasswordHash, n.PasswordSalt, n.PasswordScheme, onion)
		if err != nil {
			return nil, fmt.Errorf("%w: PasswordHash: %w", ErrInvalidArgument, err)
		}
		a.PasswordHash = h
	default:
		pw, err := s.checkNewPassword(ctx, n.Password, a)
		if err != nil {
			return nil, err
		}
		if a.PasswordHash, err = s.hashSecret(ctx, pw); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	if n.PayPasswordHash != "" {
		h, err := s.importPINHash(n.PayPasswordHash, n.PayPasswordSalt, n.PayPasswordScheme, onion)
		if err != nil {
			return nil, fmt.Errorf("%w: PayPasswordHash: %w", ErrInvalidArgument, err)
		}
		a.PayPasswordHash, a.PayPasswordSetAt = h, now
	}
	a.CreatedAt, a.UpdatedAt = now, now
	if a.PasswordHash != "" {
		a.PasswordChangedAt = now
	}
	if !n.CreatedAt.IsZero() {
		a.CreatedAt = n.CreatedAt.UTC()
	}
	return a, nil
}

// Status reports the account-security state of userID.
//
// The context carries the deadline and nothing else the call uses.
func (s *Service) Status(ctx context.Context, userID string) (_ *Status, err error) {
	ctx, end := s.observe(ctx, flowStatus)
	defer func() { end(err) }()
	a, err := s.account(ctx, userID)
	if err != nil {
		return nil, err
	}
	st := &Status{
		Phone: Mask(a.Phone), PhoneBound: a.Phone != "",
		Email: Mask(a.Email), EmailVerified: a.Email != "" && a.EmailVerified,
		PayPasswordSet:    a.PayPasswordHash != "",
		PasswordSet:       a.PasswordHash != "",
		PasswordChangedAt: a.PasswordChangedAt.UTC().Truncate(time.Second),
	}
	if st.PayPasswordSet {
		ps, err := s.payStatus(ctx, a)
		if err != nil {
			return nil, err
		}
		st.PayPasswordLocked, st.PayPasswordLockedUntil = ps.Locked, ps.LockedUntil
	}
	return st, nil
}

// errUnchanged stops updateAccount without writing.
var errUnchanged = errors.New("unchanged")

// updateAccount applies fn to a fresh copy of userID's record and stores it
// with an optimistic version check, retrying on conflict. fn must be cheap
// and repeatable (hash outside it). It returns the record before and after.
// When fn returns errUnchanged nothing is written and err is nil.
func (s *Service) updateAccount(ctx context.Context, userID string, fn func(a *Account) error) (before, after *Account, err error) {
	return s.updateFrom(ctx, userID, nil, fn)
}

// updateLoaded is updateAccount starting from loaded, the record the flow
// has just read: the first try saves that read's round trip. The update is
// versioned all the same, so a record changed since it was loaded is a
// conflict, and the next try reloads it and runs fn again.
func (s *Service) updateLoaded(ctx context.Context, loaded *Account, fn func(a *Account) error) (before, after *Account, err error) {
	return s.updateFrom(ctx, loaded.UserID, loaded, fn)
}

func (s *Service) updateFrom(ctx context.Context, userID string, loaded *Account, fn func(a *Account) error) (before, after *Account, err error) {
	for try := range 8 {
		var a *Account
		if try == 0 && loaded != nil {
			c := *loaded
			a = &c
		} else if a, err = s.account(ctx, userID); err != nil {
			return nil, nil, err
		}
		prev := *a
		if err := fn(a); err != nil {
			if errors.Is(err, errUnchanged) {
				return &prev, a, nil
			}
			return nil, nil, err
		}
		a.UpdatedAt = s.now().UTC()
		err = s.store.UpdateAccount(ctx, a)
		switch {
		case err == nil:
			return &prev, a, nil
		case errors.Is(err, ErrConflict):
			continue
		case errors.Is(err, ErrNotFound):
			return nil, nil, ErrAccountNotFound
		case errors.Is(err, ErrPhoneTaken), errors.Is(err, ErrEmailTaken):
			return nil, nil, err
		default:
			return nil, nil, s.storeErr(err)
		}
	}
	return nil, nil, s.storeErr(ErrConflict)
}

// Unlock lifts every lock on userID's password and pay-password checks and
// forgets their failures. It is an administrator's action, for after the
// user's identity was checked some other way: a user can lift them alone
// through the forgot-password flow and the pay-password reset.
//
// The context carries the deadline; its Client's IP and user agent go into
// the event.
func (s *Service) Unlock(ctx context.Context, userID string) (err error) {
	ctx, end := s.observe(ctx, flowUnlock)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
	}
	// The password's counters are those of its epoch (see passwordKey).
	var set time.Time
	switch a, err := s.store.GetAccount(ctx, userID); {
	case err == nil:
		set = a.PasswordChangedAt
	case !errors.Is(err, ErrNotFound):
		return s.storeErr(err)
	}
	if err := s.reset(ctx, lockResets(lockKey{s.passwordKey(userID, set), s.lim.passwordLockout()}, lockKey{s.payKey(userID), s.lim.payLockout()})); err != nil {
		return err
	}
	s.emit(ctx, Event{Type: EventUnlocked, UserID: userID, Reason: "account"})
	return nil
}

// UnblockDestination forgets the failed verifications that userID made
// against a phone number or email address, and those that strangers to it
// made together, so userID can send and verify codes for it again before
// Limits.DestinationFailureWindow has passed. (The owner of a destination
// is never blocked by others' failures; other requesters' own counts end on
// their own.) An administrator's action.
//
// The context carries the deadline and nothing else the call uses.
func (s *Service) UnblockDestination(ctx context.Context, userID, phoneOrEmail string) (err error) {
	ctx, end := s.observe(ctx, flowUnblockDestination)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
	}
	dest := ""
	if strings.Contains(phoneOrEmail, "@") {
		addr, err := NormalizeEmail(phoneOrEmail)
		if err != nil {
			return err
		}
		dest = addr
	} else {
		p, err := s.phones.Normalize(phoneOrEmail)
		if err != nil {
			return err
		}
		dest = p.E164
	}
	tag := s.destTag(dest)
	if err := s.reset(ctx, s.failureResets(s.failKey(tag, dest, member(userID)), s.strangersFailKey(tag, dest))); err != nil {
		return err
	}
	s.emit(ctx, Event{Type: EventUnlocked, UserID: userID, Destination: Mask(dest), Reason: "destination"})
	return nil
}

// account loads userID's record, mapping a missing one to ErrAccountNotFound.
func (s *Service) account(ctx context.Context, userID string) (*Account, error) {
	a, err := s.store.GetAccount(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrAccountNotFound
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	return a, nil
}
