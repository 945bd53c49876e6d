package browser

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyEmailWithCode: the code from the email verifies the address;
// a wrong one is refused in place.
func TestVerifyEmailWithCode(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.load()
	p.register("dave", "Plover-Orchid-71", "", "")
	p.waitText("#st-email", "none")

	last := p.newestInboxID()
	p.fill("#em-addr", "dave@example.com")
	p.click("#f-mailsend button[type=submit]")
	p.waitMsg("#f-mailsend", "If the address can be verified, a code and a link are on their way.", false)
	code := p.inboxCode(last, "verify_email", "dave@example.com")

	p.fill("#em-code", otherCode(code))
	p.click("#f-mailcode button[type=submit]")
	p.waitMsg("#f-mailcode", "The verification code is wrong or has expired.", true)

	p.fill("#em-code", code)
	p.click("#f-mailcode button[type=submit]")
	p.waitMsg("#f-mailcode", "Email verified.", false)
	p.waitText("#st-email", "d***@example.com · verified")
}

// TestVerifyEmailWithLink: the link in the email, opened in the browser
// of the member who asked for it, verifies the address. The test follows
// what the link shows: today an API answer; a confirmation page with a
// button gets its button clicked.
func TestVerifyEmailWithLink(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.load()
	p.register("erin", "Plover-Orchid-71", "", "")

	last := p.newestInboxID()
	p.fill("#em-addr", "erin@example.com")
	p.click("#f-mailsend button[type=submit]")
	entry := p.inboxEntry(last, "verify_email", "erin@example.com")
	link := entry + " a.link"
	href := eval[string](p, `document.querySelector(`+js(link)+`).href`)
	require.Contains(t, href, s.base+"/web/userservice/security/verifyMail?token=")

	p.clickAndLoad(link)
	p.waitFor("the link's page", `location.pathname === '/web/userservice/security/verifyMail' && document.readyState === 'complete'`, `location.href`)
	const button = `form button, form input[type=submit]`
	if eval[bool](p, `document.querySelector(`+js(button)+`) !== null`) {
		p.clickAndLoad(button)
		p.waitFor("the confirmation to be sent", `document.readyState === 'complete' && document.querySelector(`+js(button)+`) === null`, `location.href`)
	} else {
		env := p.bodyJSON(s.base + "/web/userservice/security/verifyMail")
		assert.Equal(t, "201", env["code"], env)
	}
	p.load()
	p.waitText("#st-email", "e***@example.com · verified")

	// The link works once.
	p.do(chromedp.Navigate(href))
	if eval[bool](p, `document.querySelector(`+js(button)+`) === null`) {
		env := p.bodyJSON(s.base + "/web/userservice/security/verifyMail")
		assert.Equal(t, "invalid_code", env["data"], env)
	}
}
