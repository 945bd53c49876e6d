package httpadapter_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

const bob, bobPass = "bob", "Saffron-Lantern-42"

// TestErrorTable produces every row of the error table through HTTP.
func TestErrorTable(t *testing.T) {
	t.Parallel()
	type tc struct {
		name      string
		code, key string
		// run sets up state and returns the response under test.
		run func(t *testing.T, hs *harness) response
		// check, when set, inspects the response further.
		check func(t *testing.T, res response)
	}
	withAlice := func(hs *harness, phone string) {
		hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: phone})
	}
	cases := []tc{
		{name: "missing parameter", code: "400", key: "invalid_argument",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodPut, pBind, encForm, alice, kv{{"phone", alicePhone}})
			},
			check: func(t *testing.T, res response) { assert.Contains(t, res.env.Msg, "message") }},
		{name: "mismatched confirmation", code: "400", key: "invalid_argument",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodPut, pPay, encJSON, alice, kv{{"payPasswordFirst", pin1}, {"payPasswordSecond", pin2}})
			},
			check: func(t *testing.T, res response) { assert.Contains(t, res.env.Msg, "payPasswordSecond") }},
		{name: "bad JSON", code: "400", key: "invalid_argument",
			run: func(t *testing.T, hs *harness) response {
				r := withBody(request(t, http.MethodPost, pSendMail, encQuery, nil), "application/json", `{"email":`)
				return hs.serve(r)
			}},
		{name: "invalid phone", code: "400", key: "invalid_phone",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", "12345"}})
			}},
		{name: "invalid email", code: "400", key: "invalid_email",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodPost, pSendMail, encForm, "", kv{{"email", "Alice <alice@example.com>"}})
			}},
		{name: "invalid code", code: "400", key: "invalid_code",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
				m := hs.nextCode(security.PurposeBindPhone)
				return hs.do(http.MethodPut, pBind, encForm, alice, kv{{"message", wrongCode(m.msg.Code)}, {"phone", alicePhone}})
			}},
		{name: "invalid link token", code: "400", key: "invalid_code",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodPost, pVerifyMail, encForm, "", kv{{"token", strings.Repeat("A", 43)}})
			},
			check: func(t *testing.T, res response) { assert.Equal(t, "no-referrer", res.Header().Get("Referrer-Policy")) }},
		{name: "unauthenticated", code: "401", key: "unauthenticated",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodGet, pStatus, encQuery, "", nil)
			}},
		{name: "wrong password", code: "403", key: "wrong_password",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodPut, pMember, encForm, alice, kv{{"oldPassword", "Not-The-Password-1"}, {"newPasswordFirst", newPass}})
			}},
		{name: "wrong pay password", code: "403", key: "wrong_pay_password",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				require.NoError(t, hs.svc.SetPayPassword(context.Background(), alice, pin1))
				return hs.do(http.MethodPut, pUpdatePay, encForm, alice, kv{{"oldPassword", pin2}, {"payPasswordFirst", pin2}})
			}},
		{name: "phone mismatch", code: "403", key: "phone_mismatch",
			run: func(t *testing.T, hs *harness) response {
				// A valid code, but for another phone than the bound one.
				withAlice(hs, alicePhone)
				expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", otherPhone}}), "200", "success")
				m := hs.nextCode(security.PurposeBindPhone)
				return hs.do(http.MethodPut, pResetPay, encForm, alice, kv{{"phone", otherPhone}, {"message", m.msg.Code}, {"payPasswordFirst", pin2}})
			}},
		{name: "guessed phone", code: "400", key: "invalid_code",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, alicePhone)
				return hs.do(http.MethodPut, pResetPay, encForm, alice, kv{{"phone", otherPhone}, {"message", "123456"}, {"payPasswordFirst", pin2}})
			}},
		{name: "changing the phone without the bound phone's code", code: "403", key: "phone_proof_required",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, alicePhone)
				expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", otherPhone}}), "200", "success")
				m := hs.nextCode(security.PurposeBindPhone)
				return hs.do(http.MethodPut, pBind, encForm, alice, kv{{"phone", otherPhone}, {"message", m.msg.Code}})
			}},
		{name: "member link opened signed out", code: "401", key: "unauthenticated",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				expect(t, hs.do(http.MethodPost, pSendMail, encForm, alice, kv{{"email", "zoe@example.com"}}), "200", "success")
				m := hs.nextCode(security.PurposeVerifyEmail)
				link, err := url.Parse(m.msg.Link)
				require.NoError(t, err)
				return hs.do(http.MethodPost, pVerifyMail, encForm, "", kv{{"token", link.Query().Get("token")}})
			}},
		{name: "send refused by the host", code: "403", key: "send_refused",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", vetoedPhone}})
			}},
		{name: "no bound phone", code: "403", key: "phone_mismatch",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodPut, pResetPay, encForm, alice, kv{{"phone", alicePhone}, {"message", "123456"}, {"payPasswordFirst", pin2}})
			}},
		{name: "step 1 without flow", code: "403", key: "flow_required",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodPost, pForgot, encForm, "", kv{{"message", "123456"}})
			}},
		{name: "step 2 before step 1", code: "403", key: "flow_required",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, alicePhone)
				res := hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", alicePhone}})
				expect(t, res, "200", "success")
				r := request(t, http.MethodPut, pForgot, encForm, kv{{"phone", alicePhone}, {"passwordFirst", newPass}})
				r.Header.Set("X-Security-Flow", res.Header().Get("X-Security-Flow"))
				return hs.serve(r)
			}},
		{name: "signed-in user without a record", code: "403", key: "no_account",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodGet, pStatus, encQuery, "ghost", nil)
			}},
		{name: "not found", code: "404", key: "not_found",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodGet, "/member/userservice/security/", encQuery, alice, nil)
			}},
		{name: "method not allowed", code: "405", key: "method_not_allowed",
			run: func(t *testing.T, hs *harness) response {
				return hs.do(http.MethodDelete, pForgot, encQuery, "", nil)
			},
			check: func(t *testing.T, res response) { assert.Equal(t, "GET, POST, PUT", res.Header().Get("Allow")) }},
		{name: "phone taken", code: "409", key: "phone_taken",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				hs.createAccount(security.NewAccount{UserID: bob, Password: bobPass, Phone: otherPhone})
				expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", otherPhone}}), "200", "success")
				m := hs.nextCode(security.PurposeBindPhone)
				return hs.do(http.MethodPut, pBind, encForm, alice, kv{{"message", m.msg.Code}, {"phone", otherPhone}})
			}},
		{name: "email taken", code: "409", key: "email_taken",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				hs.createAccount(security.NewAccount{UserID: bob, Password: bobPass, Email: "bob@example.com", EmailVerified: true})
				expect(t, hs.do(http.MethodPost, pSendMail, encForm, alice, kv{{"email", "bob@example.com"}}), "200", "success")
				m := hs.nextCode(security.PurposeVerifyEmail)
				return hs.do(http.MethodPost, pVerifyMail, encForm, alice, kv{{"email", "bob@example.com"}, {"message", m.msg.Code}})
			}},
		{name: "pay password set", code: "409", key: "pay_password_set",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				require.NoError(t, hs.svc.SetPayPassword(context.Background(), alice, pin1))
				return hs.do(http.MethodPut, pPay, encForm, alice, kv{{"payPasswordFirst", pin2}})
			}},
		{name: "pay password not set", code: "409", key: "pay_password_not_set",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodPut, pUpdatePay, encForm, alice, kv{{"oldPassword", pin1}, {"payPasswordFirst", pin2}})
			}},
		{name: "body too large", code: "413", key: "body_too_large",
			run: func(t *testing.T, hs *harness) response {
				body := "email=" + strings.Repeat("a", 17<<10)
				return hs.serve(withBody(request(t, http.MethodPost, pSendMail, encQuery, nil), "application/x-www-form-urlencoded", body))
			}},
		{name: "weak password", code: "422", key: "weak_password",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodPut, pMember, encForm, alice, kv{{"oldPassword", alicePass}, {"newPasswordFirst", "short"}})
			},
			check: func(t *testing.T, res response) { assert.Equal(t, "The password is too short.", res.env.Msg) }},
		{name: "weak pay password", code: "422", key: "weak_pay_password",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				return hs.do(http.MethodPut, pPay, encForm, alice, kv{{"payPasswordFirst", "123456"}})
			}},
		{name: "locked", code: "423", key: "locked",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				require.NoError(t, hs.svc.SetPayPassword(context.Background(), alice, pin1))
				for {
					err := hs.svc.VerifyPayPassword(context.Background(), alice, pin2)
					if errors.Is(err, security.ErrLocked) {
						break
					}
					require.ErrorIs(t, err, security.ErrWrongPayPassword)
				}
				return hs.do(http.MethodPut, pUpdatePay, encForm, alice, kv{{"oldPassword", pin1}, {"payPasswordFirst", pin2}})
			},
			check: func(t *testing.T, res response) {
				// Locked for 3 hours from the harness clock's 08:00 UTC, and
				// at most a twelfth of that longer (see security.CounterBuckets).
				assert.Regexp(t, `locked until 2026-03-01T11:(0\d|1[0-5]):\d\dZ`, res.env.Msg)
			}},
		{name: "rate limited", code: "429", key: "rate_limited",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
				return hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}})
			},
			check: func(t *testing.T, res response) {
				n, err := strconv.Atoi(res.Header().Get("Retry-After"))
				require.NoError(t, err)
				assert.Equal(t, 60, n, "the 60 s cooldown, nothing elapsed on the fake clock")
			}},
		{name: "too many attempts", code: "429", key: "too_many_attempts",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
				m := hs.nextCode(security.PurposeBindPhone)
				for range 20 {
					res := hs.do(http.MethodPut, pBind, encForm, alice, kv{{"message", wrongCode(m.msg.Code)}, {"phone", alicePhone}})
					if res.env.dataKey() != "invalid_code" {
						return res
					}
				}
				t.Fatal("the code was never voided")
				return response{}
			},
			check: func(t *testing.T, res response) { assert.Empty(t, res.Header().Get("Retry-After")) }},
		{name: "delivery failed", code: "502", key: "delivery_failed",
			run: func(t *testing.T, hs *harness) response {
				withAlice(hs, "")
				hs.setFailSend(true)
				return hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}})
			},
			check: func(t *testing.T, res response) { assert.NotContains(t, res.Body.String(), "provider") }},
		{name: "service closed", code: "503", key: "unavailable",
			run: func(t *testing.T, hs *harness) response {
				require.NoError(t, hs.svc.Close(context.Background()))
				return hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", alicePhone}})
			}},
		{name: "request cancelled", code: "503", key: "unavailable",
			run: func(t *testing.T, hs *harness) response {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				r := request(t, http.MethodGet, pStatus, encQuery, nil).WithContext(ctx)
				r.Header.Set("X-User-ID", alice)
				return hs.serve(r)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{})
			res := c.run(t, hs)
			expect(t, res, c.code, c.key)
			if c.check != nil {
				c.check(t, res)
			}
		})
	}
}

// failingStore fails account reads with an error whose text must never
// reach a client.
type failingStore struct {
	*memstore.Store
}

const storeSecretText = "pq: connection to 10.1.2.3 refused for user admin"

func (failingStore) GetAccount(context.Context, string) (*security.Account, error) {
	return nil, errors.New(storeSecretText)
}

// TestInternalErrorNotEchoed: an unexpected failure answers "500" internal
// with a fixed message; its text goes to the log only.
func TestInternalErrorNotEchoed(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{store: func(s *memstore.Store) security.Store { return failingStore{s} }})
	res := hs.do(http.MethodGet, pStatus, encQuery, alice, nil)
	expect(t, res, "500", "internal")
	assert.Equal(t, "Internal error.", res.env.Msg)
	assert.NotContains(t, res.Body.String(), "10.1.2.3")
	assert.Contains(t, hs.logs.String(), "10.1.2.3", "the cause is logged for the operator")
}

// wrongCode returns a 6-digit code different from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
