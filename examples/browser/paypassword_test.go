package browser

import "testing"

// TestPayPassword: set, change (a wrong current PIN refused in place),
// and reset with the code sent to the bound phone, which sets the new PIN
// in the same step.
func TestPayPassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.load()
	p.register("carol", "Plover-Orchid-71", "13800138000", "")
	p.waitText("#st-pay", "not set")

	p.fill("#ps-pin", "472915")
	p.fill("#ps-pin2", "472915")
	p.click("#f-payset button[type=submit]")
	p.waitText("#st-pay", "set")
	p.visible("#f-payupdate")

	p.fill("#pu-old", "111111")
	p.fill("#pu-pin", "830162")
	p.fill("#pu-pin2", "830162")
	p.click("#f-payupdate button[type=submit]")
	p.waitMsg("#f-payupdate", "The pay password is wrong.", true)

	p.fill("#pu-old", "472915")
	p.fill("#pu-pin", "830162")
	p.fill("#pu-pin2", "830162")
	p.click("#f-payupdate button[type=submit]")
	p.waitMsg("#f-payupdate", "Pay password changed.", false)

	// Forgot it: reset with the bound phone's code and a new PIN.
	last := p.newestInboxID()
	p.fill("#pr-phone", "13800138000")
	p.click(`#f-payreset button.send`)
	p.waitMsg("#f-payreset", "Code sent.", false)
	code := p.inboxCode(last, "confirm_phone", "+8613800138000")
	p.fill("#pr-code", code)
	p.fill("#pr-pin", "591637")
	p.fill("#pr-pin2", "591637")
	p.click("#f-payreset button[type=submit]")
	p.waitMsg("#f-payreset", "Pay password reset.", false)
	p.waitText("#st-pay", "set")

	// The reset set the new PIN: the one before no longer works, it does.
	p.fill("#pu-old", "830162")
	p.fill("#pu-pin", "264081")
	p.fill("#pu-pin2", "264081")
	p.click("#f-payupdate button[type=submit]")
	p.waitMsg("#f-payupdate", "The pay password is wrong.", true)
	p.fill("#pu-old", "591637")
	p.fill("#pu-pin", "264081")
	p.fill("#pu-pin2", "264081")
	p.click("#f-payupdate button[type=submit]")
	p.waitMsg("#f-payupdate", "Pay password changed.", false)
}
