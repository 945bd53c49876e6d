package httpadapter_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
)

const (
	pMember      = "/member/userservice/security"
	pBind        = "/member/userservice/security/bindingPhone"
	pPay         = "/member/userservice/security/payPassword"
	pResetPay    = "/member/userservice/security/resetPayPassword"
	pUpdatePay   = "/member/userservice/security/updatePayPassword"
	pStatus      = "/member/userservice/security/status"
	pForgot      = "/web/userservice/security"
	pSendMail    = "/web/userservice/security/sendMail"
	pVerifyMail  = "/web/userservice/security/verifyMail"
	thirdPass    = "Violet-Harbor-36"
	aliceEmail2  = "second@example.net"
	cooldownStep = 61 * time.Second
)

// TestEveryRouteEveryEncoding drives every route to success once per
// parameter encoding, and checks the effect through the Service.
func TestEveryRouteEveryEncoding(t *testing.T) {
	t.Parallel()
	for _, enc := range encodings {
		t.Run(string(enc), func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{})
			ctx := context.Background()
			var secrets []string // codes and tokens, for the log check
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Email: aliceEmail})

			// Send a bind code, then bind.
			res := hs.do(http.MethodGet, pMember, enc, alice, kv{{"phone", alicePhone}})
			expect(t, res, "200", "success")
			assert.Equal(t, "success", res.env.Msg)
			m := hs.nextCode(security.PurposeBindPhone)
			secrets = append(secrets, m.msg.Code)
			assert.Equal(t, aliceE164, m.msg.To)
			res = hs.do(http.MethodPut, pBind, enc, alice, kv{{"message", m.msg.Code}, {"phone", alicePhone}})
			expect(t, res, "201", "success")

			// Set, update, then reset the pay password.
			res = hs.do(http.MethodPut, pPay, enc, alice, kv{{"payPasswordFirst", pin1}, {"payPasswordSecond", pin1}})
			expect(t, res, "201", "success")
			require.NoError(t, hs.svc.VerifyPayPassword(ctx, alice, pin1))
			res = hs.do(http.MethodPut, pUpdatePay, enc, alice, kv{{"oldPassword", pin1}, {"payPasswordFirst", pin2}})
			expect(t, res, "201", "success")
			require.NoError(t, hs.svc.VerifyPayPassword(ctx, alice, pin2))
			hs.clock.Advance(cooldownStep)
			expect(t, hs.do(http.MethodGet, pMember, enc, alice, kv{{"phone", alicePhone}}), "200", "success")
			m = hs.nextCode(security.PurposeConfirmPhone)
			secrets = append(secrets, m.msg.Code)
			res = hs.do(http.MethodPut, pResetPay, enc, alice,
				kv{{"phone", alicePhone}, {"message", m.msg.Code}, {"payPasswordFirst", pin1}, {"payPasswordSecond", pin1}})
			expect(t, res, "201", "success")
			require.NoError(t, hs.svc.VerifyPayPassword(ctx, alice, pin1))

			// Change the login password.
			res = hs.do(http.MethodPut, pMember, enc, alice,
				kv{{"oldPassword", alicePass}, {"newPasswordFirst", newPass}, {"newPasswordSecond", newPass}})
			expect(t, res, "201", "success")
			require.NoError(t, hs.svc.VerifyPassword(ctx, alice, newPass))

			// Status.
			res = hs.do(http.MethodGet, pStatus, enc, alice, nil)
			expect(t, res, "200", "")
			var st security.Status
			require.NoError(t, json.Unmarshal(res.env.Data, &st))
			assert.True(t, st.PhoneBound)
			assert.True(t, st.PayPasswordSet)
			assert.NotContains(t, st.Phone, "13800138000", "the phone is masked")

			// Forgot password, the handle carried by the header.
			hs.clock.Advance(cooldownStep)
			res = hs.do(http.MethodGet, pForgot, enc, "", kv{{"phone", alicePhone}})
			expect(t, res, "200", "success")
			handle := res.Header().Get("X-Security-Flow")
			require.NotEmpty(t, handle)
			m = hs.nextCode(security.PurposeForgotPassword)
			secrets = append(secrets, m.msg.Code)
			r := request(t, http.MethodPost, pForgot, enc, kv{{"message", m.msg.Code}})
			r.Header.Set("X-Security-Flow", handle)
			res = hs.serve(r)
			expect(t, res, "201", "success")
			verified := res.Header().Get("X-Security-Flow")
			require.NotEmpty(t, verified, "step 1 hands out a new handle")
			require.NotEqual(t, handle, verified)
			r = request(t, http.MethodPut, pForgot, enc, kv{{"phone", alicePhone}, {"passwordFirst", thirdPass}, {"passwordSecond", thirdPass}})
			r.Header.Set("X-Security-Flow", handle)
			expect(t, hs.serve(r), "403", "flow_required") // the start's handle is void
			r = request(t, http.MethodPut, pForgot, enc, kv{{"phone", alicePhone}, {"passwordFirst", thirdPass}, {"passwordSecond", thirdPass}})
			r.Header.Set("X-Security-Flow", verified)
			expect(t, hs.serve(r), "201", "success")
			require.NoError(t, hs.svc.VerifyPassword(ctx, alice, thirdPass))

			// Public email verification by code.
			res = hs.do(http.MethodPost, pSendMail, enc, "", kv{{"email", aliceEmail}})
			expect(t, res, "200", "success")
			m = hs.nextCode(security.PurposeVerifyEmail)
			secrets = append(secrets, m.msg.Code)
			assert.Equal(t, aliceEmail, m.msg.To)
			res = hs.do(http.MethodPost, pVerifyMail, enc, "", kv{{"email", aliceEmail}, {"message", m.msg.Code}})
			expect(t, res, "201", "success")
			assert.Equal(t, "no-referrer", res.Header().Get("Referrer-Policy"))
			st2, err := hs.svc.Status(ctx, alice)
			require.NoError(t, err)
			assert.True(t, st2.EmailVerified)

			// Signed-in email verification by link: binds the new address.
			res = hs.do(http.MethodPost, pSendMail, enc, alice, kv{{"email", aliceEmail2}})
			expect(t, res, "200", "success")
			m = hs.nextCode(security.PurposeVerifyEmail)
			assert.Equal(t, aliceEmail2, m.msg.To)
			link, err := url.Parse(m.msg.Link)
			require.NoError(t, err)
			secrets = append(secrets, m.msg.Code, link.Query().Get("token"))
			res = hs.do(http.MethodPost, pVerifyMail, enc, "", kv{{"token", link.Query().Get("token")}})
			expect(t, res, "401", "unauthenticated") // signed out: nothing happens
			res = hs.do(http.MethodPost, pVerifyMail, enc, alice, kv{{"token", link.Query().Get("token")}})
			expect(t, res, "201", "success")
			assert.Equal(t, "no-referrer", res.Header().Get("Referrer-Policy"))
			st3, err := hs.svc.Status(ctx, alice)
			require.NoError(t, err)
			assert.True(t, st3.EmailVerified)
			assert.NotEqual(t, st2.Email, st3.Email, "the new address is bound")

			// Nothing secret reached the logs, though every request was logged.
			logs := hs.logs.String()
			require.Contains(t, logs, "route=verify_mail ")
			for _, s := range append(secrets, alicePass, newPass, thirdPass, pin1, pin2, handle, alicePhone, aliceE164) {
				assert.NotContains(t, logs, s)
			}
		})
	}
}

// TestResetPayPasswordClears: without payPasswordFirst the PIN is cleared
// and payPassword sets the next one.
// TestResetPayPasswordNeedsTheNewPIN: a reset carries the new PIN with the
// code; without it nothing changes, so a reset never leaves a cleared PIN
// that a stolen session could set without proof.
func TestResetPayPasswordNeedsTheNewPIN(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
	expect(t, hs.do(http.MethodPut, pPay, encForm, alice, kv{{"payPasswordFirst", pin1}}), "201", "success")
	expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
	m := hs.nextCode(security.PurposeConfirmPhone)
	expect(t, hs.do(http.MethodPut, pResetPay, encForm, alice, kv{{"phone", alicePhone}, {"message", m.msg.Code}}), "400", "invalid_argument")
	require.NoError(t, hs.svc.VerifyPayPassword(context.Background(), alice, pin1), "nothing changed")
	expect(t, hs.do(http.MethodPut, pResetPay, encForm, alice,
		kv{{"phone", alicePhone}, {"message", m.msg.Code}, {"payPasswordFirst", pin2}}), "201", "success")
	require.NoError(t, hs.svc.VerifyPayPassword(context.Background(), alice, pin2))
	expect(t, hs.do(http.MethodPut, pPay, encJSON, alice, kv{{"payPasswordFirst", pin1}}), "409", "pay_password_set")
}

// TestJSONNumbers: a JSON number is taken as its literal text.
func TestJSONNumbers(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
	r := request(t, http.MethodPut, pPay, encQuery, nil)
	r = withBody(r, "application/json", `{"payPasswordFirst": 472915, "payPasswordSecond": "472915"}`)
	r.Header.Set("X-User-ID", alice)
	expect(t, hs.serve(r), "201", "success")
	require.NoError(t, hs.svc.VerifyPayPassword(context.Background(), alice, pin1))
}

// TestChangePhoneNeedsBothCodes: bindingPhone with oldMessage moves the
// account to a new phone when both codes are right, and not otherwise.
func TestChangePhoneNeedsBothCodes(t *testing.T) {
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
	expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", alicePhone}}), "200", "success")
	current := hs.nextCode(security.PurposeConfirmPhone)
	expect(t, hs.do(http.MethodGet, pMember, encQuery, alice, kv{{"phone", otherPhone}}), "200", "success")
	fresh := hs.nextCode(security.PurposeBindPhone)

	res := hs.do(http.MethodPut, pBind, encJSON, alice, kv{{"phone", otherPhone}, {"message", fresh.msg.Code}, {"oldMessage", fresh.msg.Code}})
	expect(t, res, "400", "invalid_code")
	res = hs.do(http.MethodPut, pBind, encJSON, alice, kv{{"phone", otherPhone}, {"message", fresh.msg.Code}, {"oldMessage", current.msg.Code}})
	expect(t, res, "201", "success")
	st, err := hs.svc.Status(context.Background(), alice)
	require.NoError(t, err)
	assert.Equal(t, "+86139****9000", st.Phone)
}
