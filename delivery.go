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
	ctx    context.Context
	msg    *Message
	onFail func(ctx context.Context)
}

// enqueue hands j to the background workers without waiting.
func (s *Service) enqueue(ctx context.Context, j job) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	// Keep the request's values (client IP for events), drop its
	// cancellation: the handler returns before delivery happens.
	j.ctx = context.WithoutCancel(ctx)
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
		ctx, cancel := context.WithTimeout(j.ctx, s.cfg.DeliveryTimeout)
		if err := s.deliver(ctx, *j.msg); err != nil && j.onFail != nil {
			j.onFail(ctx)
		}
		cancel()
	}
}

// deliver sends m now: SMS first spends one unit of the hourly budget.
// Failures are logged (masked) and emitted, and returned wrapping
// ErrDeliveryFailed or ErrRateLimited.
func (s *Service) deliver(ctx context.Context, m Message) error {
	if m.Channel == ChannelSMS {
		wait, err := s.store.Allow(ctx, s.key("sms-budget"), s.now(), []Window{{time.Hour, s.lim.SMSBudgetPerHour}})
		if err != nil {
			return s.storeErr(err)
		}
		if wait > 0 {
			s.log.WarnContext(ctx, "security: SMS budget spent, message dropped", slog.String("purpose", string(m.Purpose)), slog.String("to", Mask(m.To)))
			s.emit(ctx, Event{Type: EventSMSBudgetExhausted, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: "budget"})
			return &RateLimitError{RetryAfter: ceilSecond(wait)}
		}
	}
	if err := s.notifier.Send(ctx, m); err != nil {
		s.log.WarnContext(ctx, "security: delivery failed", slog.String("channel", string(m.Channel)),
			slog.String("purpose", string(m.Purpose)), slog.String("to", Mask(m.To)), slog.String("error", err.Error()))
		s.emit(ctx, Event{Type: EventDeliveryFailed, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: "notifier"})
		return fmt.Errorf("%w: %w", ErrDeliveryFailed, err)
	}
	return nil
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
		s.log.WarnContext(ctx, "security: notice not queued", slog.String("purpose", string(m.Purpose)),
			slog.String("to", Mask(m.To)), slog.String("error", err.Error()))
	}
}

func ceilSecond(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Second
	}
	return ((d + time.Second - 1) / time.Second) * time.Second
}
