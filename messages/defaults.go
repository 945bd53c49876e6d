package messages

import (
	"strings"

	"github.com/acctsec/security"
)

// localeTexts are the pieces the default templates of one locale are built
// from. Pieces are template sources themselves ({{.AppName}}, {{.TTL}} ...)
// and hold no HTML-special characters, so one piece serves the text and the
// HTML layouts alike; the HTML template escapes every value it prints.
type localeTexts struct {
	codes   map[security.Purpose]codeTexts
	notices map[security.Purpose]noticeTexts

	codeSMS   string // %action%
	noticeSMS string // %what% %ifnotyou%

	greeting     string
	codeIntro    string // %action%
	linkIntro    string
	linkButton   string
	linkFallback string
	ttl          string
	ttlWithLink  string
	never        string
	ignore       string
	noticeFooter string
	signoff      string

	// fonts is the CSS font-family list of the HTML layout.
	fonts string
	// timeLayout formats times (time.Format); unitSep goes between a
	// number and its unit.
	timeLayout        string
	unitSep           string
	minute, hour, day unitWords
}

type codeTexts struct {
	subject string
	action  string
}

type noticeTexts struct {
	subject  string
	what     string
	ifNotYou string
}

// tables holds the texts of every supported locale.
var tables = map[string]*localeTexts{
	LocaleZhCN: &zhCN,
	LocaleZhTW: &zhTW,
	LocaleZhHK: &zhHK,
	LocaleEn:   &en,
}

// textsFor returns the texts of a supported locale (English for any other).
func textsFor(locale string) *localeTexts {
	if t, ok := tables[locale]; ok {
		return t
	}
	return &en
}

// defaultSources builds the default templates of p in locale.
func defaultSources(p security.Purpose, locale string) sources {
	t := textsFor(locale)
	if c, ok := t.codes[p]; ok {
		fill := strings.NewReplacer("%action%", c.action).Replace
		ttl := t.ttl
		if p == security.PurposeVerifyEmail {
			ttl = t.ttlWithLink
		}
		return sources{
			SMS:     fill(t.codeSMS),
			Subject: c.subject,
			Text:    fill(codeText(t, ttl, p == security.PurposeVerifyEmail)),
			HTML:    fill(codeHTML(t, ttl, p == security.PurposeVerifyEmail)),
		}
	}
	n := t.notices[p]
	return sources{
		SMS:     strings.NewReplacer("%what%", n.what, "%ifnotyou%", n.ifNotYou).Replace(t.noticeSMS),
		Subject: n.subject,
		Text:    noticeText(t, n),
		HTML:    noticeHTML(t, n),
	}
}

func codeText(t *localeTexts, ttl string, link bool) string {
	var b strings.Builder
	b.WriteString(t.greeting + "\n\n" + t.codeIntro + "\n\n    {{.Code}}\n\n")
	if link {
		b.WriteString("{{if .Link}}" + t.linkIntro + "\n{{.Link}}\n\n{{end}}")
	}
	b.WriteString(ttl + "\n\n" + t.never + "\n\n" + t.ignore + "\n\n" + t.signoff + "\n")
	return b.String()
}

func noticeText(t *localeTexts, n noticeTexts) string {
	return t.greeting + "\n\n" + n.what + "\n\n" + n.ifNotYou + "\n\n" + t.noticeFooter + "\n\n" + t.signoff + "\n"
}

const (
	htmlHead = `<!DOCTYPE html>
<html lang="{{.Locale}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="margin:0;padding:24px 12px;background:#f4f5f7;color:#1f2328;font-family:%fonts%">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px 32px;font-size:15px;line-height:1.6">
<p style="margin:0 0 16px;font-size:18px;font-weight:600">{{.AppName}}</p>
`
	htmlTail = `</div>
</body>
</html>
`
	htmlCode   = `<p style="margin:16px 0;font-size:30px;font-weight:700;letter-spacing:6px;font-family:Menlo,Consolas,monospace">{{.Code}}</p>` + "\n"
	htmlButton = `<p><a href="{{.Link}}" style="display:inline-block;padding:10px 20px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px">%s</a></p>` + "\n"
	htmlMuted  = `<p style="color:#57606a;font-size:13px">%s</p>` + "\n"
)

func codeHTML(t *localeTexts, ttl string, link bool) string {
	var b strings.Builder
	b.WriteString(head(t))
	b.WriteString(para(t.greeting) + para(t.codeIntro) + htmlCode)
	if link {
		b.WriteString("{{if .Link}}" + para(t.linkIntro) +
			strings.Replace(htmlButton, "%s", t.linkButton, 1) +
			`<p style="color:#57606a;font-size:13px;word-break:break-all">` + t.linkFallback + "<br>{{.Link}}</p>\n{{end}}")
	}
	b.WriteString(para(ttl) + "<p><strong>" + t.never + "</strong></p>\n")
	b.WriteString(strings.Replace(htmlMuted, "%s", t.ignore, 1) + para(t.signoff) + htmlTail)
	return b.String()
}

func noticeHTML(t *localeTexts, n noticeTexts) string {
	return head(t) + para(t.greeting) + para(n.what) + "<p><strong>" + n.ifNotYou + "</strong></p>\n" +
		strings.Replace(htmlMuted, "%s", t.noticeFooter, 1) + para(t.signoff) + htmlTail
}

func head(t *localeTexts) string { return strings.Replace(htmlHead, "%fonts%", t.fonts, 1) }

func para(s string) string { return "<p>" + s + "</p>\n" }
