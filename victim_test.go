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
)

// The tests of this file show that an attacker's action costs the
// attacker, never the victim (issue 8).

// keyCountingStore counts the distinct keys that writes created, so a test
// can show a request left no state behind.
type keyCountingStore struct {
	security.Store
	mu   sync.Mutex
	keys map[string]bool
}

func (k *keyCountingStore) note(key string) {
	k.mu.Lock()
	if k.keys == nil {
		k.keys = map[string]bool{}
	}
	k.keys[key] = true
	k.mu.Unlock()
}

func (k *keyCountingStore) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

func (k *keyCountingStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	k.note("code " + c.Scope)
	if c.Ticket != nil {
		k.note("ticket " + c.Ticket.ID)
	}
	return k.Store.PutCode(ctx, now, c, gates)
}

func (k *keyCountingStore) PutTicket(ctx context.Context, t security.Ticket) error {
	k.note("ticket " + t.ID)
	return k.Store.PutTicket(ctx, t)
}

func (k *keyCountingStore) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	for _, h := range hits {
		if h.Add > 0 {
			k.note("counter " + h.Key)
		}
	}
	return k.Store.Count(ctx, now, hits)
}

func (k *keyCountingStore) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	res, tallies, err := k.Store.VerifyCode(ctx, now, c)
	if res == security.CodeMatched && c.OnMatch != nil {
		k.note("ticket " + c.OnMatch.ID)
	}
	for i, t := range tallies {
		if t.Applied && c.Failures[i].Add > 0 {
			k.note("counter " + c.Failures[i].Key)
		}
	}
	return res, tallies, err
}

// TestWrongCodesWithoutACodeBlockNobody: guesses at a phone or an address
// that was sent no code are not failures of that destination. Today's bug:
// ten of them blocked the owner's sends and verifications for a day.
func TestWrongCodesWithoutACodeBlockNobody(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", phoneA)
	e.register(t, "mallory", "")
	for range 40 {
		err := e.svc.BindPhone(bg, "mallory", phoneA, "123456")
		if !errors.Is(err, security.ErrInvalidCode) {
			requireRateLimited(t, err) // mallory's own miss budget
		}
	}
	for i := range 40 {
		err := e.svc.VerifyPublicEmailCode(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), "alice@example.com", "123456")
		require.ErrorIs(t, err, security.ErrInvalidCode)
	}
	// The owner is untouched: a code to the bound phone, and its use.
	require.NoError(t, e.svc.SendPhoneCode(bg, "alice", phoneA))
	require.NoError(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "alice", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPIN: "024680"}))
	// And strangers too: a code to the phone for someone else binding it.
	e.register(t, "bob", "")
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "bob", phoneA))
	// The miss budget is the requester's: mallory is refused, bob is not.
	requireRateLimited(t, e.svc.BindPhone(bg, "mallory", phoneA, "123456"))
	require.ErrorIs(t, e.svc.BindPhone(bg, "bob", phoneA, wrongCode(e.out.LastCode(t, phoneA))), security.ErrInvalidCode)
}

// TestRacingRightCodesLeaveNoFailures: the losers of a race of right
// answers met no code; they are not failures, so a later typo by the owner
// does not reach the block.
func TestRacingRightCodesLeaveNoFailures(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.Limits.DestinationFailures = 2 })
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	code := e.out.LastCode(t, phoneA)
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 30 {
		wg.Go(func() {
			<-start
			if e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: code, NewPIN: "024680"}) == nil {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, int32(1), wins.Load())
	assert.Zero(t, e.events.Reasons(security.EventVerificationFailed)["wrong_code"])
	// One typo: still far from the block (2 here).
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	code = e.out.LastCode(t, phoneA)
	require.ErrorIs(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: wrongCode(code), NewPIN: "502817"}), security.ErrInvalidCode)
	require.NoError(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "u1", Phone: phoneA, PhoneCode: code, NewPIN: "502817"}))
}

// TestStrangersFailuresNeverBlockTheOwner: wrong guesses at a live code
// count for the requester and for strangers together. Mallory, guessing at
// codes sent to Alice's phone, blocks herself and other strangers for the
// window; Alice keeps her codes.
func TestStrangersFailuresNeverBlockTheOwner(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", phoneA)
	e.register(t, "mallory", "")
	e.register(t, "bob", "")
	for round := range 2 {
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendPhoneCode(bg, "mallory", phoneA), "round %d", round)
		code := e.out.LastCode(t, phoneA)
		for range 5 {
			require.Error(t, e.svc.BindPhone(bg, "mallory", phoneA, wrongCode(code)))
		}
	}
	e.clock.Advance(time.Minute)
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "mallory", phoneA))
	requireRateLimited(t, e.svc.BindPhone(bg, "mallory", phoneA, "123456"))
	require.NoError(t, e.svc.SendPhoneCode(bg, "alice", phoneA), "the owner's code")
	require.NoError(t, e.svc.ResetPayPassword(bg, security.ResetPayPasswordRequest{UserID: "alice", Phone: phoneA, PhoneCode: e.out.LastCode(t, phoneA), NewPIN: "024680"}))
	// Strangers together are held to DestinationFailures a day, which bounds
	// brute force; the owner is not.
	e.clock.Advance(time.Minute)
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "bob", phoneA))
	require.NoError(t, e.svc.UnblockDestination(bg, "bob", phoneA))
	require.NoError(t, e.svc.SendPhoneCode(bg, "bob", phoneA), "an administrator lifts the strangers' block")
	requireRateLimited(t, e.svc.SendPhoneCode(bg, "mallory", phoneA)) // mallory's own block stays
	// The block is for the window.
	e.clock.Advance(counted(24 * time.Hour))
	require.NoError(t, e.svc.SendPhoneCode(bg, "mallory", phoneA))
}

// TestOwnerSendsHaveTheirOwnBudget: anonymous forgot-password starts spend
// the phone's budget for everyone else; the owner, signed in or on a known
// device, still gets codes.
func TestOwnerSendsHaveTheirOwnBudget(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", phoneA)
	tok, err := e.svc.SignIn(bg, "alice", goodPass)
	require.NoError(t, err)
	require.NotEmpty(t, tok)
	sent := 0
	for i := range 30 {
		e.clock.Advance(time.Minute)
		_, err := e.svc.StartForgotPassword(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), phoneA)
		if err == nil {
			sent++
			continue
		}
		requireRateLimited(t, err)
	}
	assert.Equal(t, security.DefaultLimits().SendsPerHour, sent, "strangers spend only their budget")
	e.clock.Advance(time.Minute)
	_, err = e.svc.StartForgotPassword(ctxFrom("198.51.100.200"), phoneA)
	requireRateLimited(t, err)
	e.waitFor(t, phoneA, sent) // the strangers' codes, delivered in the background
	// From Alice's known device, the start goes through.
	dev := security.WithClient(context.Background(), security.Client{IP: "192.0.2.1", DeviceToken: tok})
	handle, err := e.svc.StartForgotPassword(dev, phoneA)
	require.NoError(t, err)
	e.waitFor(t, phoneA, sent+1)
	_, err = e.svc.VerifyForgotPassword(dev, handle, e.out.LastCode(t, phoneA))
	require.NoError(t, err)
	// And signed in.
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendPhoneCode(bg, "alice", phoneA))
	// A token of another user, or a forged one, is a stranger's.
	e.register(t, "bob", phoneB)
	bobTok, err := e.svc.SignIn(bg, "bob", goodPass)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	for _, bad := range []string{bobTok, tok[:len(tok)-2] + "AA", "d1.garbage", ""} {
		c := security.WithClient(context.Background(), security.Client{IP: "192.0.2.2", DeviceToken: bad})
		_, err := e.svc.StartForgotPassword(c, phoneA)
		requireRateLimited(t, err)
	}
}

// TestPasswordLockoutSparesKnownDevices: 100 wrong passwords from unknown
// clients lock unknown clients until a reset; the owner's known device signs
// in all the same, and its own failures lock only itself.
func TestPasswordLockoutSparesKnownDevices(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t)
	e.register(t, "alice", phoneA)
	tok, err := e.svc.SignIn(bg, "alice", goodPass)
	require.NoError(t, err)
	dev := security.WithClient(context.Background(), security.Client{IP: "192.0.2.1", DeviceToken: tok})
	for range 100 {
		e.clock.Advance(16 * time.Minute)
		err := e.svc.VerifyPassword(bg, "alice", "wrong password")
		if !errors.Is(err, security.ErrWrongPassword) {
			requireLocked(t, err)
		}
	}
	e.clock.Advance(time.Hour)
	le := requireLocked(t, e.svc.VerifyPassword(bg, "alice", goodPass))
	assert.True(t, le.Until.IsZero(), "unknown clients are locked until a reset")
	require.NoError(t, e.svc.VerifyPassword(dev, "alice", goodPass), "the known device is not")
	newTok, err := e.svc.SignIn(dev, "alice", goodPass)
	require.NoError(t, err)
	assert.NotEqual(t, tok, newTok, "a fresh token at each sign-in")

	// The device's own allowance: 5 in a row lock it for 15 minutes.
	for range 5 {
		require.ErrorIs(t, e.svc.VerifyPassword(dev, "alice", "wrong password"), security.ErrWrongPassword)
	}
	requireLocked(t, e.svc.VerifyPassword(dev, "alice", goodPass))
	other := security.WithClient(context.Background(), security.Client{IP: "192.0.2.9", DeviceToken: newTok})
	require.NoError(t, e.svc.VerifyPassword(other, "alice", goodPass), "another device of the owner is not locked")
	e.clock.Advance(counted(15 * time.Minute))
	require.NoError(t, e.svc.VerifyPassword(dev, "alice", goodPass))

	// A token expires.
	e.clock.Advance(security.DefaultLimits().DeviceTokenTTL + time.Hour)
	requireLocked(t, e.svc.VerifyPassword(dev, "alice", goodPass))
}

// TestResetUnlocksEveryDevice: a password's failure counters belong to
// that password, so a reset lifts the locks of every known device and of
// unknown clients at once, not only those of the device it came from.
func TestResetUnlocksEveryDevice(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t)
	e.register(t, "alice", phoneA)
	var devs []context.Context
	for i := range 2 {
		tok, err := e.svc.SignIn(bg, "alice", goodPass)
		require.NoError(t, err)
		devs = append(devs, security.WithClient(context.Background(), security.Client{IP: fmt.Sprintf("192.0.2.%d", i+1), DeviceToken: tok}))
	}
	for _, ctx := range append(devs, bg) {
		for range 5 {
			require.ErrorIs(t, e.svc.VerifyPassword(ctx, "alice", "wrong password"), security.ErrWrongPassword)
		}
		requireLocked(t, e.svc.VerifyPassword(ctx, "alice", goodPass))
	}
	handle := e.forgotVerified(t, phoneA)
	require.NoError(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, goodPass2))
	for i, ctx := range append(devs, bg) {
		require.NoError(t, e.svc.VerifyPassword(ctx, "alice", goodPass2), "client %d", i)
	}
	// The old password's failures are not the new one's: four more wrong
	// tries leave it open, the fifth locks.
	for range 4 {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "alice", "wrong password"), security.ErrWrongPassword)
	}
	require.NoError(t, e.svc.VerifyPassword(bg, "alice", goodPass2))
}

// TestConcurrentRightPasswordsNeverLock: with more hashing slots than the
// lockout allows failures, simultaneous right passwords all succeed (before,
// 8 gave 5 successes and 3 LockedError).
func TestConcurrentRightPasswordsNeverLock(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.MaxConcurrentHashes = 8 })
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", "024680"))
	var fails atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			<-start
			if err := e.svc.VerifyPassword(bg, "u1", goodPass); err != nil {
				fails.Add(1)
				t.Log(err)
			}
			if err := e.svc.VerifyPayPassword(bg, "u1", "024680"); err != nil {
				fails.Add(1)
				t.Log(err)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Zero(t, fails.Load())
}

// TestAnonymousMissesCreateNoState: verifications that meet no code leave
// no per-destination state, and the one counter they move is per client
// IP, so a flood from one client cannot fill the store.
func TestAnonymousMissesCreateNoState(t *testing.T) {
	e := newEnv(t)
	ks := &keyCountingStore{Store: e.store}
	svc, err := security.New(ks, e.out, security.Config{Secret: testSecret, Now: e.clock.Now,
		LinkBaseURL: "https://accounts.example.com/verify"})
	require.NoError(t, err)
	for i := range 500 {
		err := svc.VerifyPublicEmailCode(bg, fmt.Sprintf("victim%d@example.com", i), "123456")
		if !errors.Is(err, security.ErrInvalidCode) {
			requireRateLimited(t, err)
		}
	}
	assert.Equal(t, 1, ks.count(), "one miss counter for the client, nothing per address")
}

// TestUnverifiedEmailReservesNothing: an attacker who put a victim's address
// on their own account, unverified, cannot keep it: the owner proving the
// address takes it, and the claim is dropped with an event.
func TestUnverifiedEmailReservesNothing(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "mallory", Password: goodPass, Email: "alice@example.com"}))
	e.register(t, "alice", "")
	require.NoError(t, e.svc.SendEmailVerification(bg, "alice", "alice@example.com"))
	require.NoError(t, e.svc.VerifyEmailCode(bg, "alice", "alice@example.com", e.out.LastCode(t, "alice@example.com")))
	st, err := e.svc.Status(bg, "alice")
	require.NoError(t, err)
	assert.True(t, st.EmailVerified)
	st, err = e.svc.Status(bg, "mallory")
	require.NoError(t, err)
	assert.Empty(t, st.Email)
	assert.Equal(t, 1, e.events.Count(security.EventEmailClaimDropped))
	// A verified address stays taken.
	e.register(t, "carol", "")
	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.SendEmailVerification(bg, "carol", "alice@example.com"))
	require.ErrorIs(t, e.svc.VerifyEmailCode(bg, "carol", "alice@example.com", e.out.LastCode(t, "alice@example.com")), security.ErrEmailTaken)
}

// TestEmailCodeWorksSignedInOrOut: a code sent by the public route works
// for its account's user signed in, and a code asked for signed in works
// signed out once the address is on the account.
func TestEmailCodeWorksSignedInOrOut(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "alice", Password: goodPass, Email: "alice@example.com"}))
	require.NoError(t, e.svc.SendPublicEmailVerification(bg, "Alice@Example.com"))
	e.waitFor(t, "alice@example.com", 1)
	require.NoError(t, e.svc.VerifyEmailCode(bg, "alice", "alice@example.com", e.out.LastCode(t, "alice@example.com")))

	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "bob", Password: goodPass, Email: "bob@example.com"}))
	require.NoError(t, e.svc.SendEmailVerification(bg, "bob", "bob@example.com"))
	require.NoError(t, e.svc.VerifyPublicEmailCode(bg, "bob@example.com", e.out.LastCode(t, "bob@example.com")))
	st, err := e.svc.Status(bg, "bob")
	require.NoError(t, err)
	assert.True(t, st.EmailVerified)
}

// TestClientIPForms: host:port counts as its host, and anything that is not
// an address fails loudly instead of silently disabling the per-IP limit.
func TestClientIPForms(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.Limits.SendsPerIPHour = 1 })
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendPhoneCode(ctxFrom("192.0.2.10:51234"), "u1", phoneA))
	requireRateLimited(t, e.svc.SendPhoneCode(ctxFrom("192.0.2.10"), "u1", phoneB))
	requireRateLimited(t, e.svc.SendPhoneCode(ctxFrom("[::ffff:192.0.2.10]:443"), "u1", phoneB))
	err := e.svc.SendPhoneCode(ctxFrom("not-an-ip"), "u1", phoneB)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Client.IP")
	_, err = e.svc.StartForgotPassword(ctxFrom("10.0.0.1/8"), phoneA)
	require.Error(t, err)
}

type captchaOK struct{}

// TestVetoedSendsSpendNoDestinationBudget: sends the host's veto refuses
// (no captcha) cannot use up a victim's phone budget.
func TestVetoedSendsSpendNoDestinationBudget(t *testing.T) {
	e := newEnv(t, func(c *security.Config) {
		c.SendVeto = func(ctx context.Context, _ security.SendRequest) error {
			if ctx.Value(captchaOK{}) == nil {
				return fmt.Errorf("captcha required: %w", security.ErrSendRefused)
			}
			return nil
		}
	})
	e.register(t, "alice", phoneA)
	for i := range 30 {
		_, err := e.svc.StartForgotPassword(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), phoneA)
		require.ErrorIs(t, err, security.ErrSendRefused)
	}
	ok := context.WithValue(ctxFrom("192.0.2.1"), captchaOK{}, true)
	_, err := e.svc.StartForgotPassword(ok, phoneA)
	require.NoError(t, err)
}

// TestRefusedSendsSpendNoDestinationBudget: a send refused by its own
// client's cap takes back what it added to the destination's caps and the
// SMS budget in the same batch, so a client past its cap cannot flood a
// victim's phone into its cooldown or spend the global budget; its own
// cap stays spent.
func TestRefusedSendsSpendNoDestinationBudget(t *testing.T) {
	e := newEnv(t, func(c *security.Config) {
		c.Limits.SendsPerIPHour = 1
		c.Limits.SMSBudgetPerHour = 4
	})
	e.register(t, "alice", phoneA)
	// Alice's own flow, pending while mallory is refused.
	flow, err := e.svc.StartForgotPassword(ctxFrom("192.0.2.43"), phoneA)
	require.NoError(t, err)
	e.waitFor(t, phoneA, 1)
	code := e.out.LastCode(t, phoneA)
	mallory := ctxFrom("198.51.100.7")
	_, err = e.svc.StartForgotPassword(mallory, phoneB) // spends mallory's one send
	require.NoError(t, err)
	for range 20 {
		_, err := e.svc.StartForgotPassword(mallory, phoneA)
		requireRateLimited(t, err)
	}
	assert.Equal(t, 20, e.events.Reasons(security.EventSendThrottled)["ip"])
	_, err = e.svc.VerifyForgotPassword(ctxFrom("192.0.2.43"), flow, code)
	require.NoError(t, err, "a refused send stores no flow and no code, so it voids neither of alice's")
	// No hourly send and no budget was spent on phoneA (past the cooldown
	// of alice's own send).
	e.clock.Advance(time.Minute)
	_, err = e.svc.StartForgotPassword(ctxFrom("192.0.2.44"), phoneA)
	require.NoError(t, err, "a stranger's first send")
	require.NoError(t, e.svc.SendPhoneCode(bg, "alice", phoneA), "the owner's, on the last unit of the budget")
	e.waitFor(t, phoneA, 3)
}
