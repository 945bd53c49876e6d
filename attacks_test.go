package security_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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

func TestConcurrentSendsToOnePhoneSendOne(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.Limits.SendsPerIPHour = 1000; c.Limits.SendsPerAccountHour = 100 })
	for i := range 50 {
		e.register(t, fmt.Sprint("u", i), "")
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			if e.svc.SendPhoneCode(ctxFrom(fmt.Sprint("198.51.100.", i)), fmt.Sprint("u", i), phoneA) == nil {
				ok.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load())
	assert.Len(t, e.out.To(phoneA), 1, "exactly one SMS, whoever asked")
}

func TestPublicEmailSendSameStoreWork(t *testing.T) {
	for _, addr := range []string{"known@example.com", "unknown@example.com"} {
		t.Run(addr, func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Email: "known@example.com"}))
			rec := &recordingStore{Store: e.store}
			svc, err := security.New(rec, e.out, security.Config{Secret: testSecret, Now: e.clock.Now, LinkBaseURL: "https://x.example/v"})
			require.NoError(t, err)
			require.NoError(t, svc.SendPublicEmailVerification(bg, addr))
			require.NoError(t, svc.Close(bg))
			want := []string{"AccountByEmail", "PutCode"} // the link is put with its code
			require.Equal(t, want, rec.calls(), "the background work adds no store call")
		})
	}
}

func TestFullQueueAnswersAlikeForKnownAndUnknown(t *testing.T) {
	block := make(chan struct{})
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	// A notifier that blocks the only worker.
	held := make(chan struct{}, 1)
	blocking := security.NotifierFunc(func(ctx context.Context, m security.Message) error {
		held <- struct{}{}
		<-block
		return nil
	})
	svc, err := security.New(e.store, blocking, security.Config{Secret: testSecret, Now: e.clock.Now, QueueSize: 1, Workers: 1})
	require.NoError(t, err)
	defer func() { close(block); _ = svc.Close(bg) }()
	_, err = svc.StartForgotPassword(ctxFrom("198.51.100.1"), phoneA) // taken by the worker, which blocks
	require.NoError(t, err)
	<-held
	_, err = svc.StartForgotPassword(ctxFrom("198.51.100.2"), "+8613700000001") // fills the queue
	require.NoError(t, err)
	e.register(t, "u2", "+8613700000003")
	_, errKnown := svc.StartForgotPassword(ctxFrom("198.51.100.3"), "+8613700000003")
	_, errUnknown := svc.StartForgotPassword(ctxFrom("198.51.100.4"), "+8613700000002")
	require.ErrorIs(t, errKnown, security.ErrBusy)
	require.ErrorIs(t, errUnknown, security.ErrBusy)
	assert.Equal(t, errKnown.Error(), errUnknown.Error())
}

func TestRebindingEndsForgotFlowsOfTheOldPhone(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	h := e.forgotStarted(t, phoneA)
	code := e.out.LastCode(t, phoneA)
	e.changePhone(t, "u1", phoneB)
	require.ErrorIs(t, e.verifyErr(t, h, code), security.ErrFlowRequired)
}

// failingStore fails the named method with errStoreDown.
type failingStore struct {
	security.Store
	mu   sync.Mutex
	fail map[string]bool
}

var errStoreDown = errors.New("store: connection refused (driver detail)")

func (f *failingStore) set(method string, on bool) {
	f.mu.Lock()
	f.fail[method] = on
	f.mu.Unlock()
}

func (f *failingStore) failing(method string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[method]
}

func (f *failingStore) UpdateAccount(ctx context.Context, a *security.Account) error {
	if f.failing("UpdateAccount") {
		return errStoreDown
	}
	return f.Store.UpdateAccount(ctx, a)
}

func (f *failingStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	if f.failing("PutCode") {
		return false, nil, errStoreDown
	}
	return f.Store.PutCode(ctx, now, c, gates)
}

func TestStoreFailureLeavesNothingHalfApplied(t *testing.T) {
	clk := securitytest.NewClock(time.Now().UTC())
	out := &securitytest.Outbox{}
	fs := &failingStore{Store: memstore.New(memstore.WithSweepInterval(0)), fail: map[string]bool{}}
	svc, err := security.New(fs, out, security.Config{Secret: testSecret, Now: clk.Now})
	require.NoError(t, err)
	defer svc.Close(bg)
	require.NoError(t, svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA}))
	require.NoError(t, svc.SetPayPassword(bg, "u1", pin1))

	fs.set("UpdateAccount", true)
	err = svc.ChangePassword(bg, "u1", goodPass, goodPass2)
	require.ErrorIs(t, err, errStoreDown, "the cause stays in the chain for the host's logs")
	require.NoError(t, svc.SendPhoneCode(bg, "u1", phoneA))
	require.NoError(t, svc.SendPhoneCode(bg, "u1", phoneB))
	err = svc.ChangePhone(bg, security.ChangePhoneRequest{UserID: "u1", NewPhone: phoneB, NewPhoneCode: out.LastCode(t, phoneB), CurrentPhoneCode: out.LastCode(t, phoneA)})
	require.ErrorIs(t, err, errStoreDown)
	require.Error(t, svc.ChangePayPassword(bg, "u1", pin1, pin2))
	fs.set("UpdateAccount", false)

	require.NoError(t, svc.VerifyPassword(bg, "u1", goodPass), "the old password still works")
	require.NoError(t, svc.VerifyPayPassword(bg, "u1", pin1), "the old PIN still works")
	a, _ := fs.GetAccount(bg, "u1")
	assert.Equal(t, phoneA, a.Phone, "the old phone is still bound")

	// A forgot-password step 2 whose write fails gives the flow back: the
	// old password still works, and the same handle finishes the flow.
	handle, err := svc.StartForgotPassword(bg, phoneA)
	require.NoError(t, err)
	forgot, err := out.WaitFunc(t.Context(), 1, func(m security.Message) bool { return m.Purpose == security.PurposeForgotPassword })
	require.NoError(t, err)
	verified, err := svc.VerifyForgotPassword(bg, handle, forgot[0].Code)
	require.NoError(t, err)
	fs.set("UpdateAccount", true)
	require.ErrorIs(t, svc.CompleteForgotPassword(bg, verified, phoneA, goodPass2), errStoreDown)
	fs.set("UpdateAccount", false)
	require.NoError(t, svc.VerifyPassword(bg, "u1", goodPass))
	require.NoError(t, svc.CompleteForgotPassword(bg, verified, phoneA, goodPass2))
	require.NoError(t, svc.VerifyPassword(bg, "u1", goodPass2))

	// A code that could not be stored is never sent.
	fs.set("PutCode", true)
	clk.Advance(time.Hour)
	n := len(out.Messages())
	require.ErrorIs(t, svc.SendPhoneCode(bg, "u1", "+8613700000009"), errStoreDown)
	assert.Len(t, out.Messages(), n)
}

func TestIPv6ThrottleCountsTheWhole64(t *testing.T) {
	e := newEnv(t)
	for i := range 21 {
		ip := fmt.Sprintf("2001:db8:1:2::%x", i+1)
		_, err := e.svc.StartForgotPassword(ctxFrom(ip), fmt.Sprintf("+86139%08d", i))
		if i < 20 {
			require.NoError(t, err, "send %d", i)
			continue
		}
		requireRateLimited(t, err)
	}
	_, err := e.svc.StartForgotPassword(ctxFrom("2001:db8:1:3::1"), "+8613700000000")
	require.NoError(t, err, "the next /64 has its own bucket")
	_, err = e.svc.StartForgotPassword(ctxFrom("::ffff:198.51.100.9"), "+8613700000001")
	require.NoError(t, err, "IPv4-mapped addresses count as IPv4")
}

func TestNoticesCannotSpendTheCodeBudget(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.Limits.SMSBudgetPerHour = 2 })
	e.register(t, "u1", phoneA)
	pw := []string{goodPass, goodPass2, "third good password", "fourth good password"}
	for i := range 3 {
		require.NoError(t, e.svc.ChangePassword(bg, "u1", pw[i], pw[i+1]))
	}
	e.drain(t)
	assert.Equal(t, 2, e.out.Count(phoneA, security.PurposePasswordChanged), "the notice budget is spent...")
	assert.Equal(t, 1, e.events.Count(security.EventSMSBudgetExhausted))

	e2 := newEnv(t, func(c *security.Config) { c.Limits.SMSBudgetPerHour = 2 })
	e2.register(t, "u1", phoneA)
	e2.register(t, "u2", "")
	for i := range 3 {
		require.NoError(t, e2.svc.ChangePassword(bg, "u1", pw[i], pw[i+1]))
	}
	require.NoError(t, e2.svc.SendPhoneCode(bg, "u2", phoneB), "...but codes have their own")
}

func TestNoticesAreCappedPerAccount(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.Limits.SendsPerAccountHour = 2 })
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	pins := []string{pin1, pin2, "802461", "913572"}
	for i := range 3 {
		require.NoError(t, e.svc.ChangePayPassword(bg, "u1", pins[i], pins[i+1]))
	}
	e.drain(t)
	assert.Equal(t, 2, len(e.out.To(phoneA)), "4 notices, 2 sent")
	dropped := 0
	for _, ev := range e.events.All() {
		if ev.Type == security.EventDeliveryFailed && ev.Reason == "notice_throttled" {
			dropped++
		}
	}
	assert.Equal(t, 2, dropped, "every dropped notice is reported")
}

func TestUnlock(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	for range 5 {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", "wrong password"), security.ErrWrongPassword)
		require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	}
	requireLocked(t, e.svc.VerifyPassword(bg, "u1", goodPass))
	requireLocked(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
	require.NoError(t, e.svc.Unlock(bg, "u1"))
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass))
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", pin1))
	assert.Equal(t, 1, e.events.Count(security.EventUnlocked))

	// A destination blocked by failed verifications.
	e.register(t, "u2", "")
	for round := range 2 {
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendPhoneCode(bg, "u2", phoneB), "round %d", round)
		for range 5 {
			require.Error(t, e.svc.BindPhone(bg, "u2", phoneB, "999999"))
		}
	}
	e.clock.Advance(time.Minute)
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u2", phoneB))
	require.NoError(t, e.svc.UnblockDestination(bg, "u2", "139 0013 9000"))
	require.NoError(t, e.svc.SendPhoneCode(bg, "u2", phoneB))
	require.ErrorIs(t, e.svc.UnblockDestination(bg, "u2", "not a phone"), security.ErrInvalidPhone)
}

func TestMessageHidesItsSecretsFromFormatting(t *testing.T) {
	m := security.Message{Channel: security.ChannelSMS, To: phoneA, Purpose: security.PurposeBindPhone, Code: "482913",
		Link: "https://x.example/v?token=SECRETTOKEN"}
	var b strings.Builder
	logger := slog.New(slog.NewJSONHandler(&b, nil))
	logger.Info("sending", "message", m)
	for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%v %+v %s %#v", m, m, m, m), b.String()} {
		assert.NotContains(t, s, "482913")
		assert.NotContains(t, s, "SECRETTOKEN")
		assert.NotContains(t, s, phoneA)
	}
}

func TestSendVetoRefusal(t *testing.T) {
	e := newEnv(t, func(c *security.Config) {
		c.SendVeto = func(context.Context, security.SendRequest) error {
			return fmt.Errorf("solve the captcha: %w", security.ErrSendRefused)
		}
	})
	e.register(t, "u1", "")
	require.ErrorIs(t, e.svc.SendPhoneCode(bg, "u1", phoneA), security.ErrSendRefused)
	assert.Empty(t, e.out.Messages())
}

func TestSMSBudgetWarningAt80Percent(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.Limits.SMSBudgetPerHour = 10 })
	e.register(t, "u1", "")
	warnings := func() int { return e.events.Count(security.EventSMSBudgetWarning) }
	for i := range 10 {
		e.clock.Advance(time.Second)
		require.NoError(t, e.svc.SendPhoneCode(ctxFrom(fmt.Sprint("198.51.100.", i)), "u1", fmt.Sprintf("+86139%08d", i)))
		switch {
		case i < 7:
			require.Zero(t, warnings(), "send %d: below 80%%", i+1)
		default:
			require.Equal(t, i-6, warnings(), "send %d: at or above 80%%, every send warns", i+1)
		}
	}
	e.register(t, "u2", "") // u1 has spent its 10 sends of the hour
	requireRateLimited(t, e.svc.SendPhoneCode(ctxFrom("198.51.100.99"), "u2", "+8613700000000"))
	assert.Equal(t, 1, e.events.Count(security.EventSMSBudgetExhausted))
}

func TestNoClientIPMeansNoSharedIPBucket(t *testing.T) {
	e := newEnv(t)
	noIP := context.Background() // a Go API caller that set no Client
	for i := range 3 {
		e.register(t, fmt.Sprint("n", i), "")
	}
	for i := range 25 {
		require.NoError(t, e.svc.SendPhoneCode(noIP, fmt.Sprint("n", i%3), fmt.Sprintf("+86139%08d", i)),
			"send %d: no per-IP bucket shared by every caller without an IP", i)
	}
}
