package messages_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/internal/hanzi"
	"github.com/acctsec/security/messages"
)

// regionalTerms are words one Chinese locale writes and another must not:
// Taiwan's 簡訊 is Hong Kong's 短訊, 帳戶 is 賬戶, 手機 is 手提電話, 電子郵件 is
// 電郵, 身分 is 身份.
var regionalTerms = map[string][]string{
	messages.LocaleZhTW: {"短訊", "賬戶", "手提電話", "電郵", "身份", "保安"},
	messages.LocaleZhHK: {"簡訊", "帳戶", "手機", "電子郵件", "身分"},
	messages.LocaleZhCN: {"簡訊", "短訊", "帳戶"},
}

// TestChineseScripts renders every default text of every purpose, with a
// link, a lock time and a Support contact, and checks that zh-CN is written
// in Simplified characters only, zh-TW and zh-HK in Traditional characters
// only, and each with its region's words.
func TestChineseScripts(t *testing.T) {
	r := newRenderer(t, messages.Options{Support: "400-800-0000"})
	for _, locale := range []string{messages.LocaleZhCN, messages.LocaleZhTW, messages.LocaleZhHK} {
		for _, p := range messages.Purposes() {
			t.Run(locale+"/"+string(p), func(t *testing.T) {
				m := codeMessage(p, locale)
				if p.IsNotice() {
					m.Code, m.Link = "", ""
					m.LockedUntil = issued.Add(time.Hour)
				}
				if p != security.PurposeVerifyEmail {
					m.Link = ""
				}
				out, err := r.Render(m)
				require.NoError(t, err)
				for part, s := range map[string]string{"sms": out.SMS, "subject": out.Subject, "text": out.Text, "html": out.HTML} {
					if locale == messages.LocaleZhCN {
						assert.Empty(t, hanzi.TraditionalOnly(s), "%s has Traditional characters: %s", part, s)
					} else {
						assert.Empty(t, hanzi.SimplifiedOnly(s), "%s has Simplified characters: %s", part, s)
					}
					for _, w := range regionalTerms[locale] {
						assert.NotContains(t, s, w, "%s is not %s usage", part, locale)
					}
				}
			})
		}
	}
}

// TestHongKongWording: zh-HK is not zh-TW under another name; its SMS says
// 短訊 and its phone is a 手提電話, where zh-TW says 簡訊 and 手機.
func TestHongKongWording(t *testing.T) {
	r := newRenderer(t, messages.Options{})
	tw, err := r.Render(codeMessage(security.PurposeConfirmPhone, "zh-Hant-TW"))
	require.NoError(t, err)
	hk, err := r.Render(codeMessage(security.PurposeConfirmPhone, "zh-Hant-HK"))
	require.NoError(t, err)
	assert.Contains(t, tw.Text, "簡訊")
	assert.Contains(t, tw.SMS, "手機")
	assert.Contains(t, tw.Text, "帳戶")
	assert.Contains(t, hk.Text, "短訊")
	assert.Contains(t, hk.SMS, "手提電話")
	assert.Contains(t, hk.Text, "賬戶")
	assert.Contains(t, tw.HTML, `lang="zh-TW"`)
	assert.Contains(t, hk.HTML, `lang="zh-HK"`)
	assert.Contains(t, hk.HTML, "PingFang HK")

	mo, err := r.Render(codeMessage(security.PurposeConfirmPhone, "zh-MO"))
	require.NoError(t, err)
	assert.Equal(t, hk, mo, "Macau reads the Hong Kong texts")
}
