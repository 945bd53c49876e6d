package security

import (
	"context"
	"fmt"
	"time"
)

// BindPhone binds phone to userID, which has no phone yet, with the code
// SendPhoneCode sent to it. The code is scoped to (userID, phone): a code
// for another phone or user is ErrInvalidCode. A phone bound to another
// account is refused with ErrPhoneTaken, revealed only now that the code
// proved possession. Binding the phone already bound is a no-op. When the
// account already has another phone, BindPhone answers
// ErrPhoneProofRequired: use ChangePhone.
//
// The context carries the deadline; its Client's locale is the notice's
// language.
func (s *Service) BindPhone(ctx context.Context, userID, phone, code string) (err error) {
	ctx, end := s.observe(ctx, flowBindPhone)
	defer func() { end(err) }()
	return s.bindPhone(ctx, userID, phone, code, "")
}

// ChangePhoneRequest is the input of ChangePhone.
type ChangePhoneRequest struct {
	// UserID is the signed-in account.
	UserID string
	// NewPhone is the phone to bind, and NewPhoneCode the code SendPhoneCode
	// sent to it.
	NewPhone, NewPhoneCode string
	// CurrentPhoneCode is the code SendPhoneCode sent to the phone bound
	// now.
	CurrentPhoneCode string
}

// ChangePhone replaces r.UserID's bound phone by r.NewPhone. It needs two
// codes from SendPhoneCode: r.NewPhoneCode, sent to the new phone, and
// r.CurrentPhoneCode, sent to the phone bound now. Without the second, a
// stolen session could move the account to the thief's phone and then
// reset the pay password and the login password through it. A notice goes
// to the previous phone, and its pending forgot-password flows end.
//
// The context carries the deadline; its Client's locale is the notices'
// language.
func (s *Service) ChangePhone(ctx context.Context, r ChangePhoneRequest) (err error) {
	ctx, end := s.observe(ctx, flowChangePhone)
	defer func() { end(err) }()
	if r.CurrentPhoneCode == "" {
		return fmt.Errorf("%w: current phone code required", ErrInvalidArgument)
	}
	return s.bindPhone(ctx, r.UserID, r.NewPhone, r.NewPhoneCode, r.CurrentPhoneCode)
}

func (s *Service) bindPhone(ctx context.Context, userID, phone, code, currentCode string) error {
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
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
	current := a.Phone
	if current != "" && current != p.E164 {
		if currentCode == "" {
			return ErrPhoneProofRequired
		}
		if err := s.verifyCode(ctx, codeCheck{scope: s.memberCodeScope(userID, current), dest: current, code: currentCode,
			rq: owner(userID), userID: userID, purpose: PurposeConfirmPhone, sent: true}); err != nil {
			return err
		}
	}
	if err := s.verifyCode(ctx, codeCheck{scope: s.memberCodeScope(userID, p.E164), dest: p.E164, code: code,
		rq: memberFor(userID, current == p.E164), userID: userID, purpose: PurposeBindPhone, sent: true}); err != nil {
		return err
	}
	before, after, err := s.updateLoaded(ctx, a, func(a *Account) error {
		if a.Phone == p.E164 {
			return errUnchanged
		}
		if a.Phone != current {
			return ErrPhoneProofRequired // changed meanwhile: the proof was for another phone
		}
		a.Phone = p.E164
		return nil
	})
	if err != nil {
		return err
	}
	if before.Phone == after.Phone {
		return nil
	}
	s.voidForgotFlows(ctx, before.Phone)
	s.emit(ctx, Event{Type: EventPhoneBound, UserID: userID, Destination: Mask(p.E164)})
	// Tell the previous phone, if any, and the verified email; never the
	// new phone, which has just proved itself.
	to := &Account{UserID: userID, Phone: before.Phone, Email: after.Email, EmailVerified: after.EmailVerified}
	purpose := PurposePhoneUnbound
	if before.Phone == "" {
		purpose = PurposePhoneBound
	}
	s.notify(ctx, to, purpose, time.Time{})
	return nil
}

// SendPhoneCode sends an SMS code to phone for the signed-in user userID.
// The code binds that phone (BindPhone, or ChangePhone's new phone) or,
// when phone is the bound phone, proves possession of it (ResetPayPassword,
// ChangePhone's current phone). It is scoped to (userID,
// phone): it works for nothing else. A phone bound to another account is
// not refused here, so the answer reveals nothing about other accounts; the
// bind refuses it after the code proves possession. Delivery failures are
// returned (ErrDeliveryFailed) and leave no usable code behind.
//
// The context carries the deadline, which bounds the delivery too; its
// Client gives the IP for the per-IP throttle (required under
// Config.RequireClientIP) and the SMS's locale.
func (s *Service) SendPhoneCode(ctx context.Context, userID, phone string) (err error) {
	ctx, end := s.observe(ctx, flowSendPhoneCode)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
	}
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	purpose := PurposeBindPhone
	if a.Phone == p.E164 {
		purpose = PurposeConfirmPhone
	}
	req := SendRequest{Channel: ChannelSMS, To: p.E164, Purpose: purpose, UserID: userID, ClientIP: ClientFrom(ctx).IP}
	scope := s.memberCodeScope(userID, p.E164)
	code, err := s.issueCode(ctx, req, memberFor(userID, purpose == PurposeConfirmPhone), scope, nil)
	if err != nil {
		return err
	}
	m := Message{Channel: ChannelSMS, To: p.E164, Purpose: purpose, Code: code, TTL: s.lim.CodeTTL,
		Locale: s.locale(ctx), UserID: userID, Time: s.now().UTC()}
	if err := s.deliver(ctx, m); err != nil {
		s.voidCode(ctx, scope)
		return err
	}
	s.emit(ctx, Event{Type: EventCodeSent, UserID: userID, Destination: Mask(p.E164), Purpose: purpose})
	return nil
}

// memberCodeScope is where a signed-in user's code for phone e164 lives.
// It carries the phone's shard tag, as the phone's failure counters do, so
// a store can check the code and move them in one step on one slot.
func (s *Service) memberCodeScope(userID, e164 string) string {
	return s.destKey(e164, "code-member", userID, e164)
}
