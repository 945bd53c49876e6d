package security

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// job is one message for background delivery. A nil msg is a deliberate
// no-op: public flows queue one when no account matched, so that both
// answers do the same work.
type job struct {
	client Client // the request's client, for events; not its context
	// base is what Observer.Background kept of the request's context (its
	// span), without its deadline: context.Background() by default.
	base   context.Context
	msg    *Message
	onFail func(ctx context.Context)
	// sentEvent: emit EventCodeSent after a successful delivery.
	sentEvent bool
}

// enqueue hands j to the background workers without waiting.
func (s *Service) enqueue(ctx context.Context, j job) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	// The handler returns before delivery happens, so the job keeps only
	// what events need of the request, its client, and what an Observer
	// needs to link the delivery to the flow.
	j.client = ClientFrom(ctx)
	j.base = s.background(ctx)
	select {
	case s.queue <- j:
		return nil
	default:
		return fmt.Errorf("%w: delivery queue full", ErrBusy)
	}
}

func (s *Service) deliverLoop() {
	defer s.wg.Done()
	for j := range s.queue {
		if j.msg == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(WithClient(j.base, j.client), s.cfg.DeliveryTimeout)
		err := s.deliver(ctx, *j.msg)
		switch {
		case err != nil && j.onFail != nil:
			j.onFail(ctx)
		case err == nil && j.sentEvent:
			s.emit(ctx, Event{Type: EventCodeSent, UserID: j.msg.UserID, Destination: Mask(j.msg.To), Purpose: j.msg.Purpose})
		}
		cancel()
	}
}

// deliver sends m now. An SMS first spends one unit of its hourly budget:
// codes and notices have separate budgets, so notices (which a user can
// trigger by changing a password again and again) cannot stop codes for
// everyone; SMS notices are also capped per account. Failures are logged
// (masked) and emitted, and returned wrapping ErrDeliveryFailed or
// ErrRateLimited.
func (s *Service) deliver(ctx context.Context, m Message) (err error) {
	defer s.delivered(ctx, &m, &err)
	if m.Channel == ChannelSMS {
		budget := "sms-budget"
		if m.Purpose.IsNotice() {
			budget = "sms-notice-budget"
			if m.UserID != "" {
				wait, err := s.store.Allow(ctx, s.key("notice-account", m.UserID), s.now(), []Window{{time.Hour, s.lim.SendsPerAccountHour}})
				if err != nil {
					return s.storeErr(err)
				}
				if wait > 0 {
					s.dropped(ctx, m, "notice_throttled")
					return rateLimited(wait)
				}
			}
		}
		wait, err := s.store.Allow(ctx, s.key(budget), s.now(), []Window{{time.Hour, s.lim.SMSBudgetPerHour}})
		if err != nil {
			return s.storeErr(err)
		}
		if wait > 0 {
			s.log.WarnContext(ctx, "security: SMS budget spent, message dropped", slog.String("purpose", string(m.Purpose)), slog.String("to", Mask(m.To)))
			s.emit(ctx, Event{Type: EventSMSBudgetExhausted, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: budget})
			return rateLimited(wait)
		}
		s.warnBudget(ctx, budget, m)
	}
	if err := s.notifier.Send(ctx, m); err != nil {
		s.log.WarnContext(ctx, "security: delivery failed", slog.String("channel", string(m.Channel)),
			slog.String("purpose", string(m.Purpose)), slog.String("to", Mask(m.To)), slog.String("error", err.Error()))
		s.emit(ctx, Event{Type: EventDeliveryFailed, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: "notifier"})
		return fmt.Errorf("%w: %w", ErrDeliveryFailed, err)
	}
	return nil
}

// warnBudget emits EventSMSBudgetWarning for every SMS from the one that
// reaches 80% of the hourly budget on: a shadow window counts sends up to
// just below that mark and refuses from it on.
func (s *Service) warnBudget(ctx context.Context, budget string, m Message) {
	mark := s.lim.SMSBudgetPerHour * 8 / 10
	if mark < 2 {
		return
	}
	wait, err := s.store.Allow(ctx, s.key(budget+"-warning"), s.now(), []Window{{time.Hour, mark - 1}})
	if err == nil && wait > 0 {
		s.emit(ctx, Event{Type: EventSMSBudgetWarning, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: budget})
	}
}

// notify queues a security notice about a to each of its channels: the
// bound phone and the verified email. Notices are best effort: the change
// they report has already happened.
func (s *Service) notify(ctx context.Context, a *Account, p Purpose, lockedUntil time.Time) {
	if a == nil {
		return
	}
	base := Message{Purpose: p, Locale: s.locale(ctx), UserID: a.UserID, Time: s.now().UTC(), LockedUntil: lockedUntil}
	if a.Phone != "" {
		m := base
		m.Channel, m.To = ChannelSMS, a.Phone
		s.enqueueNotice(ctx, m)
	}
	if a.Email != "" && a.EmailVerified {
		m := base
		m.Channel, m.To = ChannelEmail, a.Email
		s.enqueueNotice(ctx, m)
	}
}

func (s *Service) enqueueNotice(ctx context.Context, m Message) {
	if err := s.enqueue(ctx, job{msg: &m}); err != nil {
		s.dropped(ctx, m, "queue_full")
	}
}

// dropped reports a message that will not be sent.
func (s *Service) dropped(ctx context.Context, m Message, reason string) {
	s.log.WarnContext(ctx, "security: message dropped", slog.String("purpose", string(m.Purpose)),
		slog.String("to", Mask(m.To)), slog.String("reason", reason))
	s.emit(ctx, Event{Type: EventDeliveryFailed, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: reason})
}

func ceilSecond(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Second
	}
	return ((d + time.Second - 1) / time.Second) * time.Second
}
