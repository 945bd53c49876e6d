package browser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBindAndChangePhone: a first phone is bound with the code sent to
// it; changing it needs, besides the new phone's code, a code sent to the
// phone bound now, and the page says so when it is missing.
func TestBindAndChangePhone(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.load()
	p.register("bob", "Plover-Orchid-71", "", "")
	p.waitText("#phone-h", "Bind phone")

	last := p.newestInboxID()
	p.fill("#ph-new", "13800138000")
	p.click(`#f-phone button.send[data-phone="ph-new"]`)
	p.waitMsg("#f-phone", "Code sent.", false)
	code := p.inboxCode(last, "bind_phone", "+8613800138000")
	p.fill("#ph-code", code)
	p.click("#f-phone button[type=submit]")
	p.waitMsg("#f-phone", "Phone saved.", false)
	p.waitText("#st-phone", "+86138****8000")
	p.waitText("#phone-h", "Change phone")

	// A new phone's code alone is not enough.
	last = p.newestInboxID()
	p.fill("#ph-new", "13900139000")
	p.click(`#f-phone button.send[data-phone="ph-new"]`)
	p.waitMsg("#f-phone", "Code sent.", false)
	newCode := p.inboxCode(last, "bind_phone", "+8613900139000")
	p.fill("#ph-code", newCode)
	p.click("#f-phone button[type=submit]")
	p.waitMsg("#f-phone", "To change your phone, also enter the code sent to the phone bound now.", true)
	assert.Equal(t, "+86138****8000", p.text("#st-phone"))

	// With the bound phone's code too, the phone changes. (The bound
	// phone had a code a moment ago: the send cooldown has to pass.)
	s.clock.Advance(time.Minute + time.Second)
	last = p.newestInboxID()
	p.fill("#ph-old", "13800138000")
	p.click(`#f-phone button.send[data-phone="ph-old"]`)
	p.waitMsg("#f-phone", "Code sent.", false)
	oldCode := p.inboxCode(last, "confirm_phone", "+8613800138000")
	p.fill("#ph-oldcode", oldCode)
	p.click("#f-phone button[type=submit]")
	p.waitMsg("#f-phone", "Phone saved.", false)
	p.waitText("#st-phone", "+86139****9000")
}
