package otelsecurity

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctsec/security"
)

// Notifier returns next with every Send traced (a producer span
// "acctsec.deliver", a child of the flow's, also for queued deliveries that
// run after the flow ended) and timed in acctsec.delivery.duration by
// channel and outcome. Only the channel and purpose are recorded: never the
// destination, code, link, locale or user, nor the provider's error text.
func (in *Instrumentation) Notifier(next security.Notifier) security.Notifier {
	return &notifier{in: in, next: next}
}

type notifier struct {
	in   *Instrumentation
	next security.Notifier
}

// Unwrap returns the wrapped Notifier.
func (n *notifier) Unwrap() security.Notifier { return n.next }

func (n *notifier) Send(ctx context.Context, m security.Message) error {
	ch := AttrChannel.String(key(string(m.Channel)))
	ctx, span := n.in.tracer.Start(ctx, "acctsec.deliver", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(ch, AttrPurpose.String(key(string(m.Purpose)))))
	start := time.Now()
	err := n.next.Send(ctx, m)
	outcome := "sent"
	if err != nil {
		outcome = "failed"
		span.SetStatus(codes.Error, "delivery failed") // a provider's text may quote the number
	}
	span.SetAttributes(AttrOutcome.String(outcome))
	span.End()
	n.in.deliverDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(ch, AttrOutcome.String(outcome)))
	return err
}
