package security

import (
	"context"
	"errors"
	"time"
)

// Observer receives operational signals from a Service, for tracing and
// metrics (the otelsecurity module implements it with OpenTelemetry). Every
// field is optional; a nil Config.Observer costs nothing.
//
// Observers are called synchronously on the flow's goroutine and must be
// fast and safe for concurrent use. Nothing they receive carries a phone,
// address, code, token or user ID: flows, operations, channels, purposes
// and outcomes are fixed, low-cardinality keys. Security events, with their
// masked destinations and user IDs, go to Config.OnEvent instead.
type Observer struct {
	// FlowStart is called when an exported Service method starts, with the
	// flow's name ("bind_phone", "forgot_password.verify"; see FlowNames).
	// The flow runs on the returned context, so what the observer puts in it
	// (a span) reaches the Store, the Notifier and OnEvent. end is called
	// once when the flow returns, with its error; ErrorKind classifies it.
	// A nil end is allowed.
	FlowStart func(ctx context.Context, flow string) (_ context.Context, end func(err error))

	// Hashed reports one argon2id computation after it ran, and how long it
	// took (not counting the wait for a hashing slot). op is "hash" (a new
	// password or PIN) or "check" (a comparison).
	Hashed func(ctx context.Context, op string, d time.Duration)

	// Delivered reports one delivery attempt of a message, on the context
	// of the delivery, once it is settled. outcome is "sent", "failed" (the
	// Notifier returned an error; an SMS has spent a unit of its budget),
	// "throttled" (the SMS budget or the per-account notice limit refused
	// it; nothing spent) or "error" (the store failed).
	Delivered func(ctx context.Context, channel Channel, purpose Purpose, outcome string)

	// Background returns the context background deliveries queued by the
	// flow of ctx start from. It must not carry ctx's deadline or
	// cancellation, only what the observer needs to link the delivery to
	// the flow (its span). Default context.Background().
	Background func(ctx context.Context) context.Context
}

// FlowNames are the names Observer.FlowStart receives, one per exported
// flow method of Service.
var FlowNames = []string{
	flowCreateAccount, flowPrepareAccount, flowStatus, flowUnlock, flowUnblockDestination,
	flowSendPhoneCode, flowBindPhone, flowChangePhone,
	flowSendEmailVerification, flowVerifyEmailCode, flowVerifyEmailToken,
	flowSendPublicEmailVerification, flowVerifyPublicEmailCode, flowVerifyPublicEmailToken,
	flowForgotStart, flowForgotVerify, flowForgotComplete,
	flowVerifyPassword, flowSignIn, flowChangePassword,
	flowPaySet, flowPayVerify, flowPayChange, flowPayReset, flowPayStatus,
	flowSetPassword, flowUserIDByPhone, flowUserIDByEmail, flowAccount,
	flowSendLoginCode, flowVerifyLoginCode, flowSignInWithLoginCode,
	flowDeleteAccount, flowAdminRebindPhone,
}

const (
	flowCreateAccount               = "create_account"
	flowPrepareAccount              = "prepare_account"
	flowStatus                      = "status"
	flowUnlock                      = "unlock"
	flowUnblockDestination          = "unblock_destination"
	flowSendPhoneCode               = "send_phone_code"
	flowBindPhone                   = "bind_phone"
	flowChangePhone                 = "change_phone"
	flowSendEmailVerification       = "send_email_verification"
	flowVerifyEmailCode             = "verify_email_code"
	flowVerifyEmailToken            = "verify_email_token"
	flowSendPublicEmailVerification = "send_public_email_verification"
	flowVerifyPublicEmailCode       = "verify_public_email_code"
	flowVerifyPublicEmailToken      = "verify_public_email_token"
	flowForgotStart                 = "forgot_password.start"
	flowForgotVerify                = "forgot_password.verify"
	flowForgotComplete              = "forgot_password.complete"
	flowVerifyPassword              = "verify_password"
	flowSignIn                      = "sign_in"
	flowChangePassword              = "change_password"
	flowPaySet                      = "pay_password.set"
	flowPayVerify                   = "pay_password.verify"
	flowPayChange                   = "pay_password.change"
	flowPayReset                    = "pay_password.reset"
	flowPayStatus                   = "pay_password.status"
	flowDeleteAccount               = "delete_account"
	flowUserIDByPhone               = "user_id_by_phone"
	flowUserIDByEmail               = "user_id_by_email"
	flowAccount                     = "account"
	flowAdminRebindPhone            = "admin_rebind_phone"
	flowSetPassword                 = "set_password"
	flowSendLoginCode               = "login_code.send"
	flowVerifyLoginCode             = "login_code.verify"
	flowSignInWithLoginCode         = "login_code.sign_in"
)

// noEnd is the end of a flow nobody observes.
func noEnd(error) {}

// observe starts flow name for the Observer, if any, and returns the
// context the flow runs on and the function to call with its error. With
// no Observer it returns ctx and a no-op without allocating. Exported
// methods open with:
//
//	ctx, end := s.observe(ctx, flowBindPhone)
//	defer func() { end(err) }()
func (s *Service) observe(ctx context.Context, name string) (context.Context, func(error)) {
	if s.obs == nil || s.obs.FlowStart == nil {
		return ctx, noEnd
	}
	octx, end := s.obs.FlowStart(ctx, name)
	if octx == nil {
		octx = ctx
	}
	if end == nil {
		end = noEnd
	}
	return octx, end
}

// hashed reports an argon2id computation that started at start.
func (s *Service) hashed(ctx context.Context, op string, start time.Time) {
	if s.obs != nil && s.obs.Hashed != nil {
		s.obs.Hashed(ctx, op, time.Since(start))
	}
}

// delivered reports the outcome of deliver, whose error is *err.
func (s *Service) delivered(ctx context.Context, m *Message, err *error) {
	if s.obs == nil || s.obs.Delivered == nil {
		return
	}
	outcome := "sent"
	switch e := *err; {
	case e == nil:
	case errors.Is(e, ErrDeliveryFailed):
		outcome = "failed"
	case errors.Is(e, ErrRateLimited):
		outcome = "throttled"
	default:
		outcome = "error"
	}
	s.obs.Delivered(ctx, m.Channel, m.Purpose, outcome)
}

// background returns the base context of a delivery queued from ctx.
func (s *Service) background(ctx context.Context) context.Context {
	if s.obs != nil && s.obs.Background != nil {
		if b := s.obs.Background(ctx); b != nil {
			return b
		}
	}
	return context.Background()
}

// Stats is a snapshot of a Service's load, for gauges.
type Stats struct {
	// HashSlotsInUse of HashSlots (Config.MaxConcurrentHashes) are held by
	// argon2id work now.
	HashSlotsInUse, HashSlots int
	// QueueDepth of QueueCapacity (Config.QueueSize) messages wait for
	// background delivery.
	QueueDepth, QueueCapacity int
	// SMSBudgetPerHour is the hourly SMS budget (Limits.SMSBudgetPerHour),
	// shared by all replicas; codes and notices each have one this size.
	SMSBudgetPerHour int
}

// Stats returns the Service's current load. It is cheap and safe to call
// from a metrics collector at any time, also after Close.
func (s *Service) Stats() Stats {
	return Stats{
		HashSlotsInUse:   len(s.hashSem),
		HashSlots:        cap(s.hashSem),
		QueueDepth:       len(s.queue),
		QueueCapacity:    cap(s.queue),
		SMSBudgetPerHour: s.lim.SMSBudgetPerHour,
	}
}

// errorKinds maps errors to the keys of ErrorKind, most specific first.
var errorKinds = []struct {
	err error
	key string
}{
	{ErrBusy, "busy"},
	{ErrClosed, "closed"},
	{ErrDeliveryFailed, "delivery_failed"},
	{ErrRateLimited, "rate_limited"},
	{ErrLocked, "locked"},
	{ErrWeakPassword, "weak_password"},
	{ErrWeakPayPassword, "weak_pay_password"},
	{ErrInvalidPhone, "invalid_phone"},
	{ErrInvalidEmail, "invalid_email"},
	{ErrInvalidCode, "invalid_code"},
	{ErrTooManyAttempts, "too_many_attempts"},
	{ErrAccountNotFound, "account_not_found"},
	{ErrWrongPassword, "wrong_password"},
	{ErrWrongPayPassword, "wrong_pay_password"},
	{ErrPhoneMismatch, "phone_mismatch"},
	{ErrPhoneProofRequired, "phone_proof_required"},
	{ErrSignInRequired, "sign_in_required"},
	{ErrSendRefused, "send_refused"},
	{ErrNoPhone, "no_phone"},
	{ErrFlowRequired, "flow_required"},
	{ErrPhoneTaken, "phone_taken"},
	{ErrEmailTaken, "email_taken"},
	{ErrAccountExists, "account_exists"},
	{ErrPayPasswordSet, "pay_password_set"},
	{ErrPayPasswordNotSet, "pay_password_not_set"},
	{ErrInvalidArgument, "invalid_argument"},
	{context.DeadlineExceeded, "deadline_exceeded"},
	{context.Canceled, "canceled"},
}

// ErrorKind returns a stable, low-cardinality key for err's class, for
// metrics and traces: "ok" for nil, the snake_case name of the Service
// sentinel err matches ("invalid_code", "rate_limited", "busy"), or
// "internal" for anything else (a store failure, a host's veto error).
// It never looks at err's text.
func ErrorKind(err error) string {
	if err == nil {
		return "ok"
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.key
		}
	}
	return "internal"
}

// ChainEvents returns an OnEvent function that calls each non-nil fn in
// order, for a host that wants its own handler and an observer's (such as
// otelsecurity's) both. It returns nil when every fn is nil.
func ChainEvents(fns ...func(ctx context.Context, e Event)) func(ctx context.Context, e Event) {
	var live []func(context.Context, Event)
	for _, fn := range fns {
		if fn != nil {
			live = append(live, fn)
		}
	}
	switch len(live) {
	case 0:
		return nil
	case 1:
		return live[0]
	}
	return func(ctx context.Context, e Event) {
		for _, fn := range live {
			fn(ctx, e)
		}
	}
}
