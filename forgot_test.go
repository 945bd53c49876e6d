package security_test

import (
	"context"
	"errors"
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
	forgot := func(m security.Message) bool { return m.Purpose == security.PurposeForgotPassword }
	n := 0
	for _, m := range e.out.Messages() {
		if forgot(m) {
			n++
		}
	}
	handle, err := e.svc.StartForgotPassword(bg, phone)
	require.NoError(t, err)
	e.waitMatching(t, n+1, forgot, "no forgot-password code delivered")
	return handle
}

// forgotVerified runs step 1 too.
func (e *env) forgotVerified(t *testing.T, phone string) string {
	t.Helper()
	e.clock.Advance(time.Minute) // past any send cooldown
	h, err := e.svc.VerifyForgotPassword(bg, e.forgotStarted(t, phone), e.out.LastCode(t, phone))
	require.NoError(t, err)
	return h
}

// verifyErr returns the error of step 1 and fails the test if an error
// came with a handle.
func (e *env) verifyErr(t *testing.T, handle, code string) error {
	t.Helper()
	next, err := e.svc.VerifyForgotPassword(bg, handle, code)
	if err != nil {
		require.Empty(t, next, "no handle with an error")
	}
	return err
}

func TestForgotPassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)

	handle := e.forgotStarted(t, "+86 138 0013 8000")
	assert.GreaterOrEqual(t, len(handle), 43, "32 random bytes")
	code := e.out.LastCode(t, phoneA)

	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, goodPass2), security.ErrFlowRequired, "step 2 before step 1")
	require.ErrorIs(t, e.verifyErr(t, "", code), security.ErrFlowRequired, "step 1 without the flow")
	require.ErrorIs(t, e.verifyErr(t, "forged-handle-forged-handle-forged-handle-xx", code), security.ErrFlowRequired)
	require.ErrorIs(t, e.verifyErr(t, handle, wrongCode(code)), security.ErrInvalidCode)
	verified, err := e.svc.VerifyForgotPassword(bg, handle, code)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(verified), 43, "32 random bytes")
	assert.NotEqual(t, handle, verified, "step 1 hands out a new handle")
	require.ErrorIs(t, e.verifyErr(t, handle, code), security.ErrFlowRequired, "step 1 is not repeatable")
	require.ErrorIs(t, e.verifyErr(t, verified, code), security.ErrFlowRequired, "not with the new handle either")
	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, goodPass2), security.ErrFlowRequired,
		"the handle of step 1 is void: a planted or copied handle cannot finish the flow")

	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, verified, phoneB, goodPass2), security.ErrPhoneMismatch)
	requireReason(t, e.svc.CompleteForgotPassword(bg, verified, phoneA, "password1"), security.ErrWeakPassword, "common")
	requireReason(t, e.svc.CompleteForgotPassword(bg, verified, phoneA, goodPass), security.ErrWeakPassword, "same_as_current")
	require.NoError(t, e.svc.CompleteForgotPassword(bg, verified, "13800138000", goodPass2))
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass2))
	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, verified, phoneA, "yet another good one"), security.ErrFlowRequired, "single use")
	assert.Equal(t, 1, e.events.Count(security.EventPasswordReset))
	e.waitFor(t, phoneA, 2)
	assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePasswordReset))
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
	assert.Len(t, e.out.To(phoneA), 1)
	assert.Empty(t, e.out.To(phoneB), "no SMS to a phone no account has")
	// Step 1 for the unknown phone fails like a wrong code, whatever the code.
	require.ErrorIs(t, e.verifyErr(t, h2, "123456"), security.ErrInvalidCode)
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
			// The caps, the failure block and the SMS budget are one
			// call, before the answer, for both: the background delivery
			// touches no store.
			want := []string{"AccountByPhone", "PutCode"} // the flow is put with its code
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
		require.ErrorIs(t, e.verifyErr(t, h, e.out.LastCode(t, phoneA)), security.ErrInvalidCode)
	})
	t.Run("flow lives 15 minutes end to end", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		h := e.forgotStarted(t, phoneA)
		e.clock.Advance(4 * time.Minute)
		h, err := e.svc.VerifyForgotPassword(bg, h, e.out.LastCode(t, phoneA))
		require.NoError(t, err)
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
	c1 := e.out.LastCode(t, phoneA)
	e.clock.Advance(time.Minute)
	h2 := e.forgotStarted(t, phoneA)
	require.ErrorIs(t, e.verifyErr(t, h1, c1), security.ErrFlowRequired)
	require.ErrorIs(t, e.verifyErr(t, h2, c1), security.ErrInvalidCode, "a flow's code is bound to its flow")
	_, err := e.svc.VerifyForgotPassword(bg, h2, e.out.LastCode(t, phoneA))
	require.NoError(t, err)
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
	require.Equal(t, 1, e.events.Count(security.EventPasswordReset))
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
	code := e.out.LastCode(t, phoneA)
	var mu sync.Mutex
	var handles []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			if next, err := e.svc.VerifyForgotPassword(bg, h, code); err == nil {
				mu.Lock()
				handles = append(handles, next)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	require.Len(t, handles, 1, "of 50 concurrent right answers exactly one wins")
	require.ErrorIs(t, e.svc.CompleteForgotPassword(bg, h, phoneA, goodPass2), security.ErrFlowRequired)
	require.NoError(t, e.svc.CompleteForgotPassword(bg, handles[0], phoneA, goodPass2))
}

// TestForgotStepOneRaceWithoutCodeConsumption: even with a store whose
// code check lets every right answer through (it never consumes), at most
// one verified flow stays live: each step 1 puts its flow in the phone's
// scope, which voids every other flow of the phone.
func TestForgotStepOneRaceWithoutCodeConsumption(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	h := e.forgotStarted(t, phoneA)
	code := e.out.LastCode(t, phoneA)
	svc, err := security.New(reusableCodeStore{e.store}, e.out, security.Config{Secret: testSecret, Now: e.clock.Now, LinkBaseURL: "https://x.example/v"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(bg) })
	var mu sync.Mutex
	var handles []string
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			if next, err := svc.VerifyForgotPassword(bg, h, code); err == nil {
				mu.Lock()
				handles = append(handles, next)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	require.NotEmpty(t, handles)
	// A step 2 naming another phone tells a live verified flow
	// (phone_mismatch) from a dead one (flow_required) without ending it.
	require.ErrorIs(t, svc.CompleteForgotPassword(bg, h, phoneB, goodPass2), security.ErrFlowRequired)
	live := 0
	for _, next := range handles {
		err := svc.CompleteForgotPassword(bg, next, phoneB, goodPass2)
		if errors.Is(err, security.ErrPhoneMismatch) {
			live++
		} else {
			require.ErrorIs(t, err, security.ErrFlowRequired)
		}
	}
	require.Equal(t, 1, live, "exactly one verified flow is live")
}

// reusableCodeStore is a broken store whose code check matches every
// answer without consuming anything (it still stores the ticket a match
// puts).
type reusableCodeStore struct{ security.Store }

func (r reusableCodeStore) VerifyCode(ctx context.Context, _ time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	if c.OnMatch != nil {
		if err := r.PutTicket(ctx, *c.OnMatch); err != nil {
			return 0, nil, err
		}
	}
	return security.CodeMatched, make([]security.Tally, len(c.Failures)), nil
}
