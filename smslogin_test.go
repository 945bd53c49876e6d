package security_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// loginCode sends a login code to phone from ctx and waits for it.
func (e *env) loginCode(t *testing.T, ctx context.Context, phone string) string {
	t.Helper()
	n := e.out.Count(phone, security.PurposeLoginCode)
	require.NoError(t, e.svc.SendLoginCode(ctx, phone))
	e.waitMatching(t, n+1, func(m security.Message) bool {
		return m.To == phone && m.Purpose == security.PurposeLoginCode
	}, "no login code delivered")
	return e.out.LastCode(t, phone)
}

func TestSMSLogin(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)

	require.NoError(t, e.svc.SendLoginCode(bg, "138 0013 8000"))
	e.waitFor(t, phoneA, 1)
	code := e.out.LastCode(t, phoneA)
	msgs := e.out.To(phoneA)
	require.Len(t, msgs, 1)
	assert.Equal(t, security.PurposeLoginCode, msgs[0].Purpose)
	assert.Equal(t, "sms1", msgs[0].UserID)

	_, err := e.svc.VerifyLoginCode(bg, phoneA, wrongCode(code))
	require.ErrorIs(t, err, security.ErrInvalidCode)
	_, err = e.svc.VerifyLoginCode(bg, phoneA, "")
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	id, err := e.svc.VerifyLoginCode(bg, "+86 138 0013 8000", code)
	require.NoError(t, err)
	assert.Equal(t, "sms1", id)
	assert.Equal(t, 1, e.events.Count(security.EventLoginCodeVerified))
	_, err = e.svc.VerifyLoginCode(bg, phoneA, code)
	require.ErrorIs(t, err, security.ErrInvalidCode, "single use")

	// The destination's cooldown applies; a new code voids the previous one.
	requireRateLimited(t, e.svc.SendLoginCode(bg, phoneA))
	e.clock.Advance(time.Minute)
	first := e.loginCode(t, bg, phoneA)
	e.clock.Advance(time.Minute)
	second := e.loginCode(t, bg, phoneA)
	if first != second {
		_, err = e.svc.VerifyLoginCode(bg, phoneA, first)
		require.ErrorIs(t, err, security.ErrInvalidCode, "voided by the newer code")
	}
	id, err = e.svc.VerifyLoginCode(bg, phoneA, second)
	require.NoError(t, err)
	assert.Equal(t, "sms1", id)

	// Codes of other purposes sign nobody in.
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "sms1", phoneA))
	_, err = e.svc.VerifyLoginCode(bg, phoneA, e.out.LastCode(t, phoneA))
	require.ErrorIs(t, err, security.ErrInvalidCode)
}

// TestSMSLoginUnknownPhoneLooksTheSame: a phone no account has gets the same
// answers, from the same store work, and no account is created.
func TestSMSLoginUnknownPhoneLooksTheSame(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	var sends, verifies [2][]string
	var verifyErrs [2][]error
	for i, phone := range []string{phoneA, phoneB} {
		rec := &recordingStore{Store: e.store}
		svc, err := security.New(rec, e.out, security.Config{Secret: testSecret, Now: e.clock.Now, LinkBaseURL: "https://x.example/v"})
		require.NoError(t, err)
		require.NoError(t, svc.SendLoginCode(bg, phone))
		if phone == phoneA {
			e.waitFor(t, phoneA, 1)
		}
		sends[i] = rec.calls()
		n := len(sends[i])
		for range 6 {
			_, err := svc.VerifyLoginCode(bg, phone, "000000")
			verifyErrs[i] = append(verifyErrs[i], err)
		}
		verifies[i] = rec.calls()[n:]
		require.NoError(t, svc.Close(bg))
	}
	// A wrong guess counts for the requester and for strangers to the
	// known phone, for the requester and a shadow count nothing reads for
	// the unknown one: the same store calls.
	assert.Equal(t, verifies[0], verifies[1])
	want := []string{"AccountByPhone", "PutCode"}
	assert.Equal(t, want, sends[1])
	// The SMS budget was spent in the PutCode that stored the code, before
	// the answer: the background delivery touches no store.
	assert.Equal(t, want, sends[0], "SendLoginCode does the same store work")
	require.Len(t, e.out.To(phoneA), 1)
	assert.Empty(t, e.out.To(phoneB), "no SMS to a phone no account has")
	for i := range verifyErrs[0] {
		known, unknown := verifyErrs[0][i], verifyErrs[1][i]
		if known == nil {
			continue // 000000 was the known phone's code: one in a million
		}
		assert.Equal(t, errors.Is(known, security.ErrInvalidCode), errors.Is(unknown, security.ErrInvalidCode), "try %d", i+1)
		assert.Equal(t, errors.Is(known, security.ErrTooManyAttempts), errors.Is(unknown, security.ErrTooManyAttempts), "try %d", i+1)
	}
	assert.ErrorIs(t, verifyErrs[1][4], security.ErrTooManyAttempts, "the fifth wrong try voids the unsent code too")
	_, err := e.svc.UserIDByPhone(bg, phoneB)
	require.ErrorIs(t, err, security.ErrAccountNotFound, "no account was created")
}

// TestSMSLoginGuessesAtAnUnknownPhoneBlockNobody: wrong codes for a phone
// that had no account are not failures of that phone, so the person who
// signs up with it later is not blocked; wrong codes for a phone with an
// account block the guesser after Limits.DestinationFailures.
func TestSMSLoginGuessesAtAnUnknownPhoneBlockNobody(t *testing.T) {
	e := newEnv(t)
	guesser := ctxFrom("198.51.100.66")
	for range 2 {
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendLoginCode(guesser, phoneB))
		for range 5 {
			_, err := e.svc.VerifyLoginCode(guesser, phoneB, "000000")
			require.Error(t, err)
			require.False(t, errors.Is(err, security.ErrRateLimited), "10 guesses stay under the miss budget")
		}
	}
	// The guesses cost the guesser alone: its own IP is held off the phone
	// for the window, the person who signs up with the phone later is not.
	e.passwordless(t, "late", phoneB)
	e.clock.Advance(time.Minute)
	_, err := e.svc.VerifyLoginCode(guesser, phoneB, "000000")
	requireRateLimited(t, err)
	newcomer := ctxFrom("203.0.113.99")
	code := e.loginCode(t, newcomer, phoneB)
	id, err := e.svc.VerifyLoginCode(newcomer, phoneB, code)
	require.NoError(t, err)
	assert.Equal(t, "late", id)

	// The same guesses at a real code block the guesser and, together,
	// every stranger, but not the owner on a device it signed in on.
	e.register(t, "u1", phoneA)
	tok, err := e.svc.SignIn(bg, "u1", goodPass)
	require.NoError(t, err)
	owner := security.WithClient(context.Background(), security.Client{IP: "192.0.2.44", DeviceToken: tok})
	blocked, sent := false, 0
	for range 3 {
		e.clock.Advance(time.Minute)
		if err := e.svc.SendLoginCode(guesser, phoneA); err != nil {
			requireRateLimited(t, err)
			blocked = true
			break
		}
		sent++
		for range 5 {
			_, err := e.svc.VerifyLoginCode(guesser, phoneA, "000000")
			if errors.Is(err, security.ErrRateLimited) {
				blocked = true
			}
		}
	}
	assert.True(t, blocked, "10 failures against a phone block that requester")
	e.waitFor(t, phoneA, sent) // the guesser's codes, delivered in the background
	e.clock.Advance(time.Minute)
	_, err = e.svc.VerifyLoginCode(newcomer, phoneA, "000000")
	requireRateLimited(t, err) // strangers together are held off the phone
	code = e.loginCode(t, owner, phoneA)
	id, err = e.svc.VerifyLoginCode(owner, phoneA, code)
	require.NoError(t, err, "the owner's known device is not blocked")
	assert.Equal(t, "u1", id)
}

// TestSMSLoginOwnersDeviceHasItsOwnBudget: strangers using up the phone's
// send budget cannot stop its owner, on a device the owner signed in on,
// from getting a login code.
func TestSMSLoginOwnersDeviceHasItsOwnBudget(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", phoneA)
	tok, err := e.svc.SignIn(bg, "alice", goodPass)
	require.NoError(t, err)
	sent := 0
	for i := range 20 {
		e.clock.Advance(time.Minute)
		if err := e.svc.SendLoginCode(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), phoneA); err == nil {
			sent++
		} else {
			requireRateLimited(t, err)
		}
	}
	assert.Equal(t, security.DefaultLimits().SendsPerHour, sent)
	e.clock.Advance(time.Minute)
	requireRateLimited(t, e.svc.SendLoginCode(ctxFrom("198.51.100.200"), phoneA))
	e.waitFor(t, phoneA, sent)

	dev := security.WithClient(context.Background(), security.Client{IP: "192.0.2.1", DeviceToken: tok})
	code := e.loginCode(t, dev, phoneA)
	id, err := e.svc.VerifyLoginCode(dev, phoneA, code)
	require.NoError(t, err)
	assert.Equal(t, "alice", id)
}

// TestSMSLoginCodeBelongsToTheAccount: a code sent while the phone was one
// account's signs nobody in once the phone belongs to another.
func TestSMSLoginCodeBelongsToTheAccount(t *testing.T) {
	e := newEnv(t)
	e.register(t, "old", phoneA)
	code := e.loginCode(t, bg, phoneA)
	require.NoError(t, e.svc.AdminRebindPhone(bg, "old", phoneB))
	e.passwordless(t, "new", phoneA)
	_, err := e.svc.VerifyLoginCode(bg, phoneA, code)
	require.ErrorIs(t, err, security.ErrInvalidCode)
}

// TestSMSLoginUndeliveredCodeIsVoid: a code whose SMS failed is deleted.
func TestSMSLoginUndeliveredCodeIsVoid(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	e.out.Fail(errors.New("provider down"))
	require.NoError(t, e.svc.SendLoginCode(bg, phoneA), "delivery happens in the background")
	e.drain(t)
	codes := attemptedCodes(e.out)
	require.Len(t, codes, 1)
	_, err := e.svc.VerifyLoginCode(bg, phoneA, codes[0])
	require.ErrorIs(t, err, security.ErrInvalidCode)
}

// TestSignInWithLoginCode: a user who only ever signs in by SMS gets a
// device token, and from that device the next login code draws on the
// owner's budget, which strangers cannot spend.
func TestSignInWithLoginCode(t *testing.T) {
	e := newEnv(t)
	e.passwordless(t, "sms1", phoneA)
	id, tok, err := e.svc.SignInWithLoginCode(bg, phoneA, e.loginCode(t, bg, phoneA))
	require.NoError(t, err)
	assert.Equal(t, "sms1", id)
	require.NotEmpty(t, tok)
	_, _, err = e.svc.SignInWithLoginCode(bg, phoneA, "123456")
	require.ErrorIs(t, err, security.ErrInvalidCode)

	sent := 1
	for i := range 20 {
		e.clock.Advance(time.Minute)
		if e.svc.SendLoginCode(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), phoneA) == nil {
			sent++
		}
	}
	e.clock.Advance(time.Minute)
	requireRateLimited(t, e.svc.SendLoginCode(ctxFrom("198.51.100.77"), phoneA))
	e.waitFor(t, phoneA, sent)
	dev := security.WithClient(context.Background(), security.Client{IP: "192.0.2.1", DeviceToken: tok})
	id, _, err = e.svc.SignInWithLoginCode(dev, phoneA, e.loginCode(t, dev, phoneA))
	require.NoError(t, err)
	assert.Equal(t, "sms1", id)
}
