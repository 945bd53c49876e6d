package security_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

const (
	pin1 = "024680"
	pin2 = "735194"
)

func TestSetPayPassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	st, err := e.svc.PayPasswordStatus(bg, "u1")
	require.NoError(t, err)
	assert.False(t, st.Set)
	require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin1), security.ErrPayPasswordNotSet)
	require.ErrorIs(t, e.svc.ChangePayPassword(bg, "u1", pin1, pin2), security.ErrPayPasswordNotSet)

	for _, tc := range []struct{ pin, reason string }{
		{"12345", "format"}, {"1234567", "format"}, {"12a456", "format"}, {" 24680", "format"},
		{"１２３４５６", "format"}, {"١٢٣٤٥٦", "format"}, {"+12345", "format"}, {"-12345", "format"},
		{"000000", "repetitive"}, {"999999", "repetitive"}, {"123456", "sequence"}, {"654321", "sequence"},
		{"121212", "repetitive"}, {"123123", "repetitive"}, {"112233", "repetitive"},
		{"138000", "context"}, // last 6 digits of the bound phone
	} {
		t.Run(tc.pin, func(t *testing.T) {
			err := e.svc.SetPayPassword(bg, "u1", tc.pin)
			require.ErrorIs(t, err, security.ErrWeakPayPassword)
			var pe *security.PolicyError
			require.True(t, errors.As(err, &pe))
			if tc.reason != "context" && tc.reason != "format" {
				assert.Contains(t, []string{"repetitive", "sequence", "common"}, pe.Reason)
			} else {
				assert.Equal(t, tc.reason, pe.Reason)
			}
		})
	}

	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	require.ErrorIs(t, e.svc.SetPayPassword(bg, "u1", pin2), security.ErrPayPasswordSet)
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin1), "leading zero kept")
	require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	assert.Equal(t, 1, e.events.Count(security.EventPayPasswordSet))
	e.waitFor(t, phoneA, 1)
	assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePayPasswordSet))

	a, _ := e.store.GetAccount(bg, "u1")
	prefix := "$acctsec-pin$k=" + security.KeyID(testSecret)
	require.True(t, strings.HasPrefix(a.PayPasswordHash, prefix), "the hash names the key that peppered it")
	phc := strings.TrimPrefix(a.PayPasswordHash, prefix)
	assert.Regexp(t, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$`, phc)
	match, err := argon2id.ComparePasswordAndHash(pin1, phc)
	require.NoError(t, err)
	assert.False(t, match, "the PIN is peppered: the bare PIN does not match the stored hash")

	// A Service without that secret cannot verify it, and says so instead
	// of counting a wrong PIN against the user.
	other, err := security.New(e.store, e.out, security.Config{Secret: []byte("Gd4uaQ5t75QZwNOBq9lCvz/zEckKKRsUDISGIs6N5Nk="), Now: e.clock.Now})
	require.NoError(t, err)
	defer other.Close(bg)
	for range 6 {
		err = other.VerifyPayPassword(bg, "u1", pin1)
		require.Error(t, err)
		require.NotErrorIs(t, err, security.ErrWrongPayPassword)
		require.NotErrorIs(t, err, security.ErrLocked)
		assert.Contains(t, err.Error(), "PreviousSecrets")
	}
	ps, err := e.svc.PayPasswordStatus(bg, "u1")
	require.NoError(t, err)
	assert.False(t, ps.Locked, "nothing was counted")
}

func TestPayPasswordEqualToLoginPassword(t *testing.T) {
	e := newEnv(t)
	h, err := argon2id.CreateHash("735194", &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "legacy", PasswordHash: h}))
	requireReason(t, e.svc.SetPayPassword(bg, "legacy", "735194"), security.ErrWeakPayPassword, "same_as_login")
}

func TestPayPasswordLockout(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))

	for range 5 {
		require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	}
	le := requireLocked(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
	requireUntil(t, e.clock.Now(), 3*time.Hour, le.Until)
	st, _ := e.svc.PayPasswordStatus(bg, "u1")
	assert.True(t, st.Locked)
	require.NotNil(t, st.LockedUntil)
	assert.Equal(t, 1, e.events.Count(security.EventPayPasswordLocked))
	e.waitFor(t, phoneA, 2)
	assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePayPasswordLocked))
	// The PIN lock never locks the login password.
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass))

	e.clock.Set(le.Until)
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
}

func TestPayPasswordDailyLockUntilReset(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	// 4 wrong + 1 right, twice: 8 failures, never 5 in a row.
	for range 2 {
		for range 4 {
			require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
		}
		require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
	}
	require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	le := requireLocked(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
	assert.True(t, le.Until.IsZero(), "10 wrong in 24 h: until reset")
	e.clock.Advance(48 * time.Hour)
	requireLocked(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
	st, _ := e.svc.PayPasswordStatus(bg, "u1")
	assert.True(t, st.Locked)
	assert.Nil(t, st.LockedUntil)

	// Reset with the bound phone's code lifts it.
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	require.NoError(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPIN: pin2}))
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin2))
	assert.Equal(t, 1, e.events.Count(security.EventPayPasswordReset))
}

func TestPayPasswordBruteForceRace(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	var wrong, locked atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			switch err := e.svc.VerifyPayPassword(bg, "u1", pin2); {
			case errors.Is(err, security.ErrWrongPayPassword):
				wrong.Add(1)
			case errors.Is(err, security.ErrLocked):
				locked.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(5), wrong.Load(), "at most 5 PINs evaluated")
	assert.Equal(t, int32(95), locked.Load())
	assert.Equal(t, 5, e.events.Count(security.EventPayPasswordCheckFailed))
}

func TestChangePayPassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	requireReason(t, e.svc.ChangePayPassword(bg, "u1", pin1, "111111"), security.ErrWeakPayPassword, "repetitive")
	requireReason(t, e.svc.ChangePayPassword(bg, "u1", pin1, pin1), security.ErrWeakPayPassword, "same_as_current")
	require.ErrorIs(t, e.svc.ChangePayPassword(bg, "u1", pin2, "802461"), security.ErrWrongPayPassword)
	require.NoError(t, e.svc.ChangePayPassword(bg, "u1", pin1, pin2))
	require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin1), security.ErrWrongPayPassword)
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin2))
	assert.Equal(t, 1, e.events.Count(security.EventPayPasswordChanged))

	// Wrong old PINs in update count toward the same lock.
	for range 5 {
		require.ErrorIs(t, e.svc.ChangePayPassword(bg, "u1", "802461", "913572"), security.ErrWrongPayPassword)
	}
	requireLocked(t, e.svc.VerifyPayPassword(bg, "u1", pin2))
}

func TestResetPayPassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: "123456", NewPIN: pin2}), security.ErrNoPhone)
	e.bindPhone(t, "u1", phoneA)

	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	code := e.out.LastCode(t, phoneA)
	assert.Equal(t, security.PurposeConfirmPhone, e.out.To(phoneA)[len(e.out.To(phoneA))-1].Purpose)

	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneB, PhoneCode: code, NewPIN: pin2}), security.ErrInvalidCode,
		"a guessed phone is a failed verification, not a mismatch oracle")
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: "", NewPIN: pin2}), security.ErrInvalidArgument)
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: wrongCode(code), NewPIN: pin2}), security.ErrInvalidCode)
	requireReason(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: code, NewPIN: "123456"}), security.ErrWeakPayPassword, "sequence")
	// The new PIN comes with the code: a reset never leaves the PIN cleared
	// for a stolen session to set without proof.
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: code, NewPIN: ""}), security.ErrInvalidArgument)
	require.NoError(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: code, NewPIN: pin2}))
	st, _ := e.svc.PayPasswordStatus(bg, "u1")
	assert.True(t, st.Set)
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: code, NewPIN: pin1}), security.ErrInvalidCode, "single use")
	require.ErrorIs(t, e.svc.SetPayPassword(bg, "u1", pin1), security.ErrPayPasswordSet)
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin2))
	e.waitFor(t, phoneA, 3) // bind code, confirm code, reset notice
	assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePayPasswordReset))
	for _, m := range e.out.To(phoneA) {
		if m.Purpose.IsNotice() {
			assert.Empty(t, m.Code, "notices carry no code")
		}
	}
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA, Email: "alice@example.com", EmailVerified: true}))
	st, err := e.svc.Status(bg, "u1")
	require.NoError(t, err)
	assert.Equal(t, "+86138****8000", st.Phone)
	assert.Equal(t, "a***@example.com", st.Email)
	assert.True(t, st.PhoneBound)
	assert.True(t, st.EmailVerified)
	assert.False(t, st.PayPasswordSet)
	assert.Equal(t, e.clock.Now().Truncate(time.Second), st.PasswordChangedAt)
	_, err = e.svc.Status(bg, "ghost")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
}

// TestPayPasswordUpgradeThenUpdate: a PIN hashed with older parameters is
// re-hashed by the first successful check; an update in the same call must
// compare against the record as it is after that, not fail as "changed
// meanwhile".
func TestPayPasswordUpgradeThenUpdate(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	old, err := security.New(e.store, e.out, security.Config{Secret: testSecret, Now: e.clock.Now,
		Hash: security.HashParams{Memory: 12288, Iterations: 3}})
	require.NoError(t, err)
	defer old.Close(bg)
	require.NoError(t, old.SetPayPassword(bg, "u1", pin1))
	a, _ := e.store.GetAccount(bg, "u1")
	require.Contains(t, a.PayPasswordHash, "$m=12288,t=3,p=1$")

	require.NoError(t, e.svc.ChangePayPassword(bg, "u1", pin1, pin2))
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin2))
	a, _ = e.store.GetAccount(bg, "u1")
	assert.Contains(t, a.PayPasswordHash, "$m=19456,t=2,p=1$")
}
