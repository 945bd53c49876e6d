package security_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// passwordless creates an account without a password (an SMS sign-up).
func (e *env) passwordless(t *testing.T, userID, phone string) {
	t.Helper()
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: userID, Phone: phone}))
}

// allocated returns how many bytes f allocated. An argon2id check at the
// default cost allocates its 19 MiB of memory, so this tells a check that
// ran a hash from one that answered without, with no clock involved.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestPasswordlessAccount(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)

	st, err := e.svc.Status(bg, "sms1")
	require.NoError(t, err)
	assert.False(t, st.PasswordSet)
	assert.True(t, st.PasswordChangedAt.IsZero(), "no password, no change time")
	assert.True(t, st.PhoneBound)
	a, err := e.store.GetAccount(bg, "sms1")
	require.NoError(t, err)
	assert.Empty(t, a.PasswordHash)

	e.register(t, "pw1", phoneB)
	st, err = e.svc.Status(bg, "pw1")
	require.NoError(t, err)
	assert.True(t, st.PasswordSet)
}

// TestPasswordlessCheckLooksLikeAWrongPassword: a password check of an
// account without one answers ErrWrongPassword, runs a hash like a wrong
// password does, and does the store work of a missing account: there is
// nothing to guess, so nothing is counted and nothing locks.
func TestPasswordlessCheckLooksLikeAWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)
	e.register(t, "pw1", phoneB)

	const argonMemory = 19 << 20
	for _, user := range []string{"sms1", "pw1", "nobody"} {
		var err error
		n := allocated(func() { err = e.svc.VerifyPassword(bg, user, goodPass2) })
		require.ErrorIs(t, err, security.ErrWrongPassword, user)
		assert.GreaterOrEqual(t, n, uint64(argonMemory), "%s: the check must run an argon2id hash", user)
	}

	// Many more tries than any lock allows: never locked, always wrong.
	for range 30 {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "sms1", goodPass), security.ErrWrongPassword)
	}
	_, err := e.svc.SignIn(bg, "sms1", goodPass)
	require.ErrorIs(t, err, security.ErrWrongPassword)
	assert.Zero(t, e.events.Count(security.EventPasswordLocked))

	calls := func(user string) []string {
		rec := &recordingStore{Store: e.store}
		svc, err := security.New(rec, e.out, security.Config{Secret: testSecret, Now: e.clock.Now, LinkBaseURL: "https://x.example/v"})
		require.NoError(t, err)
		defer svc.Close(bg)
		require.ErrorIs(t, svc.VerifyPassword(bg, user, goodPass), security.ErrWrongPassword)
		return rec.calls()
	}
	assert.Equal(t, calls("nobody"), calls("sms1"), "a passwordless account does a missing account's store work")
	assert.Equal(t, []string{"GetAccount", "Count"}, calls("sms1"))
}

func TestChangePasswordWithoutPassword(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)
	require.ErrorIs(t, e.svc.ChangePassword(bg, "sms1", goodPass, goodPass2), security.ErrPasswordNotSet)
	require.ErrorIs(t, e.svc.ChangePassword(bg, "nobody", goodPass, goodPass2), security.ErrAccountNotFound)
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)

	// A code is required, and only one sent to the bound phone for this user.
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: "123456", NewPassword: goodPass}), security.ErrInvalidCode)
	require.NoError(t, e.svc.SendPhoneCode(bg, "sms1", phoneA))
	code := e.out.LastCode(t, phoneA)
	assert.Equal(t, security.PurposeConfirmPhone, e.out.To(phoneA)[0].Purpose, "the confirm_phone text names a first login password")

	// Refusals that need no code leave it usable.
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneB, PhoneCode: code, NewPassword: goodPass}), security.ErrPhoneMismatch)
	requireReason(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: code, NewPassword: "password1"}), security.ErrWeakPassword, "common")
	requireReason(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: code, NewPassword: "my 13800138000 pw"}), security.ErrWeakPassword, "context")
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: "", NewPassword: goodPass}), security.ErrInvalidArgument)
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: wrongCode(code), NewPassword: goodPass}), security.ErrInvalidCode)

	require.NoError(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: "138 0013 8000", PhoneCode: code, NewPassword: goodPass}))
	require.NoError(t, e.svc.VerifyPassword(bg, "sms1", goodPass))
	st, err := e.svc.Status(bg, "sms1")
	require.NoError(t, err)
	assert.True(t, st.PasswordSet)
	assert.Equal(t, e.clock.Now().UTC().Truncate(time.Second), st.PasswordChangedAt)
	assert.Equal(t, 1, e.events.Count(security.EventPasswordSet))
	e.waitFor(t, phoneA, 2)
	assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePasswordChanged), "a notice to the bound phone")

	// The code was single use, and a second first password is refused
	// before any code is looked at.
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: code, NewPassword: goodPass2}), security.ErrPasswordSet)
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "sms1", phoneA))
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPassword: goodPass2}), security.ErrPasswordSet)
	require.NoError(t, e.svc.ChangePassword(bg, "sms1", goodPass, goodPass2), "from now on the old password is the proof")
}

func TestSetPasswordNeedsABoundPhone(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "wx1"})) // WeChat: no phone
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "wx1", Phone: phoneA, PhoneCode: "123456", NewPassword: goodPass}), security.ErrNoPhone)
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "nobody", Phone: phoneA, PhoneCode: "123456", NewPassword: goodPass}), security.ErrAccountNotFound)
	e.bindPhone(t, "wx1", phoneA)
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "wx1", phoneA))
	require.NoError(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "wx1", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPassword: goodPass}))
	require.NoError(t, e.svc.VerifyPassword(bg, "wx1", goodPass))
}

// TestSetPasswordRefusesOtherCodes: a code for another phone, another user
// or another flow proves nothing here, and wrong codes void the code.
func TestSetPasswordRefusesOtherCodes(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)
	e.register(t, "pw2", "")

	// mallory asks for a code to phoneA (to bind it): it is mallory's code.
	require.NoError(t, e.svc.SendPhoneCode(bg, "pw2", phoneA))
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPassword: goodPass}), security.ErrInvalidCode)
	// A forgot-password code is not a member code.
	e.clock.Advance(time.Minute)
	e.forgotStarted(t, phoneA)
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPassword: goodPass}), security.ErrInvalidCode)

	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "sms1", phoneA))
	code := e.out.LastCode(t, phoneA)
	for range 4 {
		require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: wrongCode(code), NewPassword: goodPass}), security.ErrInvalidCode)
	}
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: wrongCode(code), NewPassword: goodPass}), security.ErrTooManyAttempts)
	require.ErrorIs(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: code, NewPassword: goodPass}), security.ErrInvalidCode, "voided")
}

// TestPasswordlessGuessesDoNotLockTheFirstPassword: strangers guessing at
// an account that has no password cannot lock the one it sets later.
func TestPasswordlessGuessesDoNotLockTheFirstPassword(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)
	for range 20 {
		require.ErrorIs(t, e.svc.VerifyPassword(ctxFrom("198.51.100.9"), "sms1", goodPass2), security.ErrWrongPassword)
	}
	require.NoError(t, e.svc.SendPhoneCode(bg, "sms1", phoneA))
	require.NoError(t, e.svc.SetPassword(bg, security.SetPasswordRequest{UserID: "sms1", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPassword: goodPass}))
	require.NoError(t, e.svc.VerifyPassword(bg, "sms1", goodPass))
}
