package browser

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForgotPassword walks the signed-out recovery: the phone, the code
// from the SMS (a wrong one refused in place), the new password. The flow
// handle travels only in the HttpOnly cookie the adapter sets, which the
// browser keeps and sends; the page never sees it.
func TestForgotPassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.load()
	p.register("frank", "Plover-Orchid-71", "13700137000", "")
	p.signOut()
	p.visible("#f-forgot1")

	last := p.newestInboxID()
	p.fill("#fg-phone", "13700137000")
	p.click("#f-forgot1 button[type=submit]")
	p.waitMsg("#f-forgot1", "If an account has this phone, a code is on its way.", false)
	p.visible("#f-forgot2")
	code := p.inboxCode(last, "forgot_password", "+8613700137000")
	p.noScriptCookies()

	p.fill("#fg-code", otherCode(code))
	p.click("#f-forgot2 button[type=submit]")
	p.waitMsg("#f-forgot2", "The verification code is wrong or has expired.", true)

	p.fill("#fg-code", code)
	p.click("#f-forgot2 button[type=submit]")
	p.visible("#f-forgot3")
	p.fill("#fg-new", "Quartz-Meadow-58")
	p.fill("#fg-new2", "Quartz-Meadow-58")
	p.click("#f-forgot3 button[type=submit]")
	p.waitMsg("#f-forgot1", "Password reset. Sign in with the new password.", false)
	p.noScriptCookies()

	// Both steps carried the flow in the cookie, never in a header.
	for _, method := range []string{"POST", "PUT"} {
		reqs := s.seen(method, "/web/userservice/security")
		require.NotEmpty(t, reqs, method)
		for _, r := range reqs {
			assert.True(t, r.Flow, "%s carried the flow cookie", method)
			assert.False(t, r.FlowHeader, "%s carried no X-Security-Flow header", method)
		}
	}

	p.signIn("frank", "Plover-Orchid-71")
	p.waitMsg("#f-signin", "The password is wrong.", true)
	p.signIn("frank", "Quartz-Meadow-58")
	p.waitText("#who", "frank")
}
