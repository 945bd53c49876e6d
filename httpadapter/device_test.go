package httpadapter_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

const deviceHeader = "X-Test-Device"

// TestDeviceTokenReachesTheService: Options.DeviceToken hands the host's
// device token to the Service, so the owner's known device keeps its own
// password allowance and its own send budget while strangers have spent
// theirs (issue 8).
func TestDeviceTokenReachesTheService(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{
		DeviceToken: func(r *http.Request) string { return r.Header.Get(deviceHeader) },
	}})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
	tok, err := hs.svc.SignIn(context.Background(), alice, alicePass)
	require.NoError(t, err)
	withDevice := func(r *http.Request) *http.Request { r.Header.Set(deviceHeader, tok); return r }

	// Strangers spend the phone's budget for everyone but the owner.
	for range security.DefaultLimits().SendsPerHour {
		hs.clock.Advance(61 * time.Second)
		expect(t, hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", alicePhone}}), "200", "success")
	}
	hs.clock.Advance(61 * time.Second)
	expect(t, hs.do(http.MethodGet, pForgot, encQuery, "", kv{{"phone", alicePhone}}), "429", "rate_limited")
	expect(t, hs.serve(withDevice(request(t, http.MethodGet, pForgot, encQuery, kv{{"phone", alicePhone}}))), "200", "success")

	// Wrong passwords from a session without the device lock strangers,
	// not the device.
	for range security.DefaultLimits().PasswordFailures {
		expect(t, hs.do(http.MethodPut, pMember, encForm, alice,
			kv{{"oldPassword", "not the password"}, {"newPasswordFirst", newPass}}), "403", "wrong_password")
	}
	expect(t, hs.do(http.MethodPut, pMember, encForm, alice,
		kv{{"oldPassword", alicePass}, {"newPasswordFirst", newPass}}), "423", "locked")
	r := request(t, http.MethodPut, pMember, encForm, kv{{"oldPassword", alicePass}, {"newPasswordFirst", newPass}})
	r.Header.Set("X-User-ID", alice)
	expect(t, hs.serve(withDevice(r)), "201", "success")
}
