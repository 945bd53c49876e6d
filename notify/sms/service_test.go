package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify/sms"
	"github.com/acctsec/security/securitytest"
)

// The phones of the Service tests: the member binds newPhone; the account
// has boundPhone; no account has strangerPhone.
const (
	svcUser       = "u1"
	svcMember     = "u2"
	newPhone      = "13800138001"
	boundPhone    = "13800138002"
	strangerPhone = "13800138003"
)

// answerFunc is how a fake provider answers a request it has recorded and
// whose signature it has checked.
type answerFunc func(w http.ResponseWriter)

func answerWith(status int, body string) answerFunc {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// dropConnection closes the connection after the whole request arrived,
// without an answer: the message may or may not have gone out.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.Close()
}

// serviceProvider is one SMS client under test, with its fake.
type serviceProvider struct {
	name string
	// verify checks the request as the provider would (signature, auth).
	verify func(r *http.Request, body []byte) error
	// client builds the notifier on endpoint.
	client func(t *testing.T, endpoint string) security.Notifier
	// params returns the values the request carries for the template or
	// text, where the code is to be found.
	params func(t *testing.T, s seen) []string
	ok     answerFunc
	// failures are the provider's failure answers and the error each maps
	// to; a dropped connection is added for every provider.
	failures []providerFailure
}

type providerFailure struct {
	name   string
	answer answerFunc
	want   error
}

func serviceProviders() []serviceProvider {
	return []serviceProvider{
		{
			name:   "aliyun",
			verify: func(r *http.Request, b []byte) error { return verifyACS3(r, b, aliKeyID, aliSecret) },
			client: func(t *testing.T, endpoint string) security.Notifier { return newAliyun(t, endpoint) },
			params: func(t *testing.T, s seen) []string {
				var p map[string]string
				require.NoError(t, json.Unmarshal([]byte(s.r.URL.Query().Get("TemplateParam")), &p))
				var out []string
				for _, v := range p {
					out = append(out, v)
				}
				return out
			},
			ok: answerWith(200, aliyunOK),
			failures: []providerFailure{
				{"throttled", answerWith(200, `{"Message":"触发分钟级流控Permits:1","RequestId":"R-T","Code":"isv.BUSINESS_LIMIT_CONTROL"}`), sms.ErrThrottled},
				{"invalid number", answerWith(200, `{"Message":"invalid mobile","RequestId":"R-N","Code":"isv.MOBILE_NUMBER_ILLEGAL"}`), sms.ErrInvalidNumber},
				{"503", answerWith(503, `{"RequestId":"R-5","Code":"ServiceUnavailable","Message":"temporary failure"}`), sms.ErrUnavailable},
			},
		},
		{
			name:   "tencent",
			verify: func(r *http.Request, b []byte) error { return verifyTC3(r, b, tcSecretID, tcSecretKey, "sms") },
			client: func(t *testing.T, endpoint string) security.Notifier {
				return newTencent(t, endpoint, func(c *sms.TencentConfig) {
					c.Templates[security.PurposeForgotPassword] = sms.Template{ID: "1112", Params: []string{"code", "minutes"}}
				})
			},
			params: func(t *testing.T, s seen) []string {
				var body struct{ TemplateParamSet []string }
				require.NoError(t, json.Unmarshal(s.body, &body))
				return body.TemplateParamSet
			},
			ok: answerWith(200, tencentStatus("Ok", "send success")),
			failures: []providerFailure{
				{"throttled", answerWith(200, tencentStatus("LimitExceeded.PhoneNumberDailyLimit", "daily limit")), sms.ErrThrottled},
				{"invalid number", answerWith(200, tencentStatus("InvalidParameterValue.IncorrectPhoneNumber", "invalid mobile number")), sms.ErrInvalidNumber},
				{"502", answerWith(502, `<html>bad gateway</html>`), sms.ErrUnavailable},
			},
		},
		{
			name: "twilio",
			verify: func(r *http.Request, b []byte) error {
				user, pass, ok := r.BasicAuth()
				if !ok || user != twSID || pass != twToken {
					return errors.New("bad credentials")
				}
				if r.URL.Path != "/2010-04-01/Accounts/"+twSID+"/Messages.json" {
					return fmt.Errorf("unexpected path %s", r.URL.Path)
				}
				return nil
			},
			client: func(t *testing.T, endpoint string) security.Notifier { return newTwilio(t, endpoint) },
			params: func(t *testing.T, s seen) []string {
				form, err := url.ParseQuery(string(s.body))
				require.NoError(t, err)
				// The default text: the code is the one run of six digits.
				return sixDigits.FindAllString(form.Get("Body"), -1)
			},
			ok: answerWith(201, twilioCreated),
			failures: []providerFailure{
				{"throttled", answerWith(429, `{"code": 20429, "message": "Too Many Requests", "status": 429}`), sms.ErrThrottled},
				{"invalid number", answerWith(400, `{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}`), sms.ErrInvalidNumber},
				{"500", answerWith(500, `{"code": 20500, "message": "Internal Server Error", "status": 500}`), sms.ErrUnavailable},
			},
		},
	}
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// codeIn returns the one code the request carried.
func (p serviceProvider) codeIn(t *testing.T, s seen) string {
	t.Helper()
	var codes []string
	for _, v := range p.params(t, s) {
		if sixDigits.MatchString(v) && len(v) == 6 {
			codes = append(codes, v)
		}
	}
	require.Len(t, codes, 1, "one code in the request")
	return codes[0]
}

// rig is a Service on memstore whose notifier is one provider's client
// pointed at its fake.
type rig struct {
	svc  *security.Service
	fake *fakeProvider

	events securitytest.Events
	logs   securitytest.Logs
}

// assertLogsClean checks that no log line holds the code or the phone.
func (r *rig) assertLogsClean(t *testing.T, secrets ...string) {
	t.Helper()
	assert.Contains(t, r.logs.String(), "delivery failed")
	for _, s := range secrets {
		assert.NotContains(t, r.logs.String(), s)
	}
}

func newRig(t *testing.T, p serviceProvider, answer answerFunc) *rig {
	t.Helper()
	r := &rig{}
	r.fake = newFake(t, p.verify,
		func(w http.ResponseWriter, err error) {
			t.Errorf("fake %s refused the request: %v", p.name, err)
			w.WriteHeader(http.StatusBadRequest)
		},
		func(w http.ResponseWriter, _ *http.Request, _ []byte) { answer(w) })
	store := memstore.New(memstore.WithClock(fixedNow), memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	svc, err := security.New(store, p.client(t, r.fake.URL), security.Config{
		Secret:  []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ="),
		Now:     fixedNow,
		Logger:  slog.New(slog.NewTextHandler(&r.logs, nil)),
		OnEvent: r.events.Add,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	r.svc = svc
	require.NoError(t, store.CreateAccount(context.Background(), &security.Account{UserID: svcUser, Phone: "+86" + boundPhone}))
	// svcMember has no phone yet: binding a first phone needs only its code.
	require.NoError(t, store.CreateAccount(context.Background(), &security.Account{UserID: svcMember}))
	return r
}

func (r *rig) eventsOf(typ security.EventType, p security.Purpose) []security.Event {
	var out []security.Event
	for _, e := range r.events.Of(typ) {
		if e.Purpose == p {
			out = append(out, e)
		}
	}
	return out
}

// TestServiceDeliveryFailures wires a Service to each provider's client
// failing the way the provider does, and checks that the failure surfaces
// as security.ErrDeliveryFailed on member routes, leaves no usable code,
// and does not change the answer of a public route.
func TestServiceDeliveryFailures(t *testing.T) {
	ctx := context.Background()
	for _, p := range serviceProviders() {
		t.Run(p.name, func(t *testing.T) {
			// The control: the same steps against a provider that accepts
			// prove that the code read from the request is the code sent.
			t.Run("delivered", func(t *testing.T) {
				r := newRig(t, p, p.ok)
				handle, err := r.svc.StartForgotPassword(ctx, boundPhone)
				require.NoError(t, err)
				require.NoError(t, r.svc.Close(ctx))
				reqs := r.fake.requests()
				require.Len(t, reqs, 1)
				_, err = r.svc.VerifyForgotPassword(ctx, handle, p.codeIn(t, reqs[0]))
				require.NoError(t, err)

				require.NoError(t, r.svc.SendPhoneCode(ctx, svcMember, newPhone))
				reqs = r.fake.requests()
				require.Len(t, reqs, 2)
				require.NoError(t, r.svc.BindPhone(ctx, svcMember, newPhone, p.codeIn(t, reqs[1])))
				assert.Empty(t, r.eventsOf(security.EventDeliveryFailed, security.PurposeForgotPassword))
				assert.Empty(t, r.eventsOf(security.EventDeliveryFailed, security.PurposeBindPhone))
			})

			failures := append(p.failures, providerFailure{"connection dropped after the request", dropConnection, sms.ErrUnavailable})
			for _, f := range failures {
				t.Run(f.name, func(t *testing.T) {
					t.Run("member", func(t *testing.T) {
						r := newRig(t, p, f.answer)
						err := r.svc.SendPhoneCode(ctx, svcMember, newPhone)
						require.ErrorIs(t, err, security.ErrDeliveryFailed)
						assert.ErrorIs(t, err, f.want)
						reqs := r.fake.requests()
						require.Len(t, reqs, 1, "the request reached the provider and was not retried")
						code := p.codeIn(t, reqs[0])
						assert.NotContains(t, err.Error(), code)

						assert.ErrorIs(t, r.svc.BindPhone(ctx, svcMember, newPhone, code), security.ErrInvalidCode,
							"the code the provider received must not bind")
						err = r.svc.SendPhoneCode(ctx, svcMember, newPhone)
						assert.ErrorIs(t, err, security.ErrRateLimited, "the failed send counts")
						assert.Len(t, r.fake.requests(), 1)
						assert.Len(t, r.eventsOf(security.EventDeliveryFailed, security.PurposeBindPhone), 1)

						r.assertLogsClean(t, code, newPhone)

						st, err := r.svc.Status(ctx, svcMember)
						require.NoError(t, err)
						assert.Empty(t, st.Phone, "no phone was bound")
					})

					t.Run("public", func(t *testing.T) {
						r := newRig(t, p, f.answer)
						known, errKnown := r.svc.StartForgotPassword(ctx, boundPhone)
						unknown, errUnknown := r.svc.StartForgotPassword(ctx, strangerPhone)
						require.NoError(t, errKnown, "a failing provider does not show")
						require.NoError(t, errUnknown)
						assert.Len(t, known, len(unknown))
						assert.NotEmpty(t, known)

						require.NoError(t, r.svc.Close(ctx))
						reqs := r.fake.requests()
						require.Len(t, reqs, 1, "only the phone with an account gets a message")
						code := p.codeIn(t, reqs[0])

						_, errKnown = r.svc.VerifyForgotPassword(ctx, known, code)
						assert.ErrorIs(t, errKnown, security.ErrInvalidCode,
							"the code the provider received must not verify")
						_, errUnknown = r.svc.VerifyForgotPassword(ctx, unknown, code)
						assert.ErrorIs(t, errUnknown, security.ErrInvalidCode,
							"the same answer as for a phone no account has")
						ev := r.eventsOf(security.EventDeliveryFailed, security.PurposeForgotPassword)
						require.Len(t, ev, 1)
						assert.Equal(t, svcUser, ev[0].UserID)
						assert.Equal(t, security.Mask("+86"+boundPhone), ev[0].Destination)
						r.assertLogsClean(t, code, boundPhone)
					})
				})
			}
		})
	}
}
