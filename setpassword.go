package security

import (
	"context"
	"fmt"
	"time"
)

// SetPasswordRequest is the input of SetPassword.
type SetPasswordRequest struct {
	// UserID is the signed-in account, created without a password.
	UserID string
	// Phone is the account's bound phone, and PhoneCode the code
	// SendPhoneCode sent to it.
	Phone, PhoneCode string
	// NewPassword is the password to set.
	NewPassword string
}

// SetPassword sets the first login password of r.UserID, an account
// created without one (an SMS or WeChat sign-up). There is no old password
// to prove, so the proof is the bound phone instead: r.PhoneCode is the one
// SendPhoneCode sent to that phone (purpose confirm_phone), so a stolen
// session alone cannot give the account a password the thief knows. The
// password must pass the policy.
//
// Errors: ErrPasswordSet when the account has a password (use
// ChangePassword, or the forgot-password flow), ErrNoPhone when it has no
// bound phone (bind one first), ErrPhoneMismatch when r.Phone is not the
// bound one, *PolicyError, ErrInvalidCode, ErrTooManyAttempts,
// *RateLimitError. On success it emits EventPasswordSet and sends a
// security notice. The refusals that need no code come before the code is
// checked, so they never use it up.
//
// The context carries the deadline, which also bounds the wait for a
// hashing slot (ErrBusy). Its Client's locale is the notice's language.
func (s *Service) SetPassword(ctx context.Context, r SetPasswordRequest) (err error) {
	ctx, end := s.observe(ctx, flowSetPassword)
	defer func() { end(err) }()
	userID, phone, code, newPassword := r.UserID, r.Phone, r.PhoneCode, r.NewPassword
	if userID == "" || newPassword == "" {
		return fmt.Errorf("%w: user and password required", ErrInvalidArgument)
	}
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	if code == "" {
		return fmt.Errorf("%w: code required", ErrInvalidArgument)
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	switch {
	case a.PasswordHash != "":
		return ErrPasswordSet
	case a.Phone == "":
		return ErrNoPhone
	case a.Phone != p.E164:
		return ErrPhoneMismatch
	}
	n, err := s.checkNewPassword(ctx, newPassword, a)
	if err != nil {
		return err
	}
	if err := s.verifyCode(ctx, codeCheck{scope: s.memberCodeScope(userID, p.E164), dest: p.E164, code: code,
		rq: member(userID), userID: userID, purpose: PurposeConfirmPhone, sent: true}); err != nil {
		return err
	}
	h, err := s.hashSecret(ctx, n)
	if err != nil {
		return err
	}
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
		switch {
		case cur.PasswordHash != "":
			return ErrPasswordSet // set meanwhile, by another request
		case cur.Phone != p.E164:
			return ErrPhoneMismatch // the proof was for a phone no longer bound
		}
		cur.PasswordHash = h
		cur.PasswordChangedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.emit(ctx, Event{Type: EventPasswordSet, UserID: userID, Destination: Mask(p.E164)})
	s.notify(ctx, after, PurposePasswordChanged, time.Time{})
	return nil
}
