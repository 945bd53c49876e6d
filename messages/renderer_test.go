package messages_test

import (
	"errors"
	"html"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
)

var (
	codePurposes = []security.Purpose{
		security.PurposeBindPhone, security.PurposeConfirmPhone,
		security.PurposeForgotPassword, security.PurposeVerifyEmail, security.PurposeLoginCode,
	}
	noticePurposes = []security.Purpose{
		security.PurposePasswordChanged, security.PurposePasswordReset,
		security.PurposePhoneBound, security.PurposePhoneUnbound,
		security.PurposePayPasswordSet, security.PurposePayPasswordChanged,
		security.PurposePayPasswordReset, security.PurposePayPasswordLocked,
		security.PurposeEmailVerified,
	}
	issued = time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
)

const (
	testCode = "307519"
	testLink = "https://acme.example/verify?token=tok-9f8e7d&uid=42"
)

func newRenderer(t *testing.T, opts messages.Options) *messages.Renderer {
	t.Helper()
	if opts.AppName == "" {
		opts.AppName = "Acme"
	}
	r, err := messages.New(opts)
	require.NoError(t, err)
	return r
}

func codeMessage(p security.Purpose, locale string) security.Message {
	m := security.Message{Channel: security.ChannelEmail, To: "alice@example.com", Purpose: p, Code: testCode,
		TTL: 10 * time.Minute, Locale: locale, Time: issued}
	if p == security.PurposeVerifyEmail {
		m.Link = testLink
	}
	return m
}

// isChinese reports whether locale is one of the Chinese locales.
func isChinese(locale string) bool { return strings.HasPrefix(locale, "zh") }

// localeWords are words every code text of a locale says: the lifetime of a
// 10-minute code, that nobody will ask for it, and that staff will not.
var localeWords = map[string]struct{ lifetime, nobody, staff, notYou, signature string }{
	"en":    {"10 minutes", "never ask", "staff", "If ", ""},
	"zh-CN": {"10分钟", "索要验证码", "工作人员", "如非本人操作", "【Acme】"},
	"zh-TW": {"10分鐘", "索取驗證碼", "工作人員", "如非本人操作", "【Acme】"},
	"zh-HK": {"10分鐘", "索取驗證碼", "職員", "如非本人操作", "【Acme】"},
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

func TestPurposesCoverNotifierGo(t *testing.T) {
	want := append(append([]security.Purpose{}, codePurposes...), noticePurposes...)
	assert.Equal(t, want, messages.Purposes())
	for _, p := range codePurposes {
		assert.False(t, p.IsNotice(), p)
	}
	for _, p := range noticePurposes {
		assert.True(t, p.IsNotice(), p)
	}
}

func TestRenderCodePurposes(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	for _, locale := range messages.Locales() {
		for _, p := range codePurposes {
			t.Run(locale+"/"+string(p), func(t *testing.T) {
				out, err := r.Render(codeMessage(p, locale))
				require.NoError(t, err)
				for part, s := range map[string]string{"sms": out.SMS, "subject": out.Subject, "text": out.Text, "html": out.HTML} {
					assert.NotEmpty(t, strings.TrimSpace(s), part)
					assert.Contains(t, s, "Acme", "%s names who is asking", part)
					assert.Equal(t, isChinese(locale), hasHan(s), "%s is in the locale's language", part)
				}
				for part, s := range map[string]string{"sms": out.SMS, "text": out.Text, "html": out.HTML} {
					assert.Contains(t, s, testCode, part)
				}
				assert.NotContains(t, out.Subject, testCode)
				assert.NotContains(t, out.Subject, "verify?token")
				assert.NotContains(t, out.Subject, "\n")

				words := localeWords[locale]
				assert.True(t, strings.HasPrefix(out.SMS, words.signature), out.SMS)
				for part, s := range map[string]string{"sms": out.SMS, "text": out.Text, "html": out.HTML} {
					assert.Contains(t, s, words.lifetime, "%s says the code's lifetime", part)
					assert.Contains(t, s, words.nobody, "%s says nobody will ask for the code", part)
					assert.Contains(t, s, words.staff, "%s says staff will not ask either", part)
				}
				if p == security.PurposeVerifyEmail {
					assert.Contains(t, out.Text, testLink)
					assert.Contains(t, out.HTML, `href="`+html.EscapeString(testLink)+`"`)
				} else {
					assert.NotContains(t, out.Text, "acme.example")
				}
				assert.NotContains(t, out.SMS, "acme.example", "SMS carries no link")
			})
		}
	}
}

func TestRenderVerifyEmailWithoutLink(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	for _, locale := range messages.Locales() {
		m := codeMessage(security.PurposeVerifyEmail, locale)
		m.Link = ""
		out, err := r.Render(m)
		require.NoError(t, err)
		assert.Contains(t, out.Text, testCode)
		assert.NotContains(t, out.HTML, "<a ")
		assert.NotContains(t, out.Text, "http")
	}
}

func TestRenderNotices(t *testing.T) {
	r := newRenderer(t, messages.Options{Location: time.FixedZone("CST", 8*3600)})
	for _, locale := range messages.Locales() {
		for _, p := range noticePurposes {
			t.Run(locale+"/"+string(p), func(t *testing.T) {
				// A stray code or link on a notice is never shown.
				m := security.Message{Channel: security.ChannelEmail, To: "alice@example.com", Purpose: p, Locale: locale,
					Time: issued, Code: testCode, Link: testLink}
				out, err := r.Render(m)
				require.NoError(t, err)
				when := "4 Mar 2026 13:06 CST"
				notYou := localeWords[locale].notYou
				if isChinese(locale) {
					when = "2026年3月4日 13:06 CST"
				}
				for part, s := range map[string]string{"sms": out.SMS, "subject": out.Subject, "text": out.Text, "html": out.HTML} {
					assert.NotEmpty(t, strings.TrimSpace(s), part)
					assert.Contains(t, s, "Acme", part)
					assert.NotContains(t, s, testCode, part)
					assert.NotContains(t, s, "token", part)
					assert.Equal(t, isChinese(locale), hasHan(s), part)
				}
				for part, s := range map[string]string{"sms": out.SMS, "text": out.Text, "html": out.HTML} {
					assert.Contains(t, s, when, "%s says when", part)
					assert.Contains(t, s, notYou, "%s says what to do if it was not you", part)
				}
			})
		}
	}
}

func TestRenderPayPasswordLocked(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	m := security.Message{Purpose: security.PurposePayPasswordLocked, Locale: "en", Time: issued}
	out, err := r.Render(m)
	require.NoError(t, err)
	assert.Contains(t, out.Text, "until you reset it")

	m.LockedUntil = issued.Add(30 * time.Minute)
	out, err = r.Render(m)
	require.NoError(t, err)
	assert.Contains(t, out.Text, "It unlocks on 4 Mar 2026 05:36 UTC.")
	assert.NotContains(t, out.Text, "until you reset it")

	m.Locale = "zh"
	out, err = r.Render(m)
	require.NoError(t, err)
	assert.Contains(t, out.SMS, "将于 2026年3月4日 05:36 UTC 自动解锁")

	m.Locale = "zh-Hant"
	out, err = r.Render(m)
	require.NoError(t, err)
	assert.Contains(t, out.SMS, "將於 2026年3月4日 05:36 UTC 自動解鎖")
}

func TestRenderSupportAndNow(t *testing.T) {
	now := time.Date(2027, 7, 8, 9, 10, 0, 0, time.UTC)
	r := newRenderer(t, messages.Options{Support: "400-800-0000", Now: func() time.Time { return now }})
	out, err := r.Render(security.Message{Purpose: security.PurposePasswordChanged, Locale: "en"})
	require.NoError(t, err)
	assert.Contains(t, out.Text, "contact 400-800-0000")
	assert.Contains(t, out.Text, "8 Jul 2027 09:10 UTC", "a zero Time shows Options.Now")
	out, err = r.Render(security.Message{Purpose: security.PurposePasswordChanged, Locale: "zh-CN"})
	require.NoError(t, err)
	assert.Contains(t, out.Text, "客服（400-800-0000）")
	out, err = r.Render(security.Message{Purpose: security.PurposePasswordChanged, Locale: "zh-TW"})
	require.NoError(t, err)
	assert.Contains(t, out.Text, "聯絡客服（400-800-0000）")
	out, err = r.Render(security.Message{Purpose: security.PurposePasswordChanged, Locale: "zh-HK"})
	require.NoError(t, err)
	assert.Contains(t, out.Text, "聯絡客戶服務（400-800-0000）")
}

func TestRenderTTLWords(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	tests := []struct {
		ttl          time.Duration
		en, zh, hant string
	}{
		{30 * time.Second, "1 minute.", "1分钟", "1分鐘"},
		{5*time.Minute + time.Second, "6 minutes", "6分钟", "6分鐘"},
		{90 * time.Minute, "90 minutes", "90分钟", "90分鐘"},
		{2 * time.Hour, "2 hours", "2小时", "2小時"},
		{24 * time.Hour, "1 day.", "1天", "1天"},
		{48 * time.Hour, "2 days", "2天", "2天"},
	}
	for _, tt := range tests {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			m := codeMessage(security.PurposeForgotPassword, "en")
			m.TTL = tt.ttl
			out, err := r.Render(m)
			require.NoError(t, err)
			assert.Contains(t, out.SMS, tt.en)
			m.Locale = "zh-CN"
			out, err = r.Render(m)
			require.NoError(t, err)
			assert.Contains(t, out.SMS, tt.zh)
			for _, locale := range []string{"zh-TW", "zh-HK"} {
				m.Locale = locale
				out, err = r.Render(m)
				require.NoError(t, err)
				assert.Contains(t, out.SMS, tt.hant, locale)
			}
		})
	}
}

func TestRenderLocaleFallback(t *testing.T) {
	tests := []struct {
		def, msgLocale, want string
	}{
		{"", "", "zh-CN"},  // default default is zh-CN
		{"en", "", "en"},   // configured default
		{"en", "fr", "en"}, // unsupported -> default
		{"en", "zh_CN", "zh-CN"},
		{"zh-CN", "en-US", "en"},
		{"zh-Hans", "de", "zh-CN"},
		{"zh-TW", "", "zh-TW"},
		{"zh-Hant-HK", "fr", "zh-HK"},
		{"en", "zh-Hant", "zh-TW"},
		{"en", "zh-MO", "zh-HK"},
		{"zh-HK", "zh-SG", "zh-CN"},
	}
	for _, tt := range tests {
		t.Run(tt.def+"/"+tt.msgLocale, func(t *testing.T) {
			r := newRenderer(t, messages.Options{DefaultLocale: tt.def})
			out, err := r.Render(codeMessage(security.PurposeBindPhone, tt.msgLocale))
			require.NoError(t, err)
			assert.Equal(t, isChinese(tt.want), hasHan(out.Text))
			assert.Contains(t, out.HTML, `<html lang="`+tt.want+`">`)
		})
	}
}

func TestRenderRefusesBadMessages(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	secret := "SeCrEt-998877"
	tests := []struct {
		name   string
		mutate func(m *security.Message)
	}{
		{"unknown purpose", func(m *security.Message) { m.Purpose = "launch_rockets" }},
		{"missing code", func(m *security.Message) { m.Code = "" }},
		{"code with space", func(m *security.Message) { m.Code = secret + " x" }},
		{"code with markup", func(m *security.Message) { m.Code = "<b>" + secret }},
		{"code with newline", func(m *security.Message) { m.Code = secret + "\r\nBcc: x@evil.example" }},
		{"zero TTL", func(m *security.Message) { m.TTL = 0 }},
		{"javascript link", func(m *security.Message) { m.Link = "javascript:alert('" + secret + "')" }},
		{"relative link", func(m *security.Message) { m.Link = "/verify?t=" + secret }},
		{"link with newline", func(m *security.Message) { m.Link = "https://acme.example/?t=" + secret + "\nInjected" }},
		{"link with space", func(m *security.Message) { m.Link = "https://acme.example/ " + secret }},
		{"link with userinfo", func(m *security.Message) { m.Link = "https://" + secret + "@evil.example/" }},
		{"link on another purpose", func(m *security.Message) {
			m.Purpose = security.PurposeForgotPassword
			m.Link = "https://acme.example/?t=" + secret
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := codeMessage(security.PurposeVerifyEmail, "en")
			m.Code = secret
			tt.mutate(&m)
			_, err := r.Render(m)
			require.Error(t, err)
			assert.True(t, errors.Is(err, messages.ErrInvalidMessage), err)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestHTMLEscaping(t *testing.T) {
	hostileApp := `Acme<script>alert(1)</script>"'&`
	r := newRenderer(t, messages.Options{AppName: hostileApp, Support: `<img src=x onerror=alert(2)>`})
	hostileLink := `https://acme.example/verify?t=1"><script>alert(3)</script><a%20href="`
	m := codeMessage(security.PurposeVerifyEmail, "en")
	m.Link = hostileLink
	out, err := r.Render(m)
	require.NoError(t, err)
	assert.NotContains(t, out.HTML, "<script>")
	assert.NotContains(t, out.HTML, `"><script`)
	assert.NotContains(t, out.HTML, `alert(3)</script>`)
	assert.Contains(t, out.HTML, "Acme&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Equal(t, 1, strings.Count(out.HTML, "<a "), "only the layout's own link")
	// The text forms are not HTML and keep the values as they are.
	assert.Contains(t, out.Text, hostileApp)
	assert.Contains(t, out.SMS, hostileApp)

	notice, err := r.Render(security.Message{Purpose: security.PurposePhoneBound, Locale: "en", Time: issued})
	require.NoError(t, err)
	assert.NotContains(t, notice.HTML, "<img")
	assert.Contains(t, notice.HTML, "&lt;img src=x onerror=alert(2)&gt;")
}

func TestOverrides(t *testing.T) {
	r := newRenderer(t, messages.Options{Overrides: []messages.Override{
		{Purpose: security.PurposeForgotPassword, SMS: "[{{.AppName}}] reset code {{.Code}}, valid {{.TTLMinutes}} min. Staff never ask for it."},
		{Purpose: security.PurposeForgotPassword, Locale: "zh", SMS: "【{{.AppName}}】重置密码验证码{{.Code}}，{{.TTLMinutes}}分钟内有效，请勿告诉任何人。"},
		{Purpose: security.PurposeVerifyEmail, Locale: "en", Subject: "Confirm {{.AppName}} now {{.Code}}{{.Link}}",
			HTML: `<p title="{{.AppName}}">{{.Code}} <a href="{{.Link}}">go</a></p><script>var app = {{.AppName}};</script>`},
	}, AppName: `Ac"me</script>`})

	out, err := r.Render(codeMessage(security.PurposeForgotPassword, "en"))
	require.NoError(t, err)
	assert.Equal(t, `[Ac"me</script>] reset code 307519, valid 10 min. Staff never ask for it.`, out.SMS)
	assert.Contains(t, out.Text, "Someone, hopefully you", "fields left empty keep the default")

	out, err = r.Render(codeMessage(security.PurposeForgotPassword, "zh-CN"))
	require.NoError(t, err)
	assert.Equal(t, `【Ac"me</script>】重置密码验证码307519，10分钟内有效，请勿告诉任何人。`, out.SMS, "a locale override wins")

	out, err = r.Render(codeMessage(security.PurposeVerifyEmail, "en"))
	require.NoError(t, err)
	assert.Equal(t, `Confirm Ac"me</script> now`, out.Subject, "subjects never get the code or link")
	assert.Contains(t, out.HTML, `title="Ac&#34;me&lt;/script&gt;"`)
	assert.Contains(t, out.HTML, `var app = "Ac\"me\u003c/script\u003e";`)
	assert.Contains(t, out.HTML, html.EscapeString(testLink))

	zh, err := r.Render(codeMessage(security.PurposeVerifyEmail, "zh-CN"))
	require.NoError(t, err)
	assert.Contains(t, zh.Subject, "请验证您的邮箱地址", "the en-only override leaves zh-CN alone")
}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts messages.Options
	}{
		{"no app name", messages.Options{}},
		{"app name with newline", messages.Options{AppName: "Acme\r\nBcc: x"}},
		{"app name too long", messages.Options{AppName: strings.Repeat("a", 65)}},
		{"support with newline", messages.Options{AppName: "Acme", Support: "a\nb"}},
		{"unsupported default", messages.Options{AppName: "Acme", DefaultLocale: "fr"}},
		{"unknown purpose", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: "nope", SMS: "x"}}}},
		{"unsupported locale", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposeBindPhone, Locale: "fr", SMS: "{{.Code}}"}}}},
		{"parse error", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposeBindPhone, Text: "{{.Code"}}}},
		{"html parse error", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposeBindPhone, HTML: "<a href='{{.Code}}"}}}},
		{"unknown field", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposePhoneBound, SMS: "{{.Phone}}"}}}},
		{"sms without code", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposeBindPhone, SMS: "Your code is on its way"}}}},
		{"html without code", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposeConfirmPhone, Locale: "en", HTML: "<p>hi</p>"}}}},
		{"text without link", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposeVerifyEmail, Text: "code {{.Code}}"}}}},
		{"two-line subject", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposePhoneBound, Subject: "a\nBcc: x@evil.example"}}}},
		{"empty subject", messages.Options{AppName: "Acme", Overrides: []messages.Override{{Purpose: security.PurposePhoneBound, Subject: "{{if false}}x{{end}}"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := messages.New(tt.opts)
			require.Error(t, err)
			assert.Nil(t, r)
			assert.True(t, strings.HasPrefix(err.Error(), "messages: "), err.Error())
		})
	}
}

func TestRenderConcurrently(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				p := messages.Purposes()[(i+j)%len(messages.Purposes())]
				m := codeMessage(p, []string{"en", "zh-CN"}[j%2])
				out, err := r.Render(m)
				assert.NoError(t, err)
				assert.NotEmpty(t, out.HTML)
			}
		}()
	}
	wg.Wait()
}
