package otelsecurity

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctsec/security"
)

// ScopeName is the instrumentation scope of every tracer and meter this
// package uses.
const ScopeName = "github.com/acctsec/security/otelsecurity"

// Attribute keys. Their values are fixed, low-cardinality keys; none is
// ever a phone, address, code, token, IP or user ID.
const (
	AttrFlow      = attribute.Key("acctsec.flow")      // "bind_phone", "forgot_password.verify"
	AttrOutcome   = attribute.Key("acctsec.outcome")   // security.ErrorKind, a delivery or store outcome
	AttrChannel   = attribute.Key("acctsec.channel")   // "sms", "email"
	AttrPurpose   = attribute.Key("acctsec.purpose")   // security.Purpose
	AttrReason    = attribute.Key("acctsec.reason")    // security.Event.Reason
	AttrKind      = attribute.Key("acctsec.kind")      // lockout: "password", "pay_password"; throttle: its reason
	AttrBudget    = attribute.Key("acctsec.budget")    // "codes", "notices"
	AttrOperation = attribute.Key("acctsec.operation") // a Store method, a hash operation
	AttrEvent     = attribute.Key("acctsec.event")     // security.EventType
	AttrCode      = attribute.Key("acctsec.code")      // the HTTP envelope's code
)

// Options configure an Instrumentation. The zero value uses the global
// providers and propagator of go.opentelemetry.io/otel.
type Options struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagators    propagation.TextMapPropagator
}

// Instrumentation turns a Service's signals into OpenTelemetry spans and
// metrics. Build one per Service with New and wire it in with NewService,
// or piece by piece: Observer, OnEvent, Store, Notifier, ObserveService and
// Handler. It is safe for concurrent use.
type Instrumentation struct {
	tracer trace.Tracer
	meter  metric.Meter
	props  propagation.TextMapPropagator

	flowDuration    metric.Float64Histogram
	hashDuration    metric.Float64Histogram
	storeDuration   metric.Float64Histogram
	deliverDuration metric.Float64Histogram
	httpDuration    metric.Float64Histogram
	deliveries      metric.Int64Counter
	deliveryFails   metric.Int64Counter
	budgetUsed      metric.Int64Counter
	budgetWarnings  metric.Int64Counter
	budgetExhausted metric.Int64Counter
	sends           metric.Int64Counter
	verifications   metric.Int64Counter
	lockouts        metric.Int64Counter
	throttled       metric.Int64Counter
	events          metric.Int64Counter
}

// Histogram bucket boundaries, in seconds.
var (
	hashBuckets  = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5}
	storeBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	flowBuckets  = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
)

// New returns an Instrumentation on the providers of opts.
func New(opts Options) (*Instrumentation, error) {
	tp, mp, props := opts.TracerProvider, opts.MeterProvider, opts.Propagators
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if props == nil {
		props = otel.GetTextMapPropagator()
	}
	in := &Instrumentation{tracer: tp.Tracer(ScopeName), meter: mp.Meter(ScopeName), props: props}
	m := in.meter
	var errs []error
	hist := func(name, desc string, buckets []float64) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	in.flowDuration = hist("acctsec.flow.duration", "Duration of Service flows, by flow and outcome (security.ErrorKind).", flowBuckets)
	in.hashDuration = hist("acctsec.hash.duration", "Duration of one argon2id computation, without the wait for a hashing slot, by operation (hash, check).", hashBuckets)
	in.storeDuration = hist("acctsec.store.duration", "Duration of Store calls, by operation (the Store method) and outcome.", storeBuckets)
	in.deliverDuration = hist("acctsec.delivery.duration", "Duration of Notifier sends, by channel and outcome.", flowBuckets)
	in.httpDuration = hist("http.server.request.duration", "Duration of HTTP requests to the account-security routes.", flowBuckets)
	in.deliveries = counter("acctsec.deliveries", "{message}", "Messages that reached delivery, by channel, purpose and outcome (sent, failed, throttled, error).")
	in.deliveryFails = counter("acctsec.delivery.failures", "{message}", "Messages not delivered, by purpose and reason (notifier, queue_full, notice_throttled).")
	in.budgetUsed = counter("acctsec.sms_budget.used", "{message}", "SMS that spent a unit of the hourly budget, by budget (codes, notices). The budget is shared by every replica: sum the increase over one hour across replicas and compare with acctsec.sms_budget.limit.")
	in.budgetWarnings = counter("acctsec.sms_budget.warnings", "{message}", "SMS sent past 80% of the hourly budget, by budget.")
	in.budgetExhausted = counter("acctsec.sms_budget.exhausted", "{message}", "SMS dropped because the hourly budget was spent, by budget.")
	in.sends = counter("acctsec.sends", "{message}", "Codes sent or refused, by channel, purpose and outcome (sent, throttled, failed, budget_exhausted).")
	in.verifications = counter("acctsec.verifications", "{attempt}", "Failed code and token verifications, by purpose and outcome (wrong_code, voided, expired_or_used, destination_blocked, misses, bad_token).")
	in.lockouts = counter("acctsec.lockouts", "{lockout}", "Password and pay-password lockouts started, by kind (password, pay_password).")
	in.throttled = counter("acctsec.throttled", "{request}", "Sends refused by a throttle, by kind (ip, account, destination, destination_failures) and purpose.")
	in.events = counter("acctsec.events", "{event}", "Security events, by type.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return in, nil
}

// NewService is security.New with this Instrumentation wired in: the store
// and the notifier wrapped (Store, Notifier), cfg.Observer set, OnEvent
// chained after cfg.OnEvent, and the gauges registered (ObserveService) for
// the Service's lifetime. cfg.Observer must be nil.
func (in *Instrumentation) NewService(store security.Store, notifier security.Notifier, cfg security.Config) (*security.Service, error) {
	if cfg.Observer != nil {
		return nil, errors.New("otelsecurity: Config.Observer is already set")
	}
	if store == nil || notifier == nil {
		return security.New(store, notifier, cfg) // its error
	}
	cfg.Observer = in.Observer()
	cfg.OnEvent = security.ChainEvents(cfg.OnEvent, in.OnEvent)
	svc, err := security.New(in.Store(store), in.Notifier(notifier), cfg)
	if err != nil {
		return nil, err
	}
	if _, err := in.ObserveService(svc); err != nil {
		_ = svc.Close(context.Background())
		return nil, err
	}
	return svc, nil
}

// ObserveService registers the gauges read from svc.Stats at each
// collection: acctsec.hash.slots_in_use, acctsec.hash.slots_limit,
// acctsec.delivery.queue_depth, acctsec.delivery.queue_capacity and
// acctsec.sms_budget.limit. Unregister the returned registration when svc
// is discarded.
func (in *Instrumentation) ObserveService(svc *security.Service) (metric.Registration, error) {
	m := in.meter
	gauge := func(name, unit, desc string) (metric.Int64ObservableGauge, error) {
		return m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
	}
	inUse, err1 := gauge("acctsec.hash.slots_in_use", "{slot}", "Hashing slots held by argon2id work now.")
	slots, err2 := gauge("acctsec.hash.slots_limit", "{slot}", "Hashing slots (Config.MaxConcurrentHashes).")
	depth, err3 := gauge("acctsec.delivery.queue_depth", "{message}", "Messages waiting for background delivery.")
	capacity, err4 := gauge("acctsec.delivery.queue_capacity", "{message}", "Size of the background delivery queue (Config.QueueSize).")
	budget, err5 := gauge("acctsec.sms_budget.limit", "{message}", "SMS allowed per hour by each budget (Limits.SMSBudgetPerHour).")
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := svc.Stats()
		o.ObserveInt64(inUse, int64(st.HashSlotsInUse))
		o.ObserveInt64(slots, int64(st.HashSlots))
		o.ObserveInt64(depth, int64(st.QueueDepth))
		o.ObserveInt64(capacity, int64(st.QueueCapacity))
		o.ObserveInt64(budget, int64(st.SMSBudgetPerHour))
		return nil
	}, inUse, slots, depth, capacity, budget)
}

// key returns v when it is a short machine key ([a-z0-9_.-], at most 40
// bytes), else "other": a defence in depth, so a future reason or purpose
// holding data could not reach an attribute.
func key(v string) string {
	if v == "" || len(v) > 40 {
		return "other"
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "other"
		}
	}
	return v
}
