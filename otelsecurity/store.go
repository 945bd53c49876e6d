package otelsecurity

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctsec/security"
)

// Store returns next with every call traced (a client span named
// "acctsec.store <Method>", a child of the flow's) and timed in
// acctsec.store.duration by operation and outcome (ok, not_found,
// conflict, exists, taken, error). Keys, IDs, phones, addresses and MACs
// are never recorded, nor the text of errors.
func (in *Instrumentation) Store(next security.Store) security.Store {
	return &store{in: in, next: next}
}

// store is the traced Store. security.Store has no optional capabilities
// the Service looks for, so the wrapper hides nothing from it; Unwrap
// returns the store it wraps for a host that needs its own methods.
type store struct {
	in   *Instrumentation
	next security.Store
}

// Unwrap returns the wrapped Store.
func (s *store) Unwrap() security.Store { return s.next }

// storeSpanNames are the span names, by operation.
var storeSpanNames = map[string]string{
	"CreateAccount":     "acctsec.store CreateAccount",
	"GetAccount":        "acctsec.store GetAccount",
	"AccountByPhone":    "acctsec.store AccountByPhone",
	"AccountByEmail":    "acctsec.store AccountByEmail",
	"UpdateAccount":     "acctsec.store UpdateAccount",
	"PutCode":           "acctsec.store PutCode",
	"VerifyCode":        "acctsec.store VerifyCode",
	"DeleteCode":        "acctsec.store DeleteCode",
	"PutTicket":         "acctsec.store PutTicket",
	"GetTicket":         "acctsec.store GetTicket",
	"TakeTicket":        "acctsec.store TakeTicket",
	"DeleteTicketScope": "acctsec.store DeleteTicketScope",
	"Count":             "acctsec.store Count",
}

func (s *store) start(ctx context.Context, op string) (context.Context, trace.Span, time.Time) {
	ctx, span := s.in.tracer.Start(ctx, storeSpanNames[op], trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(AttrOperation.String(op)))
	return ctx, span, time.Now()
}

func (s *store) end(ctx context.Context, span trace.Span, op string, start time.Time, err error, extra ...attribute.KeyValue) {
	outcome := storeOutcome(err)
	span.SetAttributes(AttrOutcome.String(outcome))
	span.SetAttributes(extra...)
	if outcome == "error" {
		span.SetStatus(codes.Error, "store error") // never the text: it may quote a key or a phone
	}
	span.End()
	s.in.storeDuration.Record(ctx, time.Since(start).Seconds(),
		metric.WithAttributes(AttrOperation.String(op), AttrOutcome.String(outcome)))
}

// storeOutcome classifies a Store error by the sentinels of its contract.
func storeOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, security.ErrNotFound):
		return "not_found"
	case errors.Is(err, security.ErrConflict):
		return "conflict"
	case errors.Is(err, security.ErrAccountExists):
		return "exists"
	case errors.Is(err, security.ErrPhoneTaken), errors.Is(err, security.ErrEmailTaken):
		return "taken"
	}
	return "error"
}

func (s *store) CreateAccount(ctx context.Context, a *security.Account) (err error) {
	ctx, span, t := s.start(ctx, "CreateAccount")
	defer func() { s.end(ctx, span, "CreateAccount", t, err) }()
	return s.next.CreateAccount(ctx, a)
}

func (s *store) GetAccount(ctx context.Context, userID string) (_ *security.Account, err error) {
	ctx, span, t := s.start(ctx, "GetAccount")
	defer func() { s.end(ctx, span, "GetAccount", t, err) }()
	return s.next.GetAccount(ctx, userID)
}

func (s *store) AccountByPhone(ctx context.Context, e164 string) (_ *security.Account, err error) {
	ctx, span, t := s.start(ctx, "AccountByPhone")
	defer func() { s.end(ctx, span, "AccountByPhone", t, err) }()
	return s.next.AccountByPhone(ctx, e164)
}

func (s *store) AccountByEmail(ctx context.Context, email string) (_ *security.Account, err error) {
	ctx, span, t := s.start(ctx, "AccountByEmail")
	defer func() { s.end(ctx, span, "AccountByEmail", t, err) }()
	return s.next.AccountByEmail(ctx, email)
}

func (s *store) UpdateAccount(ctx context.Context, a *security.Account) (err error) {
	ctx, span, t := s.start(ctx, "UpdateAccount")
	defer func() { s.end(ctx, span, "UpdateAccount", t, err) }()
	return s.next.UpdateAccount(ctx, a)
}

func (s *store) DeleteAccount(ctx context.Context, userID string) (err error) {
	ctx, span, t := s.start(ctx, "DeleteAccount")
	defer func() { s.end(ctx, span, "DeleteAccount", t, err) }()
	return s.next.DeleteAccount(ctx, userID)
}

func (s *store) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (_ bool, _ []security.Tally, err error) {
	ctx, span, t := s.start(ctx, "PutCode")
	defer func() { s.end(ctx, span, "PutCode", t, err) }()
	return s.next.PutCode(ctx, now, c, gates)
}

// codeResults names the CodeResult values for the span.
var codeResults = map[security.CodeResult]string{
	security.CodeMissing: "missing", security.CodeMatched: "matched",
	security.CodeWrong: "wrong", security.CodeVoided: "voided",
	security.CodeBlocked: "blocked",
}

func (s *store) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (res security.CodeResult, tallies []security.Tally, err error) {
	ctx, span, t := s.start(ctx, "VerifyCode")
	defer func() {
		name, ok := codeResults[res]
		if !ok {
			name = "other"
		}
		s.end(ctx, span, "VerifyCode", t, err, attribute.String("acctsec.code_result", name))
	}()
	return s.next.VerifyCode(ctx, now, c)
}

func (s *store) DeleteCode(ctx context.Context, scope string) (err error) {
	ctx, span, t := s.start(ctx, "DeleteCode")
	defer func() { s.end(ctx, span, "DeleteCode", t, err) }()
	return s.next.DeleteCode(ctx, scope)
}

func (s *store) PutTicket(ctx context.Context, tk security.Ticket) (err error) {
	ctx, span, t := s.start(ctx, "PutTicket")
	defer func() { s.end(ctx, span, "PutTicket", t, err) }()
	return s.next.PutTicket(ctx, tk)
}

func (s *store) GetTicket(ctx context.Context, id string, now time.Time) (_ *security.Ticket, err error) {
	ctx, span, t := s.start(ctx, "GetTicket")
	defer func() { s.end(ctx, span, "GetTicket", t, err) }()
	return s.next.GetTicket(ctx, id, now)
}

func (s *store) TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (_ *security.Ticket, err error) {
	ctx, span, t := s.start(ctx, "TakeTicket")
	defer func() { s.end(ctx, span, "TakeTicket", t, err) }()
	return s.next.TakeTicket(ctx, id, now, verified)
}

func (s *store) DeleteTicketScope(ctx context.Context, scope string) (err error) {
	ctx, span, t := s.start(ctx, "DeleteTicketScope")
	defer func() { s.end(ctx, span, "DeleteTicketScope", t, err) }()
	return s.next.DeleteTicketScope(ctx, scope)
}

func (s *store) Count(ctx context.Context, now time.Time, hits []security.Hit) (tallies []security.Tally, err error) {
	ctx, span, t := s.start(ctx, "Count")
	defer func() {
		refused := 0
		for _, tl := range tallies {
			if !tl.Applied {
				refused++
			}
		}
		s.end(ctx, span, "Count", t, err, attribute.Int("acctsec.hits", len(hits)), attribute.Int("acctsec.refused", refused))
	}()
	return s.next.Count(ctx, now, hits)
}
