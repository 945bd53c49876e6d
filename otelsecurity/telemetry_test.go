package otelsecurity_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/otelsecurity"
)

func TestFlowSpansParentStoreCallsAndDeliveries(t *testing.T) {
	f := newFixture(t)
	runEveryFlow(t, f)
	spans := f.spans.Ended()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	isFlow := func(s sdktrace.ReadOnlySpan) bool { return slices.Contains(security.FlowNames, s.Name()) }

	flows := map[string]int{}
	var stores, deliveries int
	for _, s := range spans {
		switch {
		case isFlow(s):
			flows[s.Name()]++
			assert.Equal(t, trace.SpanKindInternal, s.SpanKind())
		case strings.HasPrefix(s.Name(), "acctsec.store "), s.Name() == "acctsec.deliver":
			if s.Name() == "acctsec.deliver" {
				deliveries++
			} else {
				stores++
			}
			parent, ok := byID[s.Parent().SpanID()]
			if assert.Truef(t, ok, "%s has no recorded parent", s.Name()) {
				assert.Truef(t, isFlow(parent), "%s is a child of %s, not of a flow", s.Name(), parent.Name())
				assert.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID())
			}
		}
	}
	for _, name := range security.FlowNames {
		assert.Positivef(t, flows[name], "no span for flow %s", name)
	}
	assert.Greater(t, stores, 50)
	assert.Greater(t, deliveries, 10)

	// Flows started by HTTP requests are children of the request's span.
	var server []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			server = append(server, s)
		}
	}
	names := []string{}
	for _, s := range server {
		names = append(names, s.Name())
	}
	assert.ElementsMatch(t, []string{
		"GET /member/userservice/security/status", "GET /web/userservice/security",
		"GET /web/userservice/security/verifyMail", "POST /web/userservice/security/verifyMail",
		"GET /member/userservice/security", "GET unmatched",
		"PUT /member/userservice/security/setPassword",
		"GET /web/userservice/security/loginCode", "POST /web/userservice/security/loginCode",
	}, names)
	fromHTTP := map[string]string{
		"status":            "GET /member/userservice/security/status",
		"set_password":      "PUT /member/userservice/security/setPassword",
		"login_code.send":   "GET /web/userservice/security/loginCode",
		"login_code.verify": "POST /web/userservice/security/loginCode",
	}
	parented := map[string]int{}
	for _, s := range spans {
		if route, ok := fromHTTP[s.Name()]; ok && s.Parent().IsValid() { // the one from HTTP
			assert.Equal(t, route, byID[s.Parent().SpanID()].Name())
			parented[s.Name()]++
		}
	}
	for flow := range fromHTTP {
		assert.Equalf(t, 1, parented[flow], "%s: one flow started by HTTP", flow)
	}
	for _, s := range server {
		code := attr(s.Attributes(), "acctsec.code")
		status := attr(s.Attributes(), "http.response.status_code")
		if s.Name() == "GET /web/userservice/security/verifyMail" {
			// The link's confirmation page: HTML, no envelope.
			assert.Equal(t, "200", status)
			continue
		}
		assert.Equalf(t, status, code, "%s: the envelope code mirrors the status", s.Name())
	}

	// Outcomes: a wrong code is the caller's, a failed delivery the
	// Service's (status Error, with the kind and never the provider's text).
	var wrongBind, failedSend bool
	for _, s := range spans {
		switch {
		case s.Name() == "bind_phone" && attr(s.Attributes(), "acctsec.outcome") == "invalid_code":
			wrongBind = true
			assert.Equal(t, codes.Unset, s.Status().Code)
			assert.True(t, slices.ContainsFunc(s.Events(), func(e sdktrace.Event) bool { return e.Name == "verification_failed" }))
		case s.Name() == "send_phone_code" && attr(s.Attributes(), "acctsec.outcome") == "delivery_failed":
			failedSend = true
			assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "delivery_failed"}, s.Status())
		}
	}
	assert.True(t, wrongBind)
	assert.True(t, failedSend)
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	runEveryFlow(t, f)
	var rm metricdata.ResourceMetrics
	require.NoError(t, f.reader.Collect(context.Background(), &rm))
	metrics := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			metrics[m.Name] = m
		}
	}
	get := func(name string) metricdata.Metrics {
		t.Helper()
		m, ok := metrics[name]
		require.Truef(t, ok, "no metric %s", name)
		assert.NotEmptyf(t, m.Description, "%s has no description", name)
		assert.NotEmptyf(t, m.Unit, "%s has no unit", name)
		return m
	}
	// sum returns the total of a counter's points whose attributes
	// include want.
	sum := func(name string, want ...attribute.KeyValue) int64 {
		t.Helper()
		var n int64
		for _, p := range get(name).Data.(metricdata.Sum[int64]).DataPoints {
			if hasAll(p.Attributes, want) {
				n += p.Value
			}
		}
		return n
	}
	count := func(name string, want ...attribute.KeyValue) uint64 {
		t.Helper()
		var n uint64
		for _, p := range get(name).Data.(metricdata.Histogram[float64]).DataPoints {
			if hasAll(p.Attributes, want) {
				n += p.Count
			}
		}
		return n
	}
	gauge := func(name string) int64 {
		t.Helper()
		pts := get(name).Data.(metricdata.Gauge[int64]).DataPoints
		require.Len(t, pts, 1)
		return pts[0].Value
	}
	kv := attribute.String

	// Codes sent: binds to two phones, four email verifications (three
	// signed in, one public); one send refused by the cooldown, one failed
	// at the provider.
	assert.EqualValues(t, 2, sum("acctsec.sends", kv("acctsec.channel", "sms"), kv("acctsec.purpose", "bind_phone"), kv("acctsec.outcome", "sent")))
	assert.EqualValues(t, 4, sum("acctsec.sends", kv("acctsec.channel", "email"), kv("acctsec.purpose", "verify_email"), kv("acctsec.outcome", "sent")))
	assert.EqualValues(t, 1, sum("acctsec.sends", kv("acctsec.outcome", "throttled")))
	assert.EqualValues(t, 1, sum("acctsec.sends", kv("acctsec.outcome", "failed")))
	assert.EqualValues(t, 1, sum("acctsec.throttled", kv("acctsec.kind", "destination")))
	assert.EqualValues(t, 1, sum("acctsec.verifications", kv("acctsec.purpose", "bind_phone"), kv("acctsec.outcome", "wrong_code")))
	assert.EqualValues(t, 1, sum("acctsec.lockouts", kv("acctsec.kind", "password")))
	assert.EqualValues(t, 0, sum("acctsec.lockouts", kv("acctsec.kind", "pay_password")))
	assert.EqualValues(t, 1, sum("acctsec.delivery.failures", kv("acctsec.reason", "notifier")))
	assert.EqualValues(t, 3, sum("acctsec.events", kv("acctsec.event", "phone_bound")), "a bind, a change and customer service's rebinding")

	// Every SMS handed to the provider spent a unit, the failed one too.
	smsSent := sum("acctsec.deliveries", kv("acctsec.channel", "sms"), kv("acctsec.outcome", "sent"))
	smsFailed := sum("acctsec.deliveries", kv("acctsec.channel", "sms"), kv("acctsec.outcome", "failed"))
	assert.EqualValues(t, 1, smsFailed)
	assert.Equal(t, smsSent+smsFailed, sum("acctsec.sms_budget.used"))
	assert.Positive(t, sum("acctsec.sms_budget.used", kv("acctsec.budget", "notices")))
	// SMS codes: two binds, three confirmations (one for the first
	// password), two forgot-password codes, two login codes, and the one
	// whose delivery failed.
	assert.EqualValues(t, 10, sum("acctsec.sms_budget.used", kv("acctsec.budget", "codes")))
	assert.EqualValues(t, 2, sum("acctsec.sends", kv("acctsec.channel", "sms"), kv("acctsec.purpose", "login_code"), kv("acctsec.outcome", "sent")))

	assert.Positive(t, count("acctsec.hash.duration", kv("acctsec.operation", "hash")))
	assert.Positive(t, count("acctsec.hash.duration", kv("acctsec.operation", "check")))
	assert.Positive(t, count("acctsec.store.duration", kv("acctsec.operation", "GetAccount"), kv("acctsec.outcome", "ok")))
	assert.Positive(t, count("acctsec.store.duration", kv("acctsec.operation", "VerifyCode")))
	assert.Positive(t, count("acctsec.delivery.duration", kv("acctsec.channel", "email")))
	for _, name := range security.FlowNames {
		assert.Positivef(t, count("acctsec.flow.duration", kv("acctsec.flow", name)), "flow %s", name)
	}
	assert.EqualValues(t, 1, count("acctsec.flow.duration", kv("acctsec.flow", "bind_phone"), kv("acctsec.outcome", "invalid_code")))
	assert.EqualValues(t, 1, count("http.server.request.duration", kv("http.route", "unmatched"), kv("acctsec.code", "404")))

	assert.EqualValues(t, 3, gauge("acctsec.hash.slots_limit"))
	assert.EqualValues(t, 0, gauge("acctsec.hash.slots_in_use"))
	assert.EqualValues(t, 0, gauge("acctsec.delivery.queue_depth"))
	assert.EqualValues(t, 1024, gauge("acctsec.delivery.queue_capacity"))
	assert.Positive(t, gauge("acctsec.sms_budget.limit"))
}

func attr(kvs []attribute.KeyValue, k string) string {
	for _, kv := range kvs {
		if string(kv.Key) == k {
			return kv.Value.Emit()
		}
	}
	return ""
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, w := range want {
		v, ok := set.Value(w.Key)
		if !ok || v != w.Value {
			return false
		}
	}
	return true
}

func TestNewServiceRefusesASecondObserver(t *testing.T) {
	in, err := otelsecurity.New(otelsecurity.Options{})
	require.NoError(t, err)
	cfg := testConfig()
	cfg.Observer = &security.Observer{}
	_, err = in.NewService(memstore.New(), &outbox{}, cfg)
	require.ErrorContains(t, err, "Observer is already set")
}
