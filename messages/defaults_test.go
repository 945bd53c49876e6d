package messages

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
)

// TestDefaultTablesCoverEveryPurposeAndLocale fails when a locale has no
// table, when a table lacks a purpose (a missing entry would otherwise
// render as empty pieces) or carries one the package does not know, and
// when a default text drops the code or link placeholder.
func TestDefaultTablesCoverEveryPurposeAndLocale(t *testing.T) {
	assert.Len(t, tables, len(Locales()), "one table per locale, no stray table")
	for _, locale := range Locales() {
		lt, ok := tables[locale]
		require.True(t, ok, "no texts for %s", locale)
		for p := range lt.codes {
			assert.True(t, isPurpose(p) && !p.IsNotice(), "%s: code texts for %s", locale, p)
		}
		for p := range lt.notices {
			assert.True(t, isPurpose(p) && p.IsNotice(), "%s: notice texts for %s", locale, p)
		}
		for _, piece := range []string{lt.codeSMS, lt.noticeSMS, lt.greeting, lt.codeIntro, lt.linkIntro,
			lt.linkButton, lt.linkFallback, lt.ttl, lt.ttlWithLink, lt.never, lt.ignore, lt.noticeFooter,
			lt.signoff, lt.fonts, lt.timeLayout, lt.minute.one, lt.hour.one, lt.day.many} {
			assert.NotEmpty(t, piece, "%s: a shared piece is empty", locale)
		}
		for _, p := range Purposes() {
			t.Run(locale+"/"+string(p), func(t *testing.T) {
				src := defaultSources(p, locale)
				if p.IsNotice() {
					n, ok := lt.notices[p]
					require.True(t, ok, "no notice texts")
					for _, s := range []string{n.subject, n.what, n.ifNotYou} {
						assert.NotEmpty(t, s)
					}
					for part, s := range map[string]string{"sms": src.SMS, "subject": src.Subject, "text": src.Text, "html": src.HTML} {
						assert.NotContains(t, s, "{{.Code}}", part)
						assert.NotContains(t, s, "{{.Link}}", part)
						assert.Contains(t, s, "{{.AppName}}", part)
					}
					for part, s := range map[string]string{"sms": src.SMS, "text": src.Text, "html": src.HTML} {
						assert.Contains(t, s, "{{.Time}}", "%s says when", part)
					}
					return
				}
				c, ok := lt.codes[p]
				require.True(t, ok, "no code texts")
				assert.NotEmpty(t, c.subject)
				assert.NotEmpty(t, c.action)
				for part, s := range map[string]string{"sms": src.SMS, "text": src.Text, "html": src.HTML} {
					assert.Contains(t, s, "{{.Code}}", part)
					assert.Contains(t, s, "{{.TTL}}", "%s says how long the code lasts", part)
					assert.NotContains(t, s, "%action%", part)
				}
				assert.NotContains(t, src.Subject, "{{.Code}}")
				assert.NotContains(t, src.Subject, "{{.Link}}")
				assert.NotContains(t, src.SMS, "{{.Link}}", "SMS never carries a link")
				if p == security.PurposeVerifyEmail {
					assert.Contains(t, src.Text, "{{.Link}}")
					assert.Contains(t, src.HTML, `href="{{.Link}}"`)
				} else {
					assert.NotContains(t, src.Text, "{{.Link}}")
					assert.NotContains(t, src.HTML, "{{.Link}}")
				}
				assert.False(t, strings.Contains(src.HTML, "%fonts%"), "the layout got its fonts")
			})
		}
	}
}
