package security_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// TestSecretsNeverLogged runs every flow with a debug JSON logger and a
// failing notifier in the middle, then searches the logs, the events and
// every error for each secret used.
func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t)
	var secrets []string
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	e.register(t, "u1", "")
	secrets = append(secrets, goodPass, goodPass2, pin1, pin2)

	note(e.svc.VerifyPassword(bg, "u1", "wrong secret value"))
	secrets = append(secrets, "wrong secret value")
	require.NoError(t, e.svc.SendPhoneCode(bg, "u1", phoneA))
	c := e.out.LastCode(t, phoneA)
	secrets = append(secrets, c)
	note(e.svc.BindPhone(bg, "u1", phoneA, wrongCode(c)))
	require.NoError(t, e.svc.BindPhone(bg, "u1", phoneA, c))
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	note(e.svc.VerifyPayPassword(bg, "u1", pin2))
	require.NoError(t, e.svc.ChangePayPassword(bg, "u1", pin1, pin2))
	require.NoError(t, e.svc.ChangePassword(bg, "u1", goodPass, goodPass2))
	e.clock.Advance(time.Minute)
	h := e.forgotStarted(t, phoneA)
	fc := e.out.LastCode(t, phoneA)
	secrets = append(secrets, h, fc)
	_, err := e.svc.VerifyForgotPassword(bg, h, wrongCode(fc))
	note(err)
	h, err = e.svc.VerifyForgotPassword(bg, h, fc)
	require.NoError(t, err)
	secrets = append(secrets, h)
	note(e.svc.CompleteForgotPassword(bg, h, phoneA, "password1"))
	require.NoError(t, e.svc.CompleteForgotPassword(bg, h, phoneA, "third good password"))
	secrets = append(secrets, "third good password")
	require.NoError(t, e.svc.SendEmailVerification(bg, "u1", "zed@example.com"))
	m := lastMessage(t, e.out, "zed@example.com")
	tok := tokenOf(t, m.Link)
	secrets = append(secrets, m.Code, tok)
	require.NoError(t, e.svc.VerifyEmailToken(bg, "u1", tok))

	// A provider failure logs its error, which must not echo the code.
	e.out.Fail(assert.AnError)
	e.clock.Advance(time.Hour)
	note(e.svc.SendPhoneCode(bg, "u1", phoneB))
	secrets = append(secrets, attemptedCodes(e.out)...)
	e.drain(t)

	logs := e.logs.String()
	require.NotEmpty(t, logs, "the flows did log something")
	var evText strings.Builder
	for _, ev := range e.events.All() {
		evText.WriteString(ev.UserID + ev.ClientIP + ev.Destination + ev.Reason + string(ev.Purpose) + "\n")
	}
	for _, s := range secrets {
		assert.NotContains(t, logs, s)
		assert.NotContains(t, evText.String(), s)
		for _, err := range errs {
			assert.NotContains(t, err.Error(), s)
		}
	}
	for _, raw := range []string{phoneA, phoneB, "zed@example.com"} {
		assert.NotContains(t, logs, raw, "phones and addresses are masked in logs")
		assert.NotContains(t, evText.String(), raw)
	}
	for _, m := range e.out.Messages() {
		assert.NotContains(t, m.String(), m.Code+"x", "Message.String hides the code")
		if m.Code != "" {
			assert.NotContains(t, m.String(), m.Code)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	s, o := (&env{}).storeAndOutbox()
	for _, tc := range []struct {
		name string
		cfg  security.Config
	}{
		{"short secret", security.Config{Secret: []byte("short")}},
		{"code TTL above 10 minutes", security.Config{Secret: testSecret, Limits: security.Limits{CodeTTL: 11 * time.Minute}}},
		{"too many code tries", security.Config{Secret: testSecret, Limits: security.Limits{CodeTries: 11}}},
		{"password min below 8", security.Config{Secret: testSecret, Limits: security.Limits{PasswordMinLength: 7}}},
		{"cooldown below 30s", security.Config{Secret: testSecret, Limits: security.Limits{SendCooldown: time.Second}}},
		{"argon2 below the floor", security.Config{Secret: testSecret, Hash: security.HashParams{Memory: 8192, Iterations: 2}}},
		{"argon2 above the ceiling", security.Config{Secret: testSecret, Hash: security.HashParams{Memory: 1 << 20, Iterations: 2}}},
		{"http link base", security.Config{Secret: testSecret, LinkBaseURL: "http://accounts.example.com/v"}},
		{"relative link base", security.Config{Secret: testSecret, LinkBaseURL: "/verify"}},
		{"unknown region", security.Config{Secret: testSecret, DefaultRegion: "XX"}},
		{"pay daily below consecutive", security.Config{Secret: testSecret, Limits: security.Limits{PayFailures: 8, PayDailyFailures: 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := security.New(s, o, tc.cfg)
			require.Error(t, err)
			require.Nil(t, svc)
			assert.True(t, strings.HasPrefix(err.Error(), "security: "))
		})
	}
	_, err := security.New(nil, o, security.Config{Secret: testSecret})
	require.Error(t, err)
	_, err = security.New(s, nil, security.Config{Secret: testSecret})
	require.Error(t, err)
	svc, err := security.New(s, o, security.Config{Secret: testSecret, LinkBaseURL: "http://127.0.0.1:8287/v", AllowInsecureLinks: true,
		Hash: security.HashParams{Memory: 12288, Iterations: 3}})
	require.NoError(t, err)
	require.NoError(t, svc.Close(bg))
	assert.Equal(t, 5*time.Minute, security.DefaultLimits().CodeTTL)
}

func TestCloseDrainsAndRefuses(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	_, err := e.svc.StartForgotPassword(bg, phoneA)
	require.NoError(t, err)
	e.drain(t)
	assert.Len(t, e.out.To(phoneA), 1, "Close waited for the queued delivery")
	_, err = e.svc.StartForgotPassword(bg, phoneB)
	require.ErrorIs(t, err, security.ErrClosed)
}
