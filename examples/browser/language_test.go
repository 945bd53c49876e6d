package browser

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChinese: a browser that prefers Chinese gets the page in Chinese and
// the API's msg in Chinese next to the form (wrong code →
// "验证码错误或已失效。"); the switch turns both to English.
func TestChinese(t *testing.T) {
	t.Parallel()
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.setLanguages("zh-CN,zh;q=0.9")
	p.load()
	assert.Equal(t, "账户安全", p.text("h1"))
	assert.Equal(t, "zh-CN", eval[string](p, `document.documentElement.lang`))
	p.register("gina", "Plover-Orchid-71", "", "")
	p.waitText("#st-phone", "未绑定")

	last := p.newestInboxID()
	p.fill("#ph-new", "13600136000")
	p.click(`#f-phone button.send[data-phone="ph-new"]`)
	p.waitMsg("#f-phone", "验证码已发送。", false)
	code := p.inboxCode(last, "bind_phone", "+8613600136000")
	p.fill("#ph-code", otherCode(code))
	p.click("#f-phone button[type=submit]")
	p.waitMsg("#f-phone", "验证码错误或已失效。", true)

	p.click("#lang")
	p.waitText("h1", "Account security")
	assert.Equal(t, "en", eval[string](p, `document.documentElement.lang`))
	p.waitText("#st-phone", "not bound")
	p.fill("#ph-code", otherCode(otherCode(code)))
	p.click("#f-phone button[type=submit]")
	p.waitMsg("#f-phone", "The verification code is wrong or has expired.", true)

	// The page asked for each answer's language itself.
	reqs := s.seen("PUT", "/member/userservice/security/bindingPhone")
	require.Len(t, reqs, 2)
	assert.Equal(t, "zh-CN", reqs[0].AcceptLanguage)
	assert.Equal(t, "en", reqs[1].AcceptLanguage)

	// The choice outlives a reload.
	p.load()
	p.waitText("h1", "Account security")
}
