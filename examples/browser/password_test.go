package browser

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestChangePassword: a member created on the page changes the password;
// a wrong current password is refused next to the form; afterwards only
// the new password signs in.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.load()
	p.register("alice", "Plover-Orchid-71", "", "")
	assert.Equal(t, "not bound", p.text("#st-phone"))
	assert.Equal(t, "not set", p.text("#st-pay"))

	p.fill("#pw-old", "Wrong-Guess-2024")
	p.fill("#pw-new", "Quartz-Meadow-58")
	p.fill("#pw-new2", "Quartz-Meadow-58")
	p.click("#f-password button[type=submit]")
	p.waitMsg("#f-password", "The password is wrong.", true)

	p.fill("#pw-old", "Plover-Orchid-71")
	p.fill("#pw-new", "Quartz-Meadow-58")
	p.fill("#pw-new2", "Quartz-Meadow-59")
	p.click("#f-password button[type=submit]")
	p.waitFor("a refused mismatched confirmation",
		`document.querySelector('#f-password .msg').classList.contains('error') && document.querySelector('#f-password .msg').textContent !== 'The password is wrong.'`,
		`document.querySelector('#f-password .msg').textContent`)

	p.fill("#pw-old", "Plover-Orchid-71")
	p.fill("#pw-new", "Quartz-Meadow-58")
	p.fill("#pw-new2", "Quartz-Meadow-58")
	p.click("#f-password button[type=submit]")
	p.waitMsg("#f-password", "Password changed.", false)
	assert.Empty(t, eval[string](p, `document.querySelector('#pw-old').value + document.querySelector('#pw-new').value`), "the form is cleared")

	p.signOut()
	p.signIn("alice", "Plover-Orchid-71")
	p.waitMsg("#f-signin", "The password is wrong.", true)
	p.signIn("alice", "Quartz-Meadow-58")
	p.waitText("#who", "alice")
	p.visible("#f-password")
}
