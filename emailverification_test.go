package security_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/securitytest"
)

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	assert.Equal(t, "accounts.example.com", u.Host, "links come from LinkBaseURL only")
	tok := u.Query().Get("token")
	require.GreaterOrEqual(t, len(tok), 43)
	return tok
}

func lastMessage(t *testing.T, o *securitytest.Outbox, dest string) security.Message {
	t.Helper()
	msgs := o.To(dest)
	require.NotEmpty(t, msgs)
	return msgs[len(msgs)-1]
}

func TestEmailVerificationMember(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendEmailVerification(bg, "u1", " Bob@Example.com "))
	m := lastMessage(t, e.out, "bob@example.com")
	assert.Equal(t, security.ChannelEmail, m.Channel)
	assert.Equal(t, security.PurposeVerifyEmail, m.Purpose)
	assert.Regexp(t, `^[0-9]{6}$`, m.Code)
	tok := tokenOf(t, m.Link)

	require.ErrorIs(t, e.svc.VerifyPublicEmailCode(bg, "bob@example.com", m.Code), security.ErrInvalidCode, "a member's code is not a public one")
	e.register(t, "u2", "")
	require.ErrorIs(t, e.svc.VerifyEmailCode(bg, "u2", "bob@example.com", m.Code), security.ErrInvalidCode, "nor another member's")
	require.NoError(t, e.svc.VerifyEmailCode(bg, "u1", "BOB@example.com", m.Code))
	a, _ := e.store.GetAccount(bg, "u1")
	assert.Equal(t, "bob@example.com", a.Email)
	assert.True(t, a.EmailVerified)
	require.ErrorIs(t, e.svc.VerifyEmailToken(bg, "u1", tok), security.ErrInvalidCode, "verifying by code voids the link")
	assert.Equal(t, 1, e.events.Count(security.EventEmailVerified))

	t.Run("a member's link works only for that member, signed in", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendEmailVerification(bg, "u2", "frank@example.com"))
		tok := tokenOf(t, lastMessage(t, e.out, "frank@example.com").Link)
		// A mail scanner (no session) or another user opening it changes nothing.
		require.ErrorIs(t, e.svc.VerifyPublicEmailToken(bg, tok), security.ErrSignInRequired)
		require.ErrorIs(t, e.svc.VerifyEmailToken(bg, "u1", tok), security.ErrSignInRequired)
		a, _ := e.store.GetAccount(bg, "u2")
		require.NotEqual(t, "frank@example.com", a.Email)
		require.NoError(t, e.svc.VerifyEmailToken(bg, "u2", tok), "still usable by its requester")
	})
	t.Run("by link, and an address on another account", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendEmailVerification(bg, "u2", "bob@example.com"))
		tok := tokenOf(t, lastMessage(t, e.out, "bob@example.com").Link)
		code := lastMessage(t, e.out, "bob@example.com").Code
		require.ErrorIs(t, e.svc.VerifyEmailToken(bg, "u2", tok), security.ErrEmailTaken)
		require.ErrorIs(t, e.svc.VerifyEmailToken(bg, "u2", tok), security.ErrInvalidCode, "single use")
		require.ErrorIs(t, e.svc.VerifyEmailCode(bg, "u2", "bob@example.com", code), security.ErrInvalidCode, "the link's use voided the code")
		e.clock.Advance(time.Minute)
		require.NoError(t, e.svc.SendEmailVerification(bg, "u2", "carol@example.com"))
		require.NoError(t, e.svc.VerifyEmailToken(bg, "u2", tokenOf(t, lastMessage(t, e.out, "carol@example.com").Link)))
		a, _ := e.store.GetAccount(bg, "u2")
		assert.Equal(t, "carol@example.com", a.Email)
	})
}

func TestEmailVerificationPublic(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Email: "dave@example.com"}))
	require.NoError(t, e.svc.SendPublicEmailVerification(bg, "DAVE@example.com"))
	require.NoError(t, e.svc.SendPublicEmailVerification(bg, "nobody@example.com"), "same answer for an unknown address")
	e.waitFor(t, "dave@example.com", 1)
	m := lastMessage(t, e.out, "dave@example.com")
	assert.Equal(t, "dave@example.com", m.To, "sent to the stored address")

	e.clock.Advance(61 * time.Second)
	require.NoError(t, e.svc.SendPublicEmailVerification(bg, "dave@example.com"))
	e.waitFor(t, "dave@example.com", 2)
	m2 := lastMessage(t, e.out, "dave@example.com")
	require.ErrorIs(t, e.svc.VerifyPublicEmailToken(bg, tokenOf(t, m.Link)), security.ErrInvalidCode, "a new send voids the previous link")
	require.NoError(t, e.svc.VerifyPublicEmailToken(bg, tokenOf(t, m2.Link)))
	a, _ := e.store.GetAccount(bg, "u1")
	assert.True(t, a.EmailVerified)
	e.drain(t)
	assert.Empty(t, e.out.To("nobody@example.com"))
}

func TestEmailLinkExpiresAndThrottleIgnoresCase(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendEmailVerification(bg, "u1", "erin@example.com"))
	for _, v := range []string{"ERIN@example.com", " erin@EXAMPLE.com", "Erin@Example.Com"} {
		requireRateLimited(t, e.svc.SendEmailVerification(bg, "u1", v))
	}
	tok := tokenOf(t, lastMessage(t, e.out, "erin@example.com").Link)
	e.clock.Advance(time.Hour + time.Second)
	require.ErrorIs(t, e.svc.VerifyEmailToken(bg, "u1", tok), security.ErrInvalidCode)
}

func TestEmailValidation(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	for _, bad := range []string{"", "plain", "a@b", "Alice <a@example.com>", "a@example.com\r\nBcc: x@y.z", "a@@example.com", "a b@example.com", "@example.com"} {
		require.ErrorIs(t, e.svc.SendEmailVerification(bg, "u1", bad), security.ErrInvalidEmail, bad)
	}
	long := make([]byte, 250)
	for i := range long {
		long[i] = 'a'
	}
	require.ErrorIs(t, e.svc.SendEmailVerification(bg, "u1", string(long)+"@example.com"), security.ErrInvalidEmail)
	got, err := security.NormalizeEmail("  ÄLICE@Example.COM ")
	require.NoError(t, err)
	assert.Equal(t, "Älice@example.com", got, "only ASCII folds, so look-alikes never match")
}

// TestEmailVerificationSignedInNeedsUser: the signed-in methods refuse an
// empty user instead of switching to the public flow, before anything is
// sent or spent; the public flow has methods of its own.
func TestEmailVerificationSignedInNeedsUser(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SendEmailVerification(bg, "u1", "bob@example.com"))
	m := lastMessage(t, e.out, "bob@example.com")

	err := e.svc.SendEmailVerification(bg, "", "bob@example.com")
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "SendPublicEmailVerification")
	err = e.svc.VerifyEmailCode(bg, "", "bob@example.com", m.Code)
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "VerifyPublicEmailCode")
	err = e.svc.VerifyEmailToken(bg, "", tokenOf(t, m.Link))
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "VerifyPublicEmailToken")
	assert.Len(t, e.out.To("bob@example.com"), 1, "the refused send sent nothing")

	// The refusals spent neither the code nor the link.
	require.NoError(t, e.svc.VerifyEmailCode(bg, "u1", "bob@example.com", m.Code))
	assert.Equal(t, 1, e.events.Count(security.EventEmailVerified))
	assert.Zero(t, e.events.Count(security.EventVerificationFailed))
}
