package otelsecurity

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctsec/security"
)

// Observer returns the security.Observer to set as Config.Observer: a span
// per flow (named after it: "bind_phone", "forgot_password.verify"), the
// parent of the flow's store calls and deliveries, and the flow, hash and
// delivery metrics.
func (in *Instrumentation) Observer() *security.Observer {
	return &security.Observer{
		FlowStart:  in.flowStart,
		Hashed:     in.hashed,
		Delivered:  in.delivered,
		Background: background,
	}
}

// serverFault reports whether a flow outcome is the Service's failure
// rather than the caller's (a wrong code, a throttle): those set the
// span's status to Error.
func serverFault(outcome string) bool {
	switch outcome {
	case "internal", "delivery_failed", "busy", "closed":
		return true
	}
	return false
}

func (in *Instrumentation) flowStart(ctx context.Context, flow string) (context.Context, func(error)) {
	start := time.Now()
	flowAttr := AttrFlow.String(flow)
	ctx, span := in.tracer.Start(ctx, flow, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(flowAttr))
	return ctx, func(err error) {
		outcome := security.ErrorKind(err)
		span.SetAttributes(AttrOutcome.String(outcome))
		if serverFault(outcome) {
			// The kind only: an error's text may hold a phone or an
			// address (a database's unique-violation detail).
			span.SetStatus(codes.Error, outcome)
		}
		span.End()
		in.flowDuration.Record(ctx, time.Since(start).Seconds(),
			metric.WithAttributes(flowAttr, AttrOutcome.String(outcome)))
	}
}

func (in *Instrumentation) hashed(ctx context.Context, op string, d time.Duration) {
	in.hashDuration.Record(ctx, d.Seconds(), metric.WithAttributes(AttrOperation.String(key(op))))
}

func (in *Instrumentation) delivered(ctx context.Context, ch security.Channel, p security.Purpose, outcome string) {
	attrs := []attribute.KeyValue{AttrChannel.String(key(string(ch))), AttrPurpose.String(key(string(p))), AttrOutcome.String(key(outcome))}
	in.deliveries.Add(ctx, 1, metric.WithAttributes(attrs...))
	// The budget was spent when the provider was called, whatever it
	// answered; a refusal or a store failure spent nothing.
	if ch == security.ChannelSMS && (outcome == "sent" || outcome == "failed") {
		in.budgetUsed.Add(ctx, 1, metric.WithAttributes(AttrBudget.String(budgetOf(p))))
	}
}

// budgetOf names the SMS budget a message of purpose p spends.
func budgetOf(p security.Purpose) string {
	if p.IsNotice() {
		return "notices"
	}
	return "codes"
}

// background keeps only the flow's span context for a queued delivery, so
// its spans are children of the flow's although they run after it ended.
func background(ctx context.Context) context.Context {
	return trace.ContextWithSpanContext(context.Background(), trace.SpanContextFromContext(ctx))
}
