package security

import (
	"context"
	"time"
)

// EventType names a security event.
type EventType string

// Event types.
const (
	EventAccountCreated         EventType = "account_created"
	EventPasswordChanged        EventType = "password_changed"
	EventPasswordReset          EventType = "password_reset"
	EventPasswordCheckFailed    EventType = "password_check_failed"
	EventPasswordLocked         EventType = "password_locked"
	EventPhoneBound             EventType = "phone_bound"
	EventPayPasswordSet         EventType = "pay_password_set"
	EventPayPasswordChanged     EventType = "pay_password_changed"
	EventPayPasswordReset       EventType = "pay_password_reset"
	EventPayPasswordCheckFailed EventType = "pay_password_check_failed"
	EventPayPasswordLocked      EventType = "pay_password_locked"
	EventEmailVerified          EventType = "email_verified"
	// EventEmailClaimDropped: another account proved an address this
	// account held unverified, and it was removed here.
	EventEmailClaimDropped  EventType = "email_claim_dropped"
	EventCodeSent           EventType = "code_sent"
	EventSendThrottled      EventType = "send_throttled"
	EventDeliveryFailed     EventType = "delivery_failed"
	EventVerificationFailed EventType = "verification_failed"
	EventSMSBudgetWarning   EventType = "sms_budget_warning"
	EventSMSBudgetExhausted EventType = "sms_budget_exhausted"
	EventForgotStarted      EventType = "forgot_password_started"
	EventUnlocked           EventType = "unlocked"
	// EventPasswordSet: a passwordless account set its first password.
	EventPasswordSet EventType = "password_set"
	// EventLoginCodeVerified: an SMS login code was right; the host signs
	// the user in.
	EventLoginCodeVerified EventType = "login_code_verified"
	// EventAccountDeleted: DeleteAccount erased the security record.
	EventAccountDeleted EventType = "account_deleted"
)

// Event is one security-relevant outcome. It never carries a secret;
// Destination is masked.
type Event struct {
	Type   EventType
	UserID string
	Time   time.Time
	// ClientIP is the client's address as the adapter determined it.
	ClientIP string
	// UserAgent is the client's User-Agent, when the adapter passed one.
	UserAgent string
	// Destination is the masked phone or address concerned, if any.
	Destination string
	// Purpose is the message purpose, for code events.
	Purpose Purpose
	// Reason is a short machine-readable detail, e.g. "wrong_code",
	// "expired_or_used", "voided", "ip", "destination", "budget".
	Reason string
}

// emit stamps e with the time and ctx's client and hands it to OnEvent: at
// once, or, while ctx's flow holds a hashing slot or a key's turn, when it
// holds neither (see eventHold).
func (s *Service) emit(ctx context.Context, e Event) {
	e.Time = s.now().UTC()
	c := ClientFrom(ctx)
	if e.ClientIP == "" {
		e.ClientIP = c.IP
	}
	if e.UserAgent == "" {
		e.UserAgent = c.UserAgent
	}
	if s.cfg.OnEvent == nil || s.keepEvent(ctx, e) {
		return
	}
	s.deliverEvent(ctx, e)
}
