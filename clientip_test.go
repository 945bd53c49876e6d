package security_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// TestRequireClientIP: with Config.RequireClientIP, every flow that sends
// refuses a context without a client IP, before anything is sent or
// counted, and says how to pass one; with an IP the same calls go through.
func TestRequireClientIP(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.RequireClientIP = true })
	e.register(t, "u1", phoneA)
	const phoneC = "+8613700137000" // login codes share the send cooldown with forgot-password ones
	e.register(t, "u2", phoneC)
	const addr = "u1@example.com"

	sends := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"SendPhoneCode", func(ctx context.Context) error { return e.svc.SendPhoneCode(ctx, "u1", phoneB) }},
		{"StartForgotPassword", func(ctx context.Context) error {
			_, err := e.svc.StartForgotPassword(ctx, phoneA)
			return err
		}},
		{"SendLoginCode", func(ctx context.Context) error { return e.svc.SendLoginCode(ctx, phoneC) }},
		{"SendEmailVerification", func(ctx context.Context) error { return e.svc.SendEmailVerification(ctx, "u1", addr) }},
		{"SendPublicEmailVerification", func(ctx context.Context) error { return e.svc.SendPublicEmailVerification(ctx, "nobody@example.com") }},
	}
	noIP := []context.Context{
		context.Background(),
		// A client without its IP (a handler that set only the locale).
		security.WithClient(context.Background(), security.Client{Locale: "en", UserAgent: "test"}),
	}
	for _, s := range sends {
		for _, ctx := range noIP {
			err := s.run(ctx)
			require.ErrorIs(t, err, security.ErrInvalidArgument, s.name)
			assert.Contains(t, err.Error(), "WithClient", s.name)
		}
	}
	assert.Empty(t, e.out.Messages(), "nothing sent without a client IP")
	assert.Zero(t, e.events.Count(security.EventCodeSent))
	assert.Zero(t, e.events.Count(security.EventForgotStarted))

	for _, s := range sends {
		require.NoError(t, s.run(bg), s.name)
	}
	// The forgot-password code to phoneA, the login code to phoneC, the
	// bind code to phoneB, the signed-in verification to addr (no account
	// has the public send's address, so it mails nothing): the refused
	// calls queued nothing.
	e.waitFor(t, phoneA, 1)
	e.waitFor(t, phoneC, 1)
	e.waitFor(t, phoneB, 1)
	e.waitFor(t, addr, 1)
	e.drain(t)
	assert.Len(t, e.out.Messages(), 4)
}

// TestClientIPOptionalByDefault: without Config.RequireClientIP a send
// from a context without a client runs (a trusted back end's call).
func TestClientIPOptionalByDefault(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SendPhoneCode(context.Background(), "u1", phoneB))
	e.waitFor(t, phoneB, 1)
}
