package security_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

type flowMark struct{}

// flowRecorder is an Observer that records what it is told and marks the
// flow's context with the flow's name.
type flowRecorder struct {
	mu         sync.Mutex
	started    []string
	ended      map[string][]string // flow -> ErrorKind of each end
	hashes     []string
	deliveries []string // channel/purpose/outcome
	bgMarked   int      // Background calls whose ctx carried a flow mark
}

func newFlowRecorder() *flowRecorder { return &flowRecorder{ended: map[string][]string{}} }

func (r *flowRecorder) observer() *security.Observer {
	return &security.Observer{
		FlowStart: func(ctx context.Context, flow string) (context.Context, func(error)) {
			r.mu.Lock()
			r.started = append(r.started, flow)
			r.mu.Unlock()
			return context.WithValue(ctx, flowMark{}, flow), func(err error) {
				r.mu.Lock()
				r.ended[flow] = append(r.ended[flow], security.ErrorKind(err))
				r.mu.Unlock()
			}
		},
		Hashed: func(_ context.Context, op string, d time.Duration) {
			r.mu.Lock()
			r.hashes = append(r.hashes, op)
			r.mu.Unlock()
		},
		Delivered: func(ctx context.Context, ch security.Channel, p security.Purpose, outcome string) {
			r.mu.Lock()
			r.deliveries = append(r.deliveries, fmt.Sprintf("%s/%s/%s/%v", ch, p, outcome, ctx.Value(flowMark{})))
			r.mu.Unlock()
		},
		Background: func(ctx context.Context) context.Context {
			flow, _ := ctx.Value(flowMark{}).(string)
			r.mu.Lock()
			if flow != "" {
				r.bgMarked++
			}
			r.mu.Unlock()
			return context.WithValue(context.Background(), flowMark{}, "bg:"+flow)
		},
	}
}

func (r *flowRecorder) snapshot() (started []string, ended map[string][]string, hashes, deliveries []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := map[string][]string{}
	for k, v := range r.ended {
		e[k] = slices.Clone(v)
	}
	return slices.Clone(r.started), e, slices.Clone(r.hashes), slices.Clone(r.deliveries)
}

// markCheckingStore fails the test when a store call arrives on a context
// the Observer did not mark: the flow must run on FlowStart's context.
type markCheckingStore struct {
	security.Store
	t *testing.T
}

func (m markCheckingStore) GetAccount(ctx context.Context, id string) (*security.Account, error) {
	if ctx.Value(flowMark{}) == nil {
		m.t.Errorf("GetAccount on a context without the observer's mark")
	}
	return m.Store.GetAccount(ctx, id)
}

func (m markCheckingStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	if ctx.Value(flowMark{}) == nil {
		m.t.Errorf("PutCode on a context without the observer's mark")
	}
	return m.Store.PutCode(ctx, now, c, gates)
}

// Every exported method of Service but Close and Stats is a flow: it opens
// exactly one, under its own name from FlowNames, and ends it. A method
// added without the prologue fails here.
func TestEveryExportedMethodIsObservedOnce(t *testing.T) {
	rec := newFlowRecorder()
	e := newEnv(t, func(c *security.Config) { c.Observer = rec.observer() })
	v := reflect.ValueOf(e.svc)
	typ := v.Type()
	ctxType := reflect.TypeFor[context.Context]()
	seen := map[string]string{}
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if m.Name == "Close" || m.Name == "Stats" {
			continue
		}
		ft := m.Type
		require.Truef(t, ft.NumIn() > 1 && ft.In(1) == ctxType, "%s: an exported method takes ctx first", m.Name)
		args := []reflect.Value{reflect.ValueOf(bg)}
		for j := 2; j < ft.NumIn(); j++ {
			args = append(args, reflect.Zero(ft.In(j))) // zero arguments: each flow refuses them early
		}
		before, _, _, _ := rec.snapshot()
		out := v.Method(i).Call(args)
		after, ended, _, _ := rec.snapshot()
		require.Lenf(t, after, len(before)+1, "%s opened %d flows", m.Name, len(after)-len(before))
		name := after[len(after)-1]
		require.NotContainsf(t, seen, name, "%s and %s share the flow name %q", m.Name, seen[name], name)
		seen[name] = m.Name
		errOut, _ := out[len(out)-1].Interface().(error)
		assert.Equalf(t, []string{security.ErrorKind(errOut)}, ended[name], "%s ended with its own error's kind", m.Name)
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	assert.ElementsMatch(t, security.FlowNames, names)
}

func TestObserverContextReachesStoreAndOutcomesAreClassified(t *testing.T) {
	rec := newFlowRecorder()
	e := newEnv(t, func(c *security.Config) { c.Observer = rec.observer() })
	// The store is wrapped after newEnv built the Service on memstore, so
	// build a second Service on the checking wrapper around the same store.
	svc, err := security.New(markCheckingStore{e.store, t}, e.out, security.Config{
		Secret: testSecret, Now: e.clock.Now, Observer: rec.observer(), MaxConcurrentHashes: 2,
	})
	require.NoError(t, err)
	require.NoError(t, svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA}))
	require.ErrorIs(t, svc.ChangePassword(bg, "u1", "not the password", goodPass2), security.ErrWrongPassword)
	require.NoError(t, svc.ChangePassword(bg, "u1", goodPass, goodPass2))
	require.NoError(t, svc.SendPhoneCode(bg, "u1", phoneB))
	e.out.Fail(errors.New("provider down"))
	e.clock.Advance(time.Hour)
	require.ErrorIs(t, svc.SendPhoneCode(bg, "u1", phoneB), security.ErrDeliveryFailed)
	e.out.Fail(nil)
	_, err = svc.StartForgotPassword(bg, phoneA)
	require.NoError(t, err)
	require.NoError(t, svc.Close(context.Background()))

	_, ended, hashes, deliveries := rec.snapshot()
	assert.Equal(t, []string{"ok"}, ended["create_account"])
	assert.Equal(t, []string{"wrong_password", "ok"}, ended["change_password"])
	assert.Equal(t, []string{"ok", "delivery_failed"}, ended["send_phone_code"])
	assert.Contains(t, hashes, "hash")
	assert.Contains(t, hashes, "check")
	// Synchronous deliveries run on the flow's context; queued ones on
	// what Background kept of it, never on the request's.
	assert.Contains(t, deliveries, "sms/bind_phone/sent/send_phone_code")
	assert.Contains(t, deliveries, "sms/bind_phone/failed/send_phone_code")
	assert.Contains(t, deliveries, "sms/forgot_password/sent/bg:forgot_password.start")
	// The notice may be delivered before or after the notifier fails.
	assert.True(t, slices.ContainsFunc(deliveries, func(d string) bool {
		return d == "sms/password_changed/sent/bg:change_password" || d == "sms/password_changed/failed/bg:change_password"
	}), "%v", deliveries)
	rec.mu.Lock()
	assert.Positive(t, rec.bgMarked)
	rec.mu.Unlock()
}

func TestDeliveredThrottledWhenSMSBudgetIsSpent(t *testing.T) {
	rec := newFlowRecorder()
	e := newEnv(t, func(c *security.Config) {
		c.Observer = rec.observer()
		c.Limits.SMSBudgetPerHour = 1
	})
	e.register(t, "u1", "")
	e.register(t, "u2", "")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "u2", phoneB))
	_, ended, _, deliveries := rec.snapshot()
	// The budget is spent when a send is accepted: a send that finds it
	// spent is refused before any delivery.
	assert.Equal(t, []string{"sms/bind_phone/sent/send_phone_code"}, deliveries)
	assert.Equal(t, []string{"ok", "rate_limited"}, ended["send_phone_code"])
	st := e.svc.Stats()
	assert.Equal(t, 1, st.SMSBudgetPerHour)
}

func TestErrorKind(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{fmt.Errorf("security: ctx: %w", security.ErrInvalidCode), "invalid_code"},
		{&security.RateLimitError{RetryAfter: time.Second}, "rate_limited"},
		{&security.LockedError{}, "locked"},
		{&security.PolicyError{Reason: "common", Err: security.ErrWeakPassword}, "weak_password"},
		{&security.PolicyError{Reason: "sequence", Err: security.ErrWeakPayPassword}, "weak_pay_password"},
		// ErrBusy wraps the context's error: busy wins.
		{fmt.Errorf("%w: %w", security.ErrBusy, context.DeadlineExceeded), "busy"},
		{fmt.Errorf("%w: %w", security.ErrDeliveryFailed, context.Canceled), "delivery_failed"},
		{context.DeadlineExceeded, "deadline_exceeded"},
		{security.ErrTooManyAttempts, "too_many_attempts"},
		{security.ErrPhoneTaken, "phone_taken"},
		{security.ErrAccountExists, "account_exists"},
		{fmt.Errorf("%w: user required", security.ErrInvalidArgument), "invalid_argument"},
		// Store failures and unknown errors are internal, whatever they say.
		{fmt.Errorf("security: store: %w", security.ErrConflict), "internal"},
		{errors.New("dial tcp 10.0.0.1:5432: user alice@example.com"), "internal"},
	}
	for _, c := range cases {
		assert.Equalf(t, c.want, security.ErrorKind(c.err), "%v", c.err)
	}
	// Every sentinel a flow returns has a key of its own kind.
	sentinels := []error{
		security.ErrInvalidArgument, security.ErrInvalidPhone, security.ErrInvalidEmail, security.ErrInvalidCode,
		security.ErrTooManyAttempts, security.ErrAccountNotFound, security.ErrWrongPassword, security.ErrWrongPayPassword,
		security.ErrPhoneMismatch, security.ErrPhoneProofRequired, security.ErrSignInRequired, security.ErrSendRefused,
		security.ErrNoPhone, security.ErrFlowRequired, security.ErrPhoneTaken, security.ErrEmailTaken,
		security.ErrPayPasswordSet, security.ErrPayPasswordNotSet, security.ErrWeakPassword, security.ErrWeakPayPassword,
		security.ErrLocked, security.ErrRateLimited, security.ErrDeliveryFailed, security.ErrBusy, security.ErrClosed,
		security.ErrAccountExists,
	}
	keys := map[string]error{}
	for _, s := range sentinels {
		k := security.ErrorKind(s)
		require.NotEqualf(t, "internal", k, "%v", s)
		require.NotContainsf(t, keys, k, "%v and %v share %q", s, keys[k], k)
		keys[k] = s
	}
}

func TestChainEvents(t *testing.T) {
	assert.Nil(t, security.ChainEvents(nil, nil))
	var got []string
	first := func(_ context.Context, e security.Event) { got = append(got, "first:"+string(e.Type)) }
	second := func(_ context.Context, e security.Event) { got = append(got, "second:"+string(e.Type)) }
	security.ChainEvents(first, nil, second)(context.Background(), security.Event{Type: security.EventCodeSent})
	assert.Equal(t, []string{"first:code_sent", "second:code_sent"}, got)
}
