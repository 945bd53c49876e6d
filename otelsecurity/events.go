package otelsecurity

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctsec/security"
)

// OnEvent counts security events: set it as Config.OnEvent, or chain it
// with the host's own handler with security.ChainEvents. Every event is
// counted in acctsec.events by type and added to the flow's span as a span
// event; codes sent or refused, failed verifications, lockouts, throttles,
// failed deliveries and SMS-budget alerts have counters of their own. The
// event's user ID, destination, client IP and user agent are never used.
func (in *Instrumentation) OnEvent(ctx context.Context, e security.Event) {
	typ := key(string(e.Type))
	purpose := key(string(e.Purpose))
	in.events.Add(ctx, 1, metric.WithAttributes(AttrEvent.String(typ)))
	attrs := []attribute.KeyValue{}
	if e.Purpose != "" {
		attrs = append(attrs, AttrPurpose.String(purpose))
	}
	if e.Reason != "" {
		attrs = append(attrs, AttrReason.String(key(e.Reason)))
	}
	trace.SpanFromContext(ctx).AddEvent(typ, trace.WithAttributes(attrs...))

	switch e.Type {
	case security.EventCodeSent:
		in.send(ctx, e.Purpose, "sent")
	case security.EventSendThrottled:
		in.send(ctx, e.Purpose, "throttled")
		in.throttled.Add(ctx, 1, metric.WithAttributes(AttrKind.String(key(e.Reason)), AttrPurpose.String(purpose)))
	case security.EventVerificationFailed:
		in.verifications.Add(ctx, 1, metric.WithAttributes(AttrPurpose.String(purpose), AttrOutcome.String(key(e.Reason))))
	case security.EventPasswordLocked:
		in.lockouts.Add(ctx, 1, metric.WithAttributes(AttrKind.String("password")))
	case security.EventPayPasswordLocked:
		in.lockouts.Add(ctx, 1, metric.WithAttributes(AttrKind.String("pay_password")))
	case security.EventDeliveryFailed:
		in.deliveryFails.Add(ctx, 1, metric.WithAttributes(AttrPurpose.String(purpose), AttrReason.String(key(e.Reason))))
		if !e.Purpose.IsNotice() {
			in.send(ctx, e.Purpose, "failed")
		}
	case security.EventSMSBudgetWarning:
		in.budgetWarnings.Add(ctx, 1, metric.WithAttributes(AttrBudget.String(budgetOf(e.Purpose))))
	case security.EventSMSBudgetExhausted:
		in.budgetExhausted.Add(ctx, 1, metric.WithAttributes(AttrBudget.String(budgetOf(e.Purpose))))
		if !e.Purpose.IsNotice() {
			in.send(ctx, e.Purpose, "budget_exhausted")
		}
	}
}

// send counts a code of purpose p sent or refused. Codes for an email
// address are the email verifications; every other code is an SMS.
func (in *Instrumentation) send(ctx context.Context, p security.Purpose, outcome string) {
	ch := security.ChannelSMS
	if p == security.PurposeVerifyEmail {
		ch = security.ChannelEmail
	}
	in.sends.Add(ctx, 1, metric.WithAttributes(AttrChannel.String(string(ch)), AttrPurpose.String(key(string(p))), AttrOutcome.String(outcome)))
}
