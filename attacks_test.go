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
	assert.Len(t, e.out.to(phoneA), 1, "exactly one SMS, whoever asked")
}

func TestPublicEmailSendSameStoreWork(t *testing.T) {
	for _, addr := range []string{"known@example.com", "unknown@example.com"} {
		t.Run(addr, func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Email: "known@example.com"}))
			rec := &recordingStore{Store: e.store}
			svc, err := security.New(rec, e.out, security.Config{Secret: testSecret, Now: e.clock.Now, LinkBaseURL: "https://x.example/v"})
			require.NoError(t, err)
			require.NoError(t, svc.SendEmailVerification(bg, "", addr))
			require.NoError(t, svc.Close(bg))
			want := []string{"AccountByEmail", "Allow", "AttemptStatus", "Allow", "PutCode", "PutTicket"}
			require.Equal(t, want, rec.calls(), "email has no SMS budget: the background work adds no store call")
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
	code := e.out.lastCode(t, phoneA)
	e.bindPhone(t, "u1", phoneB)
	require.ErrorIs(t, e.svc.VerifyForgotPassword(bg, h, code), security.ErrFlowRequired)
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

func (f *failingStore) PutCode(ctx context.Context, c security.Code) error {
	if f.failing("PutCode") {
		return errStoreDown
	}
	return f.Store.PutCode(ctx, c)
}

func TestStoreFailureLeavesNothingHalfApplied(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	out := &outbox{sent: make(chan struct{}, 64)}
	fs := &failingStore{Store: memstore.New(memstore.WithSweepInterval(0)), fail: map[string]bool{}}
	svc, err := security.New(fs, out, security.Config{Secret: testSecret, Now: clk.Now})
	require.NoError(t, err)
	defer svc.Close(bg)
	require.NoError(t, svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA}))
	require.NoError(t, svc.SetPayPassword(bg, "u1", pin1))

	fs.set("UpdateAccount", true)
	err = svc.ChangePassword(bg, "u1", goodPass, goodPass2)
	require.ErrorIs(t, err, errStoreDown, "the cause stays in the chain for the host's logs")
	require.NoError(t, svc.SendPhoneCode(bg, "u1", phoneB))
	err = svc.BindPhone(bg, "u1", phoneB, out.lastCode(t, phoneB))
	require.ErrorIs(t, err, errStoreDown)
	require.Error(t, svc.UpdatePayPassword(bg, "u1", pin1, pin2))
	fs.set("UpdateAccount", false)

	require.NoError(t, svc.VerifyPassword(bg, "u1", goodPass), "the old password still works")
	require.NoError(t, svc.VerifyPayPassword(bg, "u1", pin1), "the old PIN still works")
	a, _ := fs.GetAccount(bg, "u1")
	assert.Equal(t, phoneA, a.Phone, "the old phone is still bound")

	// A code that could not be stored is never sent.
	fs.set("PutCode", true)
	clk.Advance(time.Hour)
	n := len(out.all())
	require.ErrorIs(t, svc.SendPhoneCode(bg, "u1", "+8613700000009"), errStoreDown)
	assert.Len(t, out.all(), n)
}
