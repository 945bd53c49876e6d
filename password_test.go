package security_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

func TestCreateAccount(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{
		UserID: "u1", Password: goodPass, Phone: "138 0013 8000", Email: " Alice@Example.COM ", EmailVerified: true,
	}))
	a, err := e.store.GetAccount(bg, "u1")
	require.NoError(t, err)
	assert.Equal(t, phoneA, a.Phone, "phone normalised to E.164")
	assert.Equal(t, "alice@example.com", a.Email)
	assert.True(t, a.EmailVerified)
	assert.Regexp(t, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, a.PasswordHash)
	assert.Equal(t, 1, e.events.Count(security.EventAccountCreated))

	for _, tc := range []struct {
		name string
		n    security.NewAccount
		want error
	}{
		{"duplicate user", security.NewAccount{UserID: "u1", Password: goodPass2}, security.ErrAccountExists},
		{"phone taken, other format", security.NewAccount{UserID: "u2", Password: goodPass2, Phone: "+86 138-0013-8000"}, security.ErrPhoneTaken},
		{"email taken, other case", security.NewAccount{UserID: "u3", Password: goodPass2, Email: "ALICE@example.com"}, security.ErrEmailTaken},
		{"no user", security.NewAccount{Password: goodPass}, security.ErrInvalidArgument},
		{"both password and hash", security.NewAccount{UserID: "u4", Password: goodPass, PasswordHash: a.PasswordHash}, security.ErrInvalidArgument},
		{"bad imported hash", security.NewAccount{UserID: "u4", PasswordHash: "$2a$10$abcdefghijklmnopqrstuv"}, security.ErrInvalidArgument},
		{"huge imported hash params", security.NewAccount{UserID: "u4", PasswordHash: "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"}, security.ErrInvalidArgument},
		{"weak password", security.NewAccount{UserID: "u4", Password: "password1"}, security.ErrWeakPassword},
		{"bad phone", security.NewAccount{UserID: "u4", Password: goodPass, Phone: "12345"}, security.ErrInvalidPhone},
		{"bad email", security.NewAccount{UserID: "u4", Password: goodPass, Email: "Alice <a@example.com>"}, security.ErrInvalidEmail},
		{"control char in user", security.NewAccount{UserID: "u\n4", Password: goodPass}, security.ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, e.svc.CreateAccount(bg, tc.n), tc.want)
		})
	}
	_, err = e.store.GetAccount(bg, "u4")
	require.ErrorIs(t, err, security.ErrNotFound, "refused creations store nothing")
}

func TestPasswordPolicy(t *testing.T) {
	e := newEnv(t, func(c *security.Config) {
		c.Blocklist = func(n string) bool { return n == "acme corporation rocks" }
	})
	cases := []struct {
		pw     string
		reason string
	}{
		{"abcdefg", "too_short"},
		{"🔑🔑🔑🔑🔑🔑🔑", "too_short"},
		{strings.Repeat("a", 129), "too_long"},
		{strings.Repeat("é", 600), "too_long"},
		{"password", "common"},
		{"Password1", "common"},
		{"12345678", "common"},
		{"qwertyuiop", "common"},
		{"1qaz2wsx", "common"},
		{"iloveyou1", "common"},
		{"woaini1314", "common"},
		{"aaaaaaaaaa", "repetitive"},
		{strings.Repeat("x7", 32), "repetitive"},
		{"Acme Corporation Rocks", "common"},
		{"my13800138000pass", "context"},
		{"zz38001380zz", "context"},
		{"bobsmith-secret-2024", "context"},
	}
	for _, tc := range cases {
		t.Run(tc.pw, func(t *testing.T) {
			err := e.svc.CreateAccount(bg, security.NewAccount{UserID: "u-ctx", Password: tc.pw, Phone: phoneA, Email: "bobsmith@example.com"})
			requireReason(t, err, security.ErrWeakPassword, tc.reason)
		})
	}
	for _, pw := range []string{"密码安全很重要啊", "correct horse battery staple", "ﾊﾟｽﾜｰﾄﾞは長いほうがいい", "🙂 long emoji pass 🙂", "73829104658273619402"} {
		t.Run("accepts "+pw, func(t *testing.T) {
			id := "ok-" + pw
			require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: id[:min(len(id), 100)], Password: pw}))
			require.NoError(t, e.svc.VerifyPassword(bg, id[:min(len(id), 100)], pw))
		})
	}
}

func TestPasswordCheckHook(t *testing.T) {
	var seen []string
	e := newEnv(t, func(c *security.Config) {
		c.PasswordCheck = func(ctx context.Context, pw string) error {
			seen = append(seen, pw)
			if pw == "breached but long" {
				return &security.PolicyError{Reason: "breached", Err: security.ErrWeakPassword}
			}
			if pw == "checker is down" {
				return context.DeadlineExceeded
			}
			return nil
		}
	})
	requireReason(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: "breached but long"}), security.ErrWeakPassword, "breached")
	err := e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: "checker is down"})
	require.Error(t, err)
	require.NotErrorIs(t, err, security.ErrWeakPassword, "a failing checker is an internal error, not a policy verdict")
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass}))
	require.Equal(t, []string{"breached but long", "checker is down", goodPass}, seen)
}

func TestVerifyPasswordExactlyAsEntered(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("pass phrase ", 8) + "!"
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "long", Password: long}))
	require.NoError(t, e.svc.VerifyPassword(bg, "long", long))
	for _, wrong := range []string{long[:72], long + "x", strings.ToUpper(long), " " + long} {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "long", wrong), security.ErrWrongPassword)
	}
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "nfkc", Password: "caf\u00e9-passw0rd!"}))
	require.NoError(t, e.svc.VerifyPassword(bg, "nfkc", "cafe\u0301-passw0rd!"), "NFKC: composed and decomposed forms are one password")
	require.ErrorIs(t, e.svc.VerifyPassword(bg, "nfkc", strings.Repeat("x", 5000)), security.ErrWrongPassword)
	require.ErrorIs(t, e.svc.VerifyPassword(bg, "nobody", goodPass), security.ErrWrongPassword, "unknown user looks like a wrong password")
}

func TestPasswordLockout(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	for range 4 {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", "wrong password"), security.ErrWrongPassword)
	}
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass), "a success resets the consecutive count")
	for range 5 {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", "wrong password"), security.ErrWrongPassword)
	}
	le := requireLocked(t, e.svc.VerifyPassword(bg, "u1", goodPass))
	requireUntil(t, e.clock.Now(), 15*time.Minute, le.Until)
	// The change-password check shares the counter.
	requireLocked(t, e.svc.ChangePassword(bg, "u1", goodPass, goodPass2))
	assert.Equal(t, 1, e.events.Count(security.EventPasswordLocked))
	e.clock.Set(le.Until)
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass))
}

func TestPasswordLockoutAfter100UntilReset(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t, func(c *security.Config) {
		c.Limits.PasswordFailures = 10
		c.Limits.PasswordLockFor = time.Minute
	})
	e.register(t, "u1", phoneA)
	for i := range 100 {
		err := e.svc.VerifyPassword(bg, "u1", "wrong password")
		require.ErrorIs(t, err, security.ErrWrongPassword, "try %d", i)
		if (i+1)%10 == 0 {
			e.clock.Advance(counted(time.Minute))
		}
	}
	le := requireLocked(t, e.svc.VerifyPassword(bg, "u1", goodPass))
	assert.True(t, le.Until.IsZero(), "locked until reset")
	e.clock.Advance(30 * 24 * time.Hour)
	requireLocked(t, e.svc.VerifyPassword(bg, "u1", goodPass))

	// The forgot-password flow still works and lifts the lock.
	handle := e.forgotVerified(t, phoneA)
	require.NoError(t, e.svc.CompleteForgotPassword(bg, handle, phoneA, goodPass2))
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass2))
}

func TestPasswordBruteForceRace(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			<-start
			errs <- e.svc.VerifyPassword(bg, "u1", "wrong password")
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	wrong, locked := 0, 0
	for err := range errs {
		switch {
		case assert.ObjectsAreEqual(security.ErrWrongPassword, err):
			wrong++
		default:
			requireLocked(t, err)
			locked++
		}
	}
	assert.Equal(t, 5, wrong, "exactly 5 passwords evaluated")
	assert.Equal(t, 45, locked)
	assert.Equal(t, 5, e.events.Count(security.EventPasswordCheckFailed), "exactly 5 hashes compared")
}

func TestHashUpgrade(t *testing.T) {
	e := newEnv(t)
	old, err := argon2id.CreateHash(goodPass, &argon2id.Params{Memory: 12288, Iterations: 3, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "legacy", PasswordHash: old}))
	require.ErrorIs(t, e.svc.VerifyPassword(bg, "legacy", "wrong password"), security.ErrWrongPassword)
	a, _ := e.store.GetAccount(bg, "legacy")
	require.Equal(t, old, a.PasswordHash, "no upgrade on failure")
	require.NoError(t, e.svc.VerifyPassword(bg, "legacy", goodPass))
	a, _ = e.store.GetAccount(bg, "legacy")
	assert.Contains(t, a.PasswordHash, "$m=19456,t=2,p=1$")
	require.NoError(t, e.svc.VerifyPassword(bg, "legacy", goodPass))
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	e.bindPhone(t, "u1", phoneA)
	before, _ := e.store.GetAccount(bg, "u1")

	t.Run("wrong old leaves the hash", func(t *testing.T) {
		require.ErrorIs(t, e.svc.ChangePassword(bg, "u1", "not my password", goodPass2), security.ErrWrongPassword)
		a, _ := e.store.GetAccount(bg, "u1")
		require.Equal(t, before.PasswordHash, a.PasswordHash)
	})
	t.Run("missing values", func(t *testing.T) {
		require.ErrorIs(t, e.svc.ChangePassword(bg, "u1", "", goodPass2), security.ErrInvalidArgument)
		require.ErrorIs(t, e.svc.ChangePassword(bg, "u1", goodPass, ""), security.ErrInvalidArgument)
	})
	t.Run("weak new refused before the old is checked", func(t *testing.T) {
		requireReason(t, e.svc.ChangePassword(bg, "u1", "not my password", "password"), security.ErrWeakPassword, "common")
		requireReason(t, e.svc.ChangePassword(bg, "u1", goodPass, "x13800138000x"), security.ErrWeakPassword, "context")
		requireReason(t, e.svc.ChangePassword(bg, "u1", goodPass, goodPass), security.ErrWeakPassword, "same_as_current")
	})
	e.clock.Advance(time.Minute)
	handle := e.forgotStarted(t, phoneA)
	t.Run("success", func(t *testing.T) {
		e.clock.Advance(time.Second)
		require.NoError(t, e.svc.ChangePassword(bg, "u1", goodPass, goodPass2))
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", goodPass), security.ErrWrongPassword)
		require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass2))
		a, _ := e.store.GetAccount(bg, "u1")
		assert.True(t, a.PasswordChangedAt.After(before.PasswordChangedAt))
		assert.Equal(t, 1, e.events.Count(security.EventPasswordChanged))
		e.waitFor(t, phoneA, 3) // bind code, forgot code, notice
		assert.Equal(t, 1, e.out.Count(phoneA, security.PurposePasswordChanged))
	})
	t.Run("pending forgot-password flows end", func(t *testing.T) {
		require.ErrorIs(t, e.verifyErr(t, handle, e.out.LastCode(t, phoneA)), security.ErrFlowRequired)
	})
}
