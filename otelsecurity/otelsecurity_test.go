package otelsecurity_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/otelsecurity"
	"github.com/acctsec/security/securitytest"
)

// The test's personal data: none of it may reach a span or a metric.
const (
	userA  = "user-7f3a9c"
	userB  = "user-b81d20"
	phoneA = "+8613800138000"
	phoneB = "+8613900139000"
	phoneC = "+8613700137000"
	emailA = "alice.otel@example.com"
	emailB = "second.otel@example.org"
	emailC = "third.otel@example.net"
	pass1  = "violet tractor umbrella"
	pass2  = "granite orbit lantern"
	pass3  = "copper meadow whistle"
	pinA   = "583920"
	pinB   = "640271"
	pinC   = "719364"
	// An account created without a password (an SMS sign-up), its
	// password, and the phone customer service rebinds it to.
	userC   = "user-c4e917"
	phoneD  = "+8613600136000"
	emailD  = "fourth.otel@example.com"
	pass4   = "saffron harbor kettle"
	phoneE  = "+8613500135000"
	testIP  = "203.0.113.77"
	agentUA = "otel-test-agent/1.0"
)

// outbox is the fake notifier, waiting for background deliveries.
type outbox struct{ securitytest.Outbox }

// last waits for the nth message to dest of purpose p.
func (o *outbox) last(t *testing.T, dest string, p security.Purpose, n int) security.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := o.WaitFunc(ctx, n, func(m security.Message) bool { return m.To == dest && m.Purpose == p })
	if err != nil {
		t.Fatalf("no message %d to %s for %s", n, dest, p)
	}
	return got[n-1]
}

type fixture struct {
	svc     *security.Service
	out     *outbox
	clock   *securitytest.Clock
	spans   *tracetest.SpanRecorder
	reader  *sdkmetric.ManualReader
	handler http.Handler
	secrets []string // what the flows handled: to look for in the telemetry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{out: &outbox{}, clock: securitytest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
		spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	in, err := otelsecurity.New(otelsecurity.Options{TracerProvider: tp, MeterProvider: mp, Propagators: propagation.TraceContext{}})
	require.NoError(t, err)
	store := memstore.New(memstore.WithClock(f.clock.Now))
	t.Cleanup(func() { _ = store.Close() })
	var hostEvents []security.EventType
	var mu sync.Mutex
	cfg := testConfig()
	cfg.Now = f.clock.Now
	cfg.OnEvent = func(_ context.Context, e security.Event) {
		mu.Lock()
		hostEvents = append(hostEvents, e.Type)
		mu.Unlock()
	}
	f.svc, err = in.NewService(store, f.out, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		assert.NotEmpty(t, hostEvents, "the host's own OnEvent still runs")
	})
	ad := httpadapter.New(f.svc, httpadapter.Options{
		UserID:          func(r *http.Request) (string, bool) { return r.Header.Get("X-User-ID"), true },
		InsecureCookies: true,
		// The host's session for the SMS login: a cookie naming the user.
		OnLogin: func(w http.ResponseWriter, _ *http.Request, userID string) error {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: sessionPrefix + userID, HttpOnly: true})
			return nil
		},
	})
	f.handler = in.Handler(ad, otelsecurity.HTTPOptions{})
	f.secrets = []string{userA, userB, phoneA, phoneB, phoneC, "13800138000", "13900139000", "13700137000",
		emailA, emailB, emailC, "alice.otel", "example.com", "example.org", "example.net", pass1, pass2, pass3, pinA, pinB, pinC,
		testIP, agentUA, "****", userC, phoneD, "13600136000", emailD, "fourth.otel", pass4, phoneE, "13500135000",
		sessionPrefix}
	return f
}

func testConfig() security.Config {
	return security.Config{
		Secret:              []byte("cB4xY7LpQ2mN9sT1vW6zR3kH8jF5dG0aE4uI7oP2lKs="),
		LinkBaseURL:         "https://accounts.example.com/verify",
		MaxConcurrentHashes: 3,
	}
}

func (f *fixture) keep(secrets ...string) { f.secrets = append(f.secrets, secrets...) }

// sessionPrefix starts the session cookie the fixture's OnLogin sets.
const sessionPrefix = "sess-9d41be-"

var ctx = security.WithClient(context.Background(), security.Client{IP: testIP, UserAgent: agentUA, Locale: "en"})

// runEveryFlow drives every flow of FlowNames, successes and failures, with
// the Go API and through the HTTP handler.
func runEveryFlow(t *testing.T, f *fixture) {
	t.Helper()
	s, out := f.svc, f.out
	require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: userA, Password: pass1, Phone: phoneA}))
	require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: userB, Password: pass1}))
	_, err := s.PrepareAccount(ctx, security.NewAccount{UserID: "prepared", Password: pass1}, security.ImportOptions{})
	require.NoError(t, err)
	_, err = s.Status(ctx, userA)
	require.NoError(t, err)

	// Bind and change a phone; a wrong code first.
	require.NoError(t, s.SendPhoneCode(ctx, userB, phoneB))
	code := out.last(t, phoneB, security.PurposeBindPhone, 1).Code
	f.keep(code)
	require.ErrorIs(t, s.BindPhone(ctx, userB, phoneB, wrong(code)), security.ErrInvalidCode)
	require.NoError(t, s.BindPhone(ctx, userB, phoneB, code))
	f.clock.Advance(2 * time.Minute)
	require.NoError(t, s.SendPhoneCode(ctx, userB, phoneC))
	require.NoError(t, s.SendPhoneCode(ctx, userB, phoneB))
	// A second send at once: the destination's cooldown refuses it.
	require.ErrorIs(t, s.SendPhoneCode(ctx, userB, phoneC), security.ErrRateLimited)
	newCode, curCode := out.last(t, phoneC, security.PurposeBindPhone, 1).Code, out.last(t, phoneB, security.PurposeConfirmPhone, 1).Code
	f.keep(newCode, curCode)
	require.NoError(t, s.ChangePhone(ctx, security.ChangePhoneRequest{UserID: userB, NewPhone: phoneC, NewPhoneCode: newCode, CurrentPhoneCode: curCode}))

	// Email: by code, then by link.
	require.NoError(t, s.SendEmailVerification(ctx, userA, emailA))
	m := out.last(t, emailA, security.PurposeVerifyEmail, 1)
	f.keep(m.Code, m.Link)
	require.NoError(t, s.VerifyEmailCode(ctx, userA, emailA, m.Code))
	f.clock.Advance(2 * time.Minute)
	require.NoError(t, s.SendEmailVerification(ctx, userA, emailB))
	m = out.last(t, emailB, security.PurposeVerifyEmail, 1)
	u, err := url.Parse(m.Link)
	require.NoError(t, err)
	token := u.Query().Get("token")
	f.keep(m.Code, token)
	require.NoError(t, s.VerifyEmailToken(ctx, userA, token))
	// Signed out: the message goes to the address's account in the
	// background; a wrong code, then its link.
	f.clock.Advance(2 * time.Minute)
	require.NoError(t, s.SendPublicEmailVerification(ctx, emailB))
	m = out.last(t, emailB, security.PurposeVerifyEmail, 2)
	u, err = url.Parse(m.Link)
	require.NoError(t, err)
	token = u.Query().Get("token")
	f.keep(m.Code, token)
	require.ErrorIs(t, s.VerifyPublicEmailCode(ctx, emailB, wrong(m.Code)), security.ErrInvalidCode)
	require.NoError(t, s.VerifyPublicEmailToken(ctx, token))

	// Forgot password, in two steps.
	handle, err := s.StartForgotPassword(ctx, phoneA)
	require.NoError(t, err)
	code = out.last(t, phoneA, security.PurposeForgotPassword, 1).Code
	f.keep(handle, code)
	handle, err = s.VerifyForgotPassword(ctx, handle, code)
	require.NoError(t, err)
	f.keep(handle)
	require.NoError(t, s.CompleteForgotPassword(ctx, handle, phoneA, pass2))

	// Passwords.
	require.NoError(t, s.VerifyPassword(ctx, userA, pass2))
	device, err := s.SignIn(ctx, userA, pass2)
	require.NoError(t, err)
	f.keep(device)
	require.NoError(t, s.ChangePassword(ctx, userA, pass2, pass3))

	// Pay password.
	require.NoError(t, s.SetPayPassword(ctx, userA, pinA))
	require.NoError(t, s.VerifyPayPassword(ctx, userA, pinA))
	require.NoError(t, s.ChangePayPassword(ctx, userA, pinA, pinB))
	f.clock.Advance(2 * time.Minute)
	require.NoError(t, s.SendPhoneCode(ctx, userA, phoneA))
	code = out.last(t, phoneA, security.PurposeConfirmPhone, 1).Code
	f.keep(code)
	require.NoError(t, s.ResetPayPassword(ctx, security.ResetPayPasswordRequest{UserID: userA, Phone: phoneA, PhoneCode: code, NewPIN: pinC}))
	_, err = s.PayPasswordStatus(ctx, userA)
	require.NoError(t, err)

	// A lockout: wrong passwords until the lock.
	locked := false
	for range 30 {
		if err := s.VerifyPassword(ctx, userB, "wrong "+pass3); err != nil && strings.Contains(security.ErrorKind(err), "locked") {
			locked = true
			break
		}
	}
	require.True(t, locked, "the password never locked")
	require.NoError(t, s.Unlock(ctx, userB))
	require.NoError(t, s.UnblockDestination(ctx, userA, phoneA))

	// A delivery failure whose provider error quotes the number.
	f.clock.Advance(2 * time.Minute)
	out.Fail(fmt.Errorf("provider refused %s", phoneA))
	require.ErrorIs(t, s.SendPhoneCode(ctx, userA, phoneA), security.ErrDeliveryFailed)
	out.Fail(nil)

	// Through HTTP: the status, a forgot-password start (its handle comes
	// back in a header) and an email link carrying its token in the URL.
	f.clock.Advance(2 * time.Minute)
	rec := f.serve(http.MethodGet, "/member/userservice/security/status", userA)
	require.Equal(t, http.StatusOK, rec.Code)
	rec = f.serve(http.MethodGet, "/web/userservice/security?phone="+url.QueryEscape(phoneA), "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	f.keep(rec.Header().Get(httpadapter.FlowHeader), out.last(t, phoneA, security.PurposeForgotPassword, 2).Code)
	require.NoError(t, s.SendEmailVerification(ctx, userB, emailC))
	m = out.last(t, emailC, security.PurposeVerifyEmail, 1)
	u, err = url.Parse(m.Link)
	require.NoError(t, err)
	f.keep(m.Code, u.Query().Get("token"))
	// The link's GET shows the confirmation page; its POST consumes the token.
	rec = f.serve(http.MethodGet, "/web/userservice/security/verifyMail?token="+url.QueryEscape(u.Query().Get("token")), userB)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = f.serve(http.MethodPost, "/web/userservice/security/verifyMail?token="+url.QueryEscape(u.Query().Get("token")), userB)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	rec = f.serve(http.MethodGet, "/member/userservice/security?phone="+url.QueryEscape(phoneC), "")
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	rec = f.serve(http.MethodGet, "/nothing/"+userA+"/here", "")
	require.Equal(t, http.StatusNotFound, rec.Code)

	runAccountFlows(t, f)
	require.NoError(t, s.Close(context.Background()))
}

// runAccountFlows drives the flows of accounts created without a password:
// the lookups, the unmasked record, setting the first password and the SMS
// login (through HTTP and the Go API), customer service's rebinding and the
// deletion, each with a failure too.
func runAccountFlows(t *testing.T, f *fixture) {
	t.Helper()
	s, out := f.svc, f.out
	f.clock.Advance(2 * time.Minute)
	require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: userC, Phone: phoneD, Email: emailD}))

	// Lookups: any spelling of the number finds the account.
	id, err := s.UserIDByPhone(ctx, "136 0013 6000")
	require.NoError(t, err)
	assert.Equal(t, userC, id)
	_, err = s.UserIDByPhone(ctx, "13100131000")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
	id, err = s.UserIDByEmail(ctx, emailD)
	require.NoError(t, err)
	assert.Equal(t, userC, id)
	_, err = s.UserIDByEmail(ctx, "nobody.otel@example.com")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
	f.keep("13100131000", "nobody.otel")
	// The unmasked record: its phone and address in full.
	for _, user := range []string{userA, userC} {
		info, err := s.Account(ctx, user)
		require.NoError(t, err)
		f.keep(info.Phone, info.Email)
	}
	_, err = s.Account(ctx, "user-unknown-5e0a")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
	f.keep("user-unknown-5e0a")

	// The first password, proved by a code sent to the bound phone: set
	// through HTTP, then refused by the Go API (already set).
	require.NoError(t, s.SendPhoneCode(ctx, userC, phoneD))
	code := out.last(t, phoneD, security.PurposeConfirmPhone, 1).Code
	f.keep(code)
	q := url.Values{"phone": {"13600136000"}, "message": {code}, "passwordFirst": {pass4}}
	rec := f.serve(http.MethodPut, "/member/userservice/security/setPassword?"+q.Encode(), userC)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.ErrorIs(t, s.SetPassword(ctx, security.SetPasswordRequest{UserID: userC, Phone: phoneD, PhoneCode: code, NewPassword: pass4}), security.ErrPasswordSet)
	require.NoError(t, s.VerifyPassword(ctx, userC, pass4))

	// SMS login through HTTP: the host's OnLogin sets its session cookie.
	f.clock.Advance(2 * time.Minute)
	rec = f.serve(http.MethodGet, "/web/userservice/security/loginCode?phone=13600136000", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	code = out.last(t, phoneD, security.PurposeLoginCode, 1).Code
	f.keep(code)
	q = url.Values{"phone": {"13600136000"}, "message": {code}}
	rec = f.serve(http.MethodPost, "/web/userservice/security/loginCode?"+q.Encode(), "")
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Contains(t, rec.Header().Get("Set-Cookie"), sessionPrefix+userC)
	// And with the Go API: a wrong code, then a sign-in with a device token.
	f.clock.Advance(2 * time.Minute)
	require.NoError(t, s.SendLoginCode(ctx, phoneD))
	code = out.last(t, phoneD, security.PurposeLoginCode, 2).Code
	f.keep(code)
	_, err = s.VerifyLoginCode(ctx, phoneD, wrong(code))
	require.ErrorIs(t, err, security.ErrInvalidCode)
	id, device, err := s.SignInWithLoginCode(ctx, phoneD, code)
	require.NoError(t, err)
	assert.Equal(t, userC, id)
	f.keep(device)
	_, _, err = s.SignInWithLoginCode(ctx, phoneD, code)
	require.ErrorIs(t, err, security.ErrInvalidCode, "single use")

	// Customer service rebinds the phone; a phone bound elsewhere is refused.
	require.NoError(t, s.AdminRebindPhone(ctx, userC, phoneE))
	require.ErrorIs(t, s.AdminRebindPhone(ctx, userC, phoneA), security.ErrPhoneTaken)
	info, err := s.Account(ctx, userC)
	require.NoError(t, err)
	assert.Equal(t, phoneE, info.Phone)

	// Deletion, then again: nothing left to delete.
	require.NoError(t, s.DeleteAccount(ctx, userC))
	require.ErrorIs(t, s.DeleteAccount(ctx, userC), security.ErrAccountNotFound)
}

func (f *fixture) serve(method, target, user string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = testIP + ":40000"
	r.Header.Set("User-Agent", agentUA)
	if user != "" {
		r.Header.Set("X-User-ID", user)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestNoPersonalDataInTelemetry(t *testing.T) {
	f := newFixture(t)
	runEveryFlow(t, f)
	var rm metricdata.ResourceMetrics
	require.NoError(t, f.reader.Collect(context.Background(), &rm))

	var texts []string // every name, key and value the telemetry holds
	addSet := func(where string, kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			texts = append(texts, where+" "+string(kv.Key)+"="+kv.Value.Emit())
		}
	}
	spans := f.spans.Ended()
	require.NotEmpty(t, spans)
	for _, s := range spans {
		texts = append(texts, "span "+s.Name(), "status "+s.Status().Description)
		addSet("span "+s.Name(), s.Attributes())
		for _, e := range s.Events() {
			texts = append(texts, "event "+e.Name)
			addSet("event "+e.Name, e.Attributes)
		}
		addSet("resource", s.Resource().Attributes())
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			texts = append(texts, "metric "+m.Name)
			for _, set := range pointAttrs(m) {
				addSet("metric "+m.Name, set.ToSlice())
			}
		}
	}
	require.Greater(t, len(f.secrets), 30)
	for _, secret := range f.secrets {
		require.NotEmpty(t, secret)
		for _, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("%q found in telemetry: %s", secret, text)
			}
		}
	}
}

// pointAttrs returns the attribute sets of m's data points.
func pointAttrs(m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, p.Attributes)
		}
	default:
		panic(fmt.Sprintf("unexpected data %T of %s", m.Data, m.Name))
	}
	return out
}
