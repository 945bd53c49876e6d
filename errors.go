package security

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by the Service. Test with errors.Is; read the data of
// *RateLimitError, *LockedError and *PolicyError with errors.As. Errors never
// contain a password, PIN, code or token.
var (
	// ErrInvalidArgument: a required value is missing or malformed.
	ErrInvalidArgument = errors.New("security: invalid argument")
	// ErrInvalidPhone: the phone number does not parse or is not allowed.
	ErrInvalidPhone = errors.New("security: invalid phone number")
	// ErrInvalidEmail: the address is not a plain, valid email address.
	ErrInvalidEmail = errors.New("security: invalid email address")
	// ErrInvalidCode: the code or token is wrong, expired, used, voided or
	// was never issued for this scope. One error for all, by design.
	ErrInvalidCode = errors.New("security: invalid or expired code")
	// ErrTooManyAttempts: this wrong try used up the code's tries; the code is
	// void and a new one must be requested.
	ErrTooManyAttempts = errors.New("security: too many wrong tries, code voided")
	// ErrAccountNotFound: no security record for the user.
	ErrAccountNotFound = errors.New("security: account not found")
	// ErrWrongPassword: the login password is wrong (or the account does not
	// exist, for VerifyPassword).
	ErrWrongPassword = errors.New("security: wrong password")
	// ErrWrongPayPassword: the pay password is wrong.
	ErrWrongPayPassword = errors.New("security: wrong pay password")
	// ErrPhoneMismatch: the phone is not the account's bound phone (or not the
	// phone of the forgot-password flow).
	ErrPhoneMismatch = errors.New("security: phone does not match")
	// ErrPhoneProofRequired: changing a bound phone needs a code sent to the
	// phone bound now (ChangePhone), so a stolen session cannot move the
	// account to the thief's phone.
	ErrPhoneProofRequired = errors.New("security: a code sent to the bound phone is required to change it")
	// ErrSignInRequired: an email link requested by a signed-in user must be
	// opened by that user, signed in.
	ErrSignInRequired = errors.New("security: sign in as the user who asked for this link")
	// ErrSendRefused: Config.SendVeto refused the send. Wrap it in a veto's
	// error to have it reported as a refusal rather than a failure.
	ErrSendRefused = errors.New("security: send refused")
	// ErrNoPhone: the account has no bound phone.
	ErrNoPhone = errors.New("security: no phone bound")
	// ErrFlowRequired: a forgot-password step without its flow, or step 2
	// before step 1.
	ErrFlowRequired = errors.New("security: forgot-password flow required")
	// ErrPhoneTaken: the phone is bound to another account.
	ErrPhoneTaken = errors.New("security: phone bound to another account")
	// ErrEmailTaken: the address belongs to another account.
	ErrEmailTaken = errors.New("security: email belongs to another account")
	// ErrPayPasswordSet: Set was called but a pay password exists.
	ErrPayPasswordSet = errors.New("security: pay password already set")
	// ErrPayPasswordNotSet: the account has no pay password.
	ErrPayPasswordNotSet = errors.New("security: pay password not set")
	// ErrPasswordSet: SetPassword was called but a login password exists
	// (use ChangePassword, or the forgot-password flow).
	ErrPasswordSet = errors.New("security: password already set")
	// ErrPasswordNotSet: ChangePassword on an account that has no login
	// password (an SMS or WeChat sign-up); use SetPassword.
	ErrPasswordNotSet = errors.New("security: password not set")
	// ErrWeakPassword: the password policy refused the password (*PolicyError).
	ErrWeakPassword = errors.New("security: password refused by policy")
	// ErrWeakPayPassword: the PIN policy refused the PIN (*PolicyError).
	ErrWeakPayPassword = errors.New("security: pay password refused by policy")
	// ErrLocked: checks of the password or PIN are locked (*LockedError).
	ErrLocked = errors.New("security: locked")
	// ErrRateLimited: a throttle refused the request (*RateLimitError).
	ErrRateLimited = errors.New("security: rate limited")
	// ErrDeliveryFailed: the Notifier could not deliver the message.
	ErrDeliveryFailed = errors.New("security: delivery failed")
	// ErrBusy: no hashing slot became free before the context ended.
	ErrBusy = errors.New("security: busy, try again")
	// ErrClosed: the Service has been closed.
	ErrClosed = errors.New("security: service closed")
)

// RateLimitError is returned (wrapping ErrRateLimited) when a throttle
// refuses; RetryAfter is how long until the same request can succeed.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("security: rate limited, retry after %s", e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// LockedError is returned (wrapping ErrLocked) while password or PIN checks
// are locked. Until is zero when the lock lasts until a reset.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	if e.Until.IsZero() {
		return "security: locked until reset"
	}
	return "security: locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// PolicyError says why a password or PIN was refused. It wraps
// ErrWeakPassword or ErrWeakPayPassword.
type PolicyError struct {
	// Reason is a stable key: "too_short", "too_long", "common",
	// "context", "same_as_current", "repetitive", "sequence", "format",
	// "same_as_login", "breached", "check_failed".
	Reason string
	// Err is ErrWeakPassword or ErrWeakPayPassword.
	Err error
}

func (e *PolicyError) Error() string { return e.Err.Error() + ": " + e.Reason }

// Unwrap returns e.Err.
func (e *PolicyError) Unwrap() error { return e.Err }

func weakPassword(reason string) error { return &PolicyError{Reason: reason, Err: ErrWeakPassword} }
func weakPIN(reason string) error      { return &PolicyError{Reason: reason, Err: ErrWeakPayPassword} }

// storeErr wraps an unexpected store failure. The store's text stays in the
// error chain for the host's logs; the HTTP adapter never shows it.
func (s *Service) storeErr(err error) error {
	return fmt.Errorf("security: store: %w", err)
}
