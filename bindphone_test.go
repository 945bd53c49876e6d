package security_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
)

func TestBindPhone(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", "138-0013-8000"))
	msgs := e.out.To(phoneA)
	require.Len(t, msgs, 1, "sent synchronously to the normalised number")
	m := msgs[0]
	assert.Equal(t, security.ChannelSMS, m.Channel)
	assert.Equal(t, security.PurposeBindPhone, m.Purpose)
	assert.Regexp(t, `^[0-9]{6}$`, m.Code)
	assert.Equal(t, 5*time.Minute, m.TTL)
	assert.Equal(t, "en", m.Locale)

	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, ""), security.ErrInvalidArgument)
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", "not a phone", m.Code), security.ErrInvalidPhone)
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneB, m.Code), security.ErrInvalidCode, "a code for A cannot bind B")
	e.register(t, "u2", "")
	require.ErrorIs(t, e.svc.BindPhone(bg, "u2", phoneA, m.Code), security.ErrInvalidCode, "a code for u1 is nothing for u2")
	require.NoError(t, e.svc.BindPhone(bg, "u1", "+86 138 0013 8000", m.Code))
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, m.Code), security.ErrInvalidCode, "replay")
	a, _ := e.store.GetAccount(bg, "u1")
	assert.Equal(t, phoneA, a.Phone)
	assert.Equal(t, 1, e.events.Count(security.EventPhoneBound))
}

// TestBindPhoneCases: each case sets up its own Service and accounts, so
// any one runs alone (go test -run 'TestBindPhoneCases/...').
func TestBindPhoneCases(t *testing.T) {
	// bound returns an env where u1 has phoneA bound and u2 has no phone.
	bound := func(t *testing.T) *env {
		e := newEnv(t)
		e.register(t, "u1", "")
		e.register(t, "u2", "")
		e.bindPhone(t, "u1", phoneA)
		return e
	}
	t.Run("changing the phone needs a code from the bound one", func(t *testing.T) {
		e := bound(t)
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneB))
		newCode := e.out.LastCode(t, phoneB)
		require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneB, newCode), security.ErrPhoneProofRequired,
			"a stolen session alone cannot move the account to another phone")
		change := func(current string) error {
			return e.svc.ChangePhone(bg, security.ChangePhoneRequest{UserID: "u1", NewPhone: phoneB, NewPhoneCode: newCode, CurrentPhoneCode: current})
		}
		require.ErrorIs(t, change(""), security.ErrInvalidArgument)
		require.ErrorIs(t, change("123456"), security.ErrInvalidCode)
		require.ErrorIs(t, change(newCode), security.ErrInvalidCode, "the new phone's code proves nothing about the old one")
		a, _ := e.store.GetAccount(bg, "u1")
		require.Equal(t, phoneA, a.Phone)
	})
	t.Run("rebinding notifies the old phone", func(t *testing.T) {
		e := bound(t)
		e.changePhone(t, "u1", phoneB)
		assert.Equal(t, 1, e.out.Count(phoneA, security.PurposeConfirmPhone), "the proof came from the old phone")
		e.waitFor(t, phoneA, 3)
		assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePhoneUnbound))
		a, _ := e.store.GetAccount(bg, "u1")
		assert.Equal(t, phoneB, a.Phone)
	})
	t.Run("a phone on another account is refused only after the right code", func(t *testing.T) {
		e := bound(t)
		e.clock.Advance(time.Hour)
		require.NoError(t, e.svc.SendPhoneCode(bg, "u2", phoneA), "sending reveals nothing")
		require.ErrorIs(t, e.svc.BindPhone(bg, "u2", phoneA, wrongCode(e.out.LastCode(t, phoneA))), security.ErrInvalidCode)
		require.ErrorIs(t, e.svc.BindPhone(bg, "u2", phoneA, e.out.LastCode(t, phoneA)), security.ErrPhoneTaken)
		a, _ := e.store.GetAccount(bg, "u2")
		assert.Empty(t, a.Phone)
	})
	t.Run("unknown user", func(t *testing.T) {
		e := newEnv(t)
		require.ErrorIs(t, e.svc.SendPhoneCode(bg, "ghost", phoneA), security.ErrAccountNotFound)
		require.ErrorIs(t, e.svc.SendPhoneCode(bg, "", phoneA), security.ErrInvalidArgument)
	})
}

func TestCodeBruteForce(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	code := e.out.LastCode(t, phoneA)
	for range 4 {
		require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, wrongCode(code)), security.ErrInvalidCode)
	}
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, "12a456"), security.ErrTooManyAttempts, "a malformed code is a try too; the 5th voids the code")
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, code), security.ErrInvalidCode, "the right code is void too")

	// 4 wrong, then right: accepted (another phone: phoneA has 6
	// failures of its 10 a day now).
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneB))
	code = e.out.LastCode(t, phoneB)
	for range 4 {
		require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneB, wrongCode(code)), security.ErrInvalidCode)
	}
	require.NoError(t, e.svc.BindPhone(bg, "u1", phoneB, code))
}

func TestCodeNewSendVoidsPrevious(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	c1 := e.out.LastCode(t, phoneA)
	e.clock.Advance(61 * time.Second)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	c2 := e.out.LastCode(t, phoneA)
	if c1 != c2 {
		require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, c1), security.ErrInvalidCode)
	}
	require.NoError(t, e.svc.BindPhone(bg, "u1", phoneA, c2))
}

func TestCodeExpiry(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	e.clock.Advance(5*time.Minute + time.Second)
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, e.out.LastCode(t, phoneA)), security.ErrInvalidCode)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	e.clock.Advance(4*time.Minute + 59*time.Second)
	require.NoError(t, e.svc.BindPhone(bg, "u1", phoneA, e.out.LastCode(t, phoneA)))
}

func TestCodeConsumeRace(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	code := e.out.LastCode(t, phoneA)
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			if e.svc.BindPhone(bg, "u1", phoneA, code) == nil {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, int32(1), wins.Load())
	require.Equal(t, 1, e.events.Count(security.EventPhoneBound))
}

func TestCodeGuessRace(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	code := e.out.LastCode(t, phoneA)
	var wrong, voided, other atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			switch err := e.svc.BindPhone(bg, "u1", phoneA, wrongCode(code)); {
			case errors.Is(err, security.ErrTooManyAttempts):
				voided.Add(1)
			case errors.Is(err, security.ErrInvalidCode):
				wrong.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), voided.Load(), "exactly one try voids the code")
	// Only the code's tries (5) were guesses; the other 95 met no code and
	// were charged to the requester, not to the phone.
	r := e.events.Reasons(security.EventVerificationFailed)
	assert.Equal(t, 4, r["wrong_code"])
	assert.Equal(t, 1, r["voided"])
	assert.Equal(t, 95, r["expired_or_used"]+r["misses"])
	assert.Equal(t, int32(100), wrong.Load()+voided.Load()+other.Load())
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA), "5 failures do not block the phone")
}

func TestSendThrottleByDestinationIgnoresFormatting(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", "13800138000"))
	for i, variant := range []string{"+86 138 0013 8000", "+86-138-0013-8000", "008613800138000", "86 13800138000", "(+86)13800138000", "+8613800138000"} {
		err := e.svc.SendPhoneCode(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), "u1", variant)
		rl := requireRateLimited(t, err)
		assert.LessOrEqual(t, rl.RetryAfter, time.Minute)
	}
	assert.Len(t, e.out.To(phoneA), 1)
	for _, bad := range []string{"13800138000abc", "1380013800012345", "", "+999 1234", "+44 7700 900123"} {
		require.ErrorIs(t, e.svc.SendPhoneCode(bg, "u1", bad), security.ErrInvalidPhone, bad)
	}
}

func TestSendWindows(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	// 5 per hour, 61 s apart.
	for i := range 5 {
		require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA), "send %d", i)
		e.clock.Advance(61 * time.Second)
	}
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	// 10 per 24 h, 13 minutes apart from a fresh start.
	e2 := newEnv(t)
	e2.register(t, "u1", "")
	for i := range 10 {
		require.NoError(t, e2.svc.SendPhoneCode(ctxFrom(fmt.Sprint("198.51.100.", i)), "u1", phoneB), "send %d", i)
		e2.clock.Advance(13 * time.Minute)
		if i == 4 {
			e2.clock.Advance(time.Hour) // keep the hourly window clear
		}
	}
	requireRateLimited(t, e2.svc.SendPhoneCode(bg, "u1", phoneB))
}

func TestSendPerIPAndPerAccount(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.register(t, fmt.Sprint("u", i), "")
	}
	// 20 per IP per hour across destinations and accounts.
	for i := range 20 {
		user := fmt.Sprint("u", i%3)
		phone := fmt.Sprintf("+86139%08d", i)
		require.NoError(t, e.svc.SendPhoneCode(bg, user, phone), "send %d", i)
	}
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u0", "+8613700000000"))

	// 10 per account per hour across IPs.
	e2 := newEnv(t)
	e2.register(t, "u", "")
	for i := range 10 {
		require.NoError(t, e2.svc.SendPhoneCode(ctxFrom(fmt.Sprint("198.51.100.", i)), "u", fmt.Sprintf("+86139%08d", i)))
	}
	requireRateLimited(t, e2.svc.SendPhoneCode(ctxFrom("198.51.100.99"), "u", "+8613700000000"))
}

func TestDestinationFailuresBlockSending(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	// Request a code, guess 5 wrong, repeat: the budget does not reset.
	for round := range 2 {
		require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA), "round %d", round)
		for range 5 {
			require.Error(t, e.svc.BindPhone(bg, "u1", phoneA, "999999"))
		}
		e.clock.Advance(61 * time.Second)
	}
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	assert.Len(t, e.out.To(phoneA), 2)
	e.clock.Advance(counted(24 * time.Hour))
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
}

func TestSMSBudgetAndVeto(t *testing.T) {
	var vetoed []security.SendRequest
	e := newEnv(t, func(c *security.Config) {
		c.Limits.SMSBudgetPerHour = 3
		c.SendVeto = func(ctx context.Context, r security.SendRequest) error {
			if r.To == "+8613711112222" {
				vetoed = append(vetoed, r)
				return errors.New("captcha required")
			}
			return nil
		}
	})
	e.register(t, "u1", "")
	require.EqualError(t, e.svc.SendPhoneCode(bg, "u1", "13711112222"), "captcha required")
	require.Len(t, vetoed, 1)
	assert.Equal(t, testIP, vetoed[0].ClientIP)
	for i := range 3 {
		require.NoError(t, e.svc.SendPhoneCode(bg, "u1", fmt.Sprintf("+86139%08d", i)))
	}
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u1", "+8613900000009"))
	assert.Equal(t, 1, e.events.Count(security.EventSMSBudgetExhausted))
	assert.Len(t, e.out.Messages(), 3)
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", "+8613900000009", "123456"), security.ErrInvalidCode, "no usable code when the budget refused")
}

// TestBudgetRefusalVoidsItsCode: the budget is a sum over counters that no
// store gate can check, so the send that finds it spent has stored its
// code in the same call as its caps; the code is voided again, and what
// the send added to the destination and the budget taken back. Until the
// budget can have room again the replica refuses SMS sends before any
// store call, so a pending code survives and a flood costs the store
// nothing.
func TestBudgetRefusalVoidsItsCode(t *testing.T) {
	var rec *recordingStore
	s := securitytest.NewService(t,
		securitytest.WithConfig(func(c *security.Config) { c.Secret, c.Limits.SMSBudgetPerHour = testSecret, 2 }),
		securitytest.WithStore(func(m *memstore.Store) security.Store {
			rec = &recordingStore{Store: m}
			return rec
		}))
	e := &env{svc: s.Service, store: s.Store, clock: s.Clock, out: s.Outbox, events: s.Events, logs: s.Logs}
	svc := e.svc
	for _, u := range []string{"u1", "u2"} {
		require.NoError(t, svc.CreateAccount(bg, security.NewAccount{UserID: u, Password: goodPass}))
	}
	require.NoError(t, svc.SendPhoneCode(bg, "u1", phoneA))
	pending := e.out.LastCode(t, phoneA)
	require.NoError(t, svc.SendPhoneCode(bg, "u2", phoneB))
	e.clock.Advance(2 * time.Minute) // past the cooldowns
	n := len(rec.calls())
	requireRateLimited(t, svc.SendPhoneCode(bg, "u2", phoneB))
	assert.Equal(t, []string{"GetAccount", "PutCode", "DeleteCode", "Count"}, rec.calls()[n:],
		"the refused send's code is deleted and its destination caps refunded")
	n = len(rec.calls())
	for range 10 {
		requireRateLimited(t, svc.SendPhoneCode(bg, "u1", phoneA))
	}
	assert.Equal(t, []string{"GetAccount"}, rec.calls()[n:n+1])
	assert.Len(t, rec.calls(), n+10, "a spent budget refuses before any state call")
	assert.Equal(t, 11, e.events.Count(security.EventSMSBudgetExhausted))
	require.NoError(t, svc.BindPhone(bg, "u1", phoneA, pending), "the pending code survived")
	e.clock.Advance(time.Hour + 6*time.Minute) // the budget's hour, counted in twelfths
	require.NoError(t, svc.SendPhoneCode(bg, "u2", phoneB), "the budget has room again, and the refund left phoneB's cooldown unspent")
}

func TestCountryAllowList(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.AllowedCallingCodes = []string{"86", "852"} })
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", "+852 6123 4567"))
	require.ErrorIs(t, e.svc.SendPhoneCode(bg, "u1", "+44 7700 900123"), security.ErrInvalidPhone)
}

func TestDeliveryFailure(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	e.out.Fail(errors.New("provider down"))
	err := e.svc.SendPhoneCode(bg, "u1", phoneA)
	require.ErrorIs(t, err, security.ErrDeliveryFailed)
	assert.Equal(t, 1, e.events.Count(security.EventDeliveryFailed))
	e.out.Fail(nil)
	// The failed send counted against the cooldown...
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	// ...and left no usable code: the code the provider was handed fails.
	tried := attemptedCodes(e.out)
	require.Len(t, tried, 1)
	require.ErrorIs(t, e.svc.BindPhone(bg, "u1", phoneA, tried[0]), security.ErrInvalidCode)
	assert.Equal(t, 1, e.events.Count(security.EventDeliveryFailed))
}
