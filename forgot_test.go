package security_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// forgotStarted starts a flow for phone and waits for its code.
func (e *env) forgotStarted(t *testing.T, phone string) string {
	t.Helper()
	forgotCount := func() int {
		n := 0
		for _, m := range e.out.all() {
			if m.Purpose == security.PurposeForgotPassword {
				n++
			}
		}
		return n
	}
	n := forgotCount()
	handle, err := e.svc.StartForgotPassword(bg, phone)
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for forgotCount() == n {
		require.True(t, time.Now().Before(deadline), "no forgot-password code delivered")
		time.Sleep(2 * time.Millisecond)
	}
	return handle
}

// forgotVerified runs step 1 too.
func (e *env) forgotVerified(t *testing.T, phone string) string {
	t.Helper()
	e.clock.Advance(time.Minute) // past any send cooldown
	h := e.forgotStarted(t, phone)
	require.NoError(t, e.svc.VerifyForgotPassword(bg, h, e.out.lastCode(t, phone)))
	return h
}

func TestForgotPassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)

	handle := e.forgotStarted(t, "+86 138 0013 8000")
	assert.GreaterOrEqual(t, len(handle), 43, "32 random bytes")
	code := e.out.lastCode(t, phoneA)

	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, goodPass2), security.ErrFlowRequired, "step 2 before step 1")
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, "", code), security.ErrFlowRequired, "step 1 without the flow")
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, "forged-handle-forged-handle-forged-handle-xx", code), security.ErrFlowRequired)
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, handle, wrongCode(code)), security.ErrInvalidCode)
	require.NoError(t, e.svc.VerifyForgotPassword(bg, handle, code))
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, handle, code), security.ErrFlowRequired, "step 1 is not repeatable")

	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, handle, phoneB, goodPass2), security.ErrPhoneMismatch)
	requireReason(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, "password1"), security.ErrWeakPassword, "common")
	requireReason(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, goodPass), security.ErrWeakPassword, "same_as_current")
	require.NoError(t, e.svc.CompleteForgotPassword(bg, handle, "13800138000", goodPass2))
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass2))
	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, "yet another good one"), security.ErrFlowRequired, "single use")
	assert.Equal(t, 1, e.events.count(security.EventPasswordReset))
	e.waitFor(t, phoneA, 2)
	assert.Equal(t, 1, e.out.count(phoneA, security.PurposePasswordReset))
}

func TestForgotPasswordUnknownPhoneLooksTheSame(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	h1, err1 := e.svc.StartForgotPassword(bg, phoneA)
	h2, err2 := e.svc.StartForgotPassword(bg, phoneB)
	require.NoError(t, err1)
	require.NoError(t, err2)
	assert.Equal(t, len(h1), len(h2))
	e.drain(t)
	assert.Len(t, e.out.to(phoneA), 1)
	assert.Empty(t, e.out.to(phoneB), "no SMS to a phone no account has")
	// Step 1 for the unknown phone fails like a wrong code, whatever the code.
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, h2, "123456"), security.ErrInvalidCode)
}

func TestForgotPasswordSameStoreWork(t *testing.T) {
	// Equal answers are not enough: both paths must do the same work, or
	// their timing tells. Count the store calls of each.
	for _, phone := range []string{phoneA, phoneB} {
		t.Run(phone, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "u1", phoneA)
			rec := &recordingStore{Store: e.store}
			svc, err := security.New(rec, e.out, security.Config{Secret: testSecret, Now: e.clock.Now, LinkBaseURL: "https://x.example/v"})
			require.NoError(t, err)
			_, err = svc.StartForgotPassword(bg, phone)
			require.NoError(t, err)
			require.NoError(t, svc.Close(bg))
			want := []string{"AccountByPhone", "Allow", "AttemptStatus", "AttemptStatus", "Allow", "PutCode", "PutTicket"}
			if phone == phoneA {
				// After the answer, in the background: the SMS budget and
				// its 80% warning mark.
				want = append(want, "Allow", "Allow")
			}
			require.Equal(t, want, rec.calls())
		})
	}
}

func TestForgotPasswordExpiry(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)

	t.Run("code expires after 5 minutes", func(t *testing.T) {
		h := e.forgotStarted(t, phoneA)
		e.clock.Advance(5*time.Minute + time.Second)
		require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, h, e.out.lastCode(t, phoneA)), security.ErrInvalidCode)
	})
	t.Run("flow lives 15 minutes end to end", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		h := e.forgotStarted(t, phoneA)
		e.clock.Advance(4 * time.Minute)
		require.NoError(t, e.svc.VerifyForgotPassword(bg, h, e.out.lastCode(t, phoneA)))
		e.clock.Advance(10*time.Minute + time.Second)
		require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, h, phoneA, goodPass2), security.ErrFlowRequired)
	})
	t.Run("verified flow ends 10 minutes after step 1", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		h := e.forgotVerified(t, phoneA)
		e.clock.Advance(9 * time.Minute)
		require.NoError(t, e.svc.CompleteForgotPassword(bg, h, phoneA, goodPass2))
		h = e.forgotVerified(t, phoneA)
		e.clock.Advance(10*time.Minute + time.Second)
		require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, h, phoneA, "third good password"), security.ErrFlowRequired)
	})
}

func TestForgotPasswordNewFlowVoidsOld(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	h1 := e.forgotStarted(t, phoneA)
	c1 := e.out.lastCode(t, phoneA)
	e.clock.Advance(time.Minute)
	h2 := e.forgotStarted(t, phoneA)
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, h1, c1), security.ErrFlowRequired)
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, h2, c1), security.ErrInvalidCode, "a flow's code is bound to its flow")
	require.NoError(t, e.svc.VerifyForgotPassword(bg, h2, e.out.lastCode(t, phoneA)))
}

func TestForgotPasswordCompleteRace(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	h := e.forgotVerified(t, phoneA)
	const n = 20
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	passwords := make([]string, n)
	for i := range n {
		passwords[i] = "racing password number " + string(rune('a'+i))
		wg.Go(func() {
			<-start
			if e.svc.CompleteForgotPassword(bg, h, phoneA, passwords[i]) == nil {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, int32(1), wins.Load())
	require.Equal(t, 1, e.events.count(security.EventPasswordReset))
	a, err := e.store.GetAccount(bg, "u1")
	require.NoError(t, err)
	ok := 0
	for _, p := range passwords {
		if match, _ := argon2id.ComparePasswordAndHash(p, a.PasswordHash); match {
			ok++
		}
	}
	require.Equal(t, 1, ok, "exactly one of the racing passwords is set")
}

func TestForgotStepOneCodeRace(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	h := e.forgotStarted(t, phoneA)
	code := e.out.lastCode(t, phoneA)
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			if e.svc.VerifyForgotPassword(bg, h, code) == nil {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, int32(1), wins.Load(), "of 50 concurrent right answers exactly one wins")
}
