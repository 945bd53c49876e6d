package security_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

func TestAdminRebindPhone(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA,
		Email: "alice@example.com", EmailVerified: true}))
	// Pending on the old phone: a forgot-password flow, a login code and a
	// member code.
	flow := e.forgotStarted(t, phoneA)
	forgotCode := e.out.LastCode(t, phoneA)
	e.clock.Advance(time.Minute)
	loginCode := e.loginCode(t, bg, phoneA)
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	memberCode := e.out.LastCode(t, phoneA)

	require.NoError(t, e.svc.AdminRebindPhone(bg, "u1", "139 0013 9000"))

	info, err := e.svc.Account(bg, "u1")
	require.NoError(t, err)
	assert.Equal(t, phoneB, info.Phone)
	_, err = e.svc.VerifyForgotPassword(bg, flow, forgotCode)
	require.ErrorIs(t, err, security.ErrFlowRequired, "the old phone's flows end")
	_, err = e.svc.VerifyLoginCode(bg, phoneA, loginCode)
	require.ErrorIs(t, err, security.ErrInvalidCode)
	// The code is checked before the phone: a live code would match and answer
	// ErrPhoneMismatch, so ErrInvalidCode shows it was voided.
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: memberCode, NewPIN: "472915"}), security.ErrInvalidCode)

	var ev []security.Event
	for _, x := range e.events.All() {
		if x.Type == security.EventPhoneBound {
			ev = append(ev, x)
		}
	}
	require.Len(t, ev, 1)
	assert.Equal(t, "admin", ev[0].Reason)
	assert.Equal(t, "u1", ev[0].UserID)
	assert.Equal(t, security.Mask(phoneB), ev[0].Destination)

	e.drain(t)
	assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePhoneUnbound), "the old phone is told")
	assert.Equal(t, 1, e.out.Count(phoneB, security.PurposePhoneBound), "the new phone is told")
	assert.Equal(t, 1, e.out.Count("alice@example.com", security.PurposePhoneUnbound), "and the verified address")
}

func TestAdminRebindPhoneRefusals(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	e.register(t, "u2", phoneB)
	require.ErrorIs(t, e.svc.AdminRebindPhone(bg, "u1", phoneB), security.ErrPhoneTaken)
	require.ErrorIs(t, e.svc.AdminRebindPhone(bg, "nobody", "13700137000"), security.ErrAccountNotFound)
	require.ErrorIs(t, e.svc.AdminRebindPhone(bg, "u1", "12345"), security.ErrInvalidPhone)
	require.ErrorIs(t, e.svc.AdminRebindPhone(bg, "", phoneB), security.ErrInvalidArgument)
	info, err := e.svc.Account(bg, "u1")
	require.NoError(t, err)
	assert.Equal(t, phoneA, info.Phone, "a refusal changes nothing")

	require.NoError(t, e.svc.AdminRebindPhone(bg, "u1", phoneA), "the phone bound now: nothing to do")
	assert.Zero(t, e.events.Count(security.EventPhoneBound))

	// An account without a phone gets its first one; one notice, to it.
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "wx1"}))
	require.NoError(t, e.svc.AdminRebindPhone(bg, "wx1", "13700137000"))
	e.drain(t)
	assert.Equal(t, 1, e.out.Count("+8613700137000", security.PurposePhoneBound))
	assert.Zero(t, e.out.Count(phoneA, security.PurposePhoneUnbound))
}
