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

// deliver sends m now. An SMS notice first spends one unit of the notice
// budget and of its account's notice cap, in one store call: codes and
// notices have separate budgets, so notices (which a user can trigger by
// changing a password again and again) cannot stop codes for everyone.
// (A code's SMS spent the code budget in throttleSend.) Failures are
// logged (masked) and emitted, and returned wrapping ErrDeliveryFailed or
// ErrRateLimited.
func (s *Service) deliver(ctx context.Context, m Message) (err error) {
	defer s.delivered(ctx, &m, &err)
	if m.Channel == ChannelSMS && m.Purpose.IsNotice() {
		if err := s.spendNotice(ctx, m); err != nil {
			return err
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

// spendNotice spends an SMS notice's budget and account cap in one store
// call; a refusal takes back what it added.
func (s *Service) spendNotice(ctx context.Context, m Message) error {
	now := s.now()
	hits := make([]Hit, 0, budgetShards+1)
	if m.UserID != "" {
		hits = append(hits, capHit(s.key("notice-account", m.UserID), time.Hour, s.lim.SendsPerAccountHour))
	}
	hits, b := s.addBudget(hits, true)
	tallies, err := s.store.Count(ctx, now, hits)
	if err != nil {
		return s.storeErr(err)
	}
	if m.UserID != "" && !tallies[0].Applied {
		s.dropped(ctx, m, "notice_throttled")
		return s.refund(ctx, now, rateLimited(waitFor(tallies[0], now)), hits[b.first+b.shard])
	}
	if wait := s.checkBudget(ctx, b, tallies, m, now); wait > 0 {
		return s.refund(ctx, now, rateLimited(wait), applied(hits, tallies)...)
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
