package httpadapter_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
)

// TestRouteErrorKeys produces, route by route, the error keys that the
// error table shows on one route only: each route that can answer a key
// (as the OpenAPI description declares) is shown to answer it.
func TestRouteErrorKeys(t *testing.T) {
	t.Parallel()
	withAlice := func(hs *harness, phone, email string) {
		hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: phone, Email: email})
	}
	flowHeader := func(r *http.Request) *http.Request {
		r.Header.Set("X-Security-Flow", "no-such-flow")
		return r
	}
	cases := []struct {
		name      string
		code, key string
		run       func(t *testing.T, hs *harness) response
	}{
		{"forgot start: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			return hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", "12345"}})
		}},
		{"forgot start: send refused", "403", "send_refused", func(t *testing.T, hs *harness) response {
			return hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", vetoedPhone}})
		}},
		{"forgot step 2: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			return hs.serve(flowHeader(request(t, http.MethodPut, pForgot, encForm, kv{{"phone", "12345"}, {"passwordFirst", newPass}})))
		}},
		{"forgot step 2: weak password", "422", "weak_password", func(t *testing.T, hs *harness) response {
			withAlice(hs, alicePhone, "")
			res := hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", alicePhone}})
			expect(t, res, "200", "success")
			handle := res.Header().Get("X-Security-Flow")
			r := request(t, http.MethodPost, pForgot, encForm, kv{{"message", hs.nextCode(security.PurposeForgotPassword).msg.Code}})
			r.Header.Set("X-Security-Flow", handle)
			res = hs.serve(r)
			expect(t, res, "201", "success")
			r = request(t, http.MethodPut, pForgot, encForm, kv{{"phone", alicePhone}, {"passwordFirst", "short"}})
			r.Header.Set("X-Security-Flow", res.Header().Get("X-Security-Flow"))
			return hs.serve(r)
		}},
		{"bind: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			withAlice(hs, "", "")
			return hs.do(http.MethodPut, pBind, encForm, alice, kv{{"message", "123456"}, {"phone", "12345"}})
		}},
		{"reset pay password: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			withAlice(hs, alicePhone, "")
			return hs.do(http.MethodPut, pResetPay, encForm, alice, kv{{"phone", "12345"}, {"message", "123456"}, {"payPasswordFirst", pin2}})
		}},
		{"reset pay password: weak new PIN", "422", "weak_pay_password", func(t *testing.T, hs *harness) response {
			withAlice(hs, alicePhone, "")
			return hs.do(http.MethodPut, pResetPay, encForm, alice, kv{{"phone", alicePhone}, {"message", "123456"}, {"payPasswordFirst", "123456"}})
		}},
		{"update pay password: weak new PIN", "422", "weak_pay_password", func(t *testing.T, hs *harness) response {
			withAlice(hs, "", "")
			require.NoError(t, hs.svc.SetPayPassword(context.Background(), alice, pin1))
			return hs.do(http.MethodPut, pUpdatePay, encForm, alice, kv{{"oldPassword", pin1}, {"payPasswordFirst", "123456"}})
		}},
		{"change password: locked", "423", "locked", func(t *testing.T, hs *harness) response {
			withAlice(hs, "", "")
			for range 20 {
				res := hs.do(http.MethodPut, pMember, encForm, alice, kv{{"oldPassword", "Not-The-Password-1"}, {"newPasswordFirst", newPass}})
				if res.env.dataKey() != "wrong_password" {
					return res
				}
			}
			t.Fatal("the password checks never locked")
			return response{}
		}},
		{"sendMail: send refused", "403", "send_refused", func(t *testing.T, hs *harness) response {
			return hs.do(http.MethodPost, pSendMail, encForm, "", kv{{"email", vetoedEmail}})
		}},
		{"sendMail: rate limited", "429", "rate_limited", func(t *testing.T, hs *harness) response {
			expect(t, hs.do(http.MethodPost, pSendMail, encForm, "", kv{{"email", aliceEmail}}), "200", "success")
			return hs.do(http.MethodPost, pSendMail, encForm, "", kv{{"email", aliceEmail}})
		}},
		{"sendMail signed in: delivery failed", "502", "delivery_failed", func(t *testing.T, hs *harness) response {
			withAlice(hs, "", "")
			hs.setFailSend(true)
			return hs.do(http.MethodPost, pSendMail, encForm, alice, kv{{"email", aliceEmail}})
		}},
		{"verifyMail code: invalid email", "400", "invalid_email", func(t *testing.T, hs *harness) response {
			return hs.do(http.MethodPost, pVerifyMail, encForm, "", kv{{"email", "Alice <alice@example.com>"}, {"message", "123456"}})
		}},
		{"set password: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
			return hs.do(http.MethodPut, pSetPassword, encForm, alice, kv{{"phone", "12345"}, {"message", "123456"}, {"passwordFirst", newPass}})
		}},
		{"set password: no bound phone", "403", "phone_mismatch", func(t *testing.T, hs *harness) response {
			hs.createAccount(security.NewAccount{UserID: alice, Email: aliceEmail})
			return hs.do(http.MethodPut, pSetPassword, encJSON, alice, kv{{"phone", alicePhone}, {"message", "123456"}, {"passwordFirst", newPass}})
		}},
		{"login code send: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			return hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", "12345"}})
		}},
		{"login code send: send refused", "403", "send_refused", func(t *testing.T, hs *harness) response {
			return hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", vetoedPhone}})
		}},
		{"login code send: rate limited, known phone", "429", "rate_limited", func(t *testing.T, hs *harness) response {
			hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
			expect(t, hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", alicePhone}}), "200", "success")
			return hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", alicePhone}})
		}},
		// An unknown phone is throttled alike, or the answer would tell
		// which phones have an account.
		{"login code send: rate limited, unknown phone", "429", "rate_limited", func(t *testing.T, hs *harness) response {
			expect(t, hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", otherPhone}}), "200", "success")
			return hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", otherPhone}})
		}},
		{"login code verify: invalid phone", "400", "invalid_phone", func(t *testing.T, hs *harness) response {
			res := hs.do(http.MethodPost, pLoginCode, encMultipart, "", kv{{"phone", "12345"}, {"message", "123456"}})
			assert.Empty(t, hs.logins.called(), "nobody signed in")
			return res
		}},
		{"verifyMail link: email taken", "409", "email_taken", func(t *testing.T, hs *harness) response {
			withAlice(hs, "", "")
			hs.createAccount(security.NewAccount{UserID: bob, Password: bobPass, Email: "bob@example.com", EmailVerified: true})
			expect(t, hs.do(http.MethodPost, pSendMail, encForm, alice, kv{{"email", "bob@example.com"}}), "200", "success")
			link, err := url.Parse(hs.nextCode(security.PurposeVerifyEmail).msg.Link)
			require.NoError(t, err)
			return hs.do(http.MethodPost, pVerifyMail, encForm, alice, kv{{"token", link.Query().Get("token")}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{})
			expect(t, c.run(t, hs), c.code, c.key)
		})
	}
}

// TestWrongCodesVoidThenBlock: on every route that checks a code, wrong
// codes answer invalid_code, the 5th voids the code (too_many_attempts),
// and once the destination has 10 failures it is blocked (rate_limited,
// with Retry-After), whatever the route.
func TestWrongCodesVoidThenBlock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// setup sends a code and returns a builder of wrong guesses.
		setup func(t *testing.T, hs *harness) func() *http.Request
	}{
		{"bind phone", func(t *testing.T, hs *harness) func() *http.Request {
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
			expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
			code := hs.nextCode(security.PurposeBindPhone).msg.Code
			return func() *http.Request {
				r := request(t, http.MethodPut, pBind, encForm, kv{{"message", wrongCode(code)}, {"phone", alicePhone}})
				r.Header.Set("X-User-ID", alice)
				return r
			}
		}},
		{"reset pay password", func(t *testing.T, hs *harness) func() *http.Request {
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
			expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
			code := hs.nextCode(security.PurposeConfirmPhone).msg.Code
			return func() *http.Request {
				r := request(t, http.MethodPut, pResetPay, encJSON, kv{{"phone", alicePhone}, {"message", wrongCode(code)}, {"payPasswordFirst", pin2}})
				r.Header.Set("X-User-ID", alice)
				return r
			}
		}},
		{"forgot password step 1", func(t *testing.T, hs *harness) func() *http.Request {
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
			res := hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", alicePhone}})
			expect(t, res, "200", "success")
			handle := res.Header().Get("X-Security-Flow")
			code := hs.nextCode(security.PurposeForgotPassword).msg.Code
			return func() *http.Request {
				r := request(t, http.MethodPost, pForgot, encMultipart, kv{{"message", wrongCode(code)}})
				r.Header.Set("X-Security-Flow", handle)
				return r
			}
		}},
		{"set password", func(t *testing.T, hs *harness) func() *http.Request {
			hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
			expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
			code := hs.nextCode(security.PurposeConfirmPhone).msg.Code
			return func() *http.Request {
				r := request(t, http.MethodPut, pSetPassword, encForm, kv{{"phone", alicePhone}, {"message", wrongCode(code)}, {"passwordFirst", newPass}})
				r.Header.Set("X-User-ID", alice)
				return r
			}
		}},
		{"SMS login", func(t *testing.T, hs *harness) func() *http.Request {
			hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
			expect(t, hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", alicePhone}}), "200", "success")
			code := hs.nextCode(security.PurposeLoginCode).msg.Code
			return func() *http.Request {
				return request(t, http.MethodPost, pLoginCode, encJSON, kv{{"phone", alicePhone}, {"message", wrongCode(code)}})
			}
		}},
		{"verify email by code", func(t *testing.T, hs *harness) func() *http.Request {
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Email: aliceEmail})
			expect(t, hs.do(http.MethodPost, pSendMail, encForm, "", kv{{"email", aliceEmail}}), "200", "success")
			code := hs.nextCode(security.PurposeVerifyEmail).msg.Code
			return func() *http.Request {
				return request(t, http.MethodPost, pVerifyMail, encForm, kv{{"email", aliceEmail}, {"message", wrongCode(code)}})
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{})
			guess := c.setup(t, hs)
			var keys []string
			var last response
			for range 60 {
				last = hs.serve(guess())
				keys = append(keys, last.env.dataKey())
				if last.env.dataKey() == "rate_limited" {
					break
				}
			}
			// Four wrong tries, the fifth voids the code; after that the
			// guesses meet no code, so they are misses charged to the
			// requester (not failures of the phone or address), until the
			// requester's miss budget is spent.
			want := []string{"invalid_code", "invalid_code", "invalid_code", "invalid_code", "too_many_attempts"}
			for range security.DefaultLimits().MissesPerHour {
				want = append(want, "invalid_code")
			}
			want = append(want, "rate_limited")
			assert.Equal(t, want, keys)
			expect(t, last, "429", "rate_limited")
			n, err := strconv.Atoi(last.Header().Get("Retry-After"))
			require.NoError(t, err)
			assert.Positive(t, n)
			assert.Empty(t, hs.logins.called(), "no wrong code signs anyone in")
		})
	}
}
