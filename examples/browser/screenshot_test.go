package browser

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// screenshotPath is where ACCTSEC_SCREENSHOT=1 writes the page's picture.
var screenshotPath = filepath.Join("..", "..", "docs", "account-security-page.png")

// TestScreenshot writes docs/account-security-page.png: the page in
// Chinese, signed in, with the status, an error in place and a few
// messages in the dev inbox. It runs only with ACCTSEC_SCREENSHOT=1 (and
// wants a CJK font installed, e.g. Debian's fonts-wqy-microhei).
func TestScreenshot(t *testing.T) {
	if os.Getenv("ACCTSEC_SCREENSHOT") != "1" {
		t.Skip("set ACCTSEC_SCREENSHOT=1 to write " + screenshotPath)
	}
	s := newSite(t, "127.0.0.1")
	p := open(t, s)
	p.setLanguages("zh-CN,zh;q=0.9")
	p.load()
	p.register("alice", "Plover-Orchid-71", "13800138000", "alice@example.com")
	p.fill("#ps-pin", "472915")
	p.fill("#ps-pin2", "472915")
	p.click("#f-payset button[type=submit]")
	p.waitText("#st-pay", "已设置")
	last := p.newestInboxID()
	p.fill("#em-addr", "alice@example.com")
	p.click("#f-mailsend button[type=submit]")
	p.inboxEntry(last, "verify_email", "alice@example.com")
	p.fill("#pw-old", "Plover-Orchid-71")
	p.fill("#pw-new", "Plover")
	p.fill("#pw-new2", "Plover")
	p.click("#f-password button[type=submit]")
	p.waitFor("a refused weak password", `document.querySelector('#f-password .msg').classList.contains('error')`, `''`)
	p.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
	p.waitFor("the top of the page", `window.scrollY === 0`, `String(window.scrollY)`)

	ctx, cancel := p.step()
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(img))
	require.NoError(t, err)
	require.Less(t, len(img), 300<<10, "keep the picture under 300 KB")
	require.NoError(t, os.WriteFile(screenshotPath, img, 0o644))
	t.Logf("wrote %s (%d bytes)", screenshotPath, len(img))
}
