package security

import (
	"context"
	"fmt"
	"time"
)

// AdminRebindPhone binds phone to userID without a code: customer
// service's rebinding (申诉换绑) for a user who lost the bound phone and
// proved who they are some other way (identity documents, a video call).
// It is an administrator's action: never expose it to the user.
//
// The previous phone, if any, is replaced and its pending forgot-password
// flows, SMS login codes and member codes end. A notice goes to the
// previous phone (phone_unbound) and to the new one (phone_bound), and to
// the verified email, so that a rebinding an attacker talked customer
// service into is seen by the real user wherever they still are.
// EventPhoneBound is emitted with Reason "admin": end the user's sessions
// on it. Rebinding the phone already bound does nothing. Errors:
// ErrInvalidPhone, ErrAccountNotFound, ErrPhoneTaken (bound to another
// account: unbind it there first).
//
// The context carries the deadline; its Client's locale is the notices'
// language, its IP and user agent go into the event.
func (s *Service) AdminRebindPhone(ctx context.Context, userID, phone string) (err error) {
	ctx, end := s.observe(ctx, flowAdminRebindPhone)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
	}
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	before, after, err := s.updateAccount(ctx, userID, func(a *Account) error {
		if a.Phone == p.E164 {
			return errUnchanged
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
	if old := before.Phone; old != "" {
		s.voidForgotFlows(ctx, old)
		for _, scope := range []string{s.memberCodeScope(userID, old), s.loginCodeScope(old, userID)} {
			if err := s.store.DeleteCode(ctx, scope); err != nil {
				s.log.WarnContext(ctx, "security: could not void a code of the replaced phone", "error", err.Error())
			}
		}
	}
	s.emit(ctx, Event{Type: EventPhoneBound, UserID: userID, Destination: Mask(p.E164), Reason: "admin"})
	if before.Phone != "" {
		s.notify(ctx, &Account{UserID: userID, Phone: before.Phone, Email: after.Email, EmailVerified: after.EmailVerified},
			PurposePhoneUnbound, time.Time{})
		s.notify(ctx, &Account{UserID: userID, Phone: after.Phone}, PurposePhoneBound, time.Time{})
	} else {
		s.notify(ctx, after, PurposePhoneBound, time.Time{})
	}
	return nil
}
