package httpadapter

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security/messages"
)

// pageText is the wording of the email-link pages in one language.
type pageText struct {
	Title    string // the confirmation page's title and heading
	Lead     string // what the page is
	Action   string // what confirming does
	Button   string
	NotYou   string // what to do if the reader did not ask for it
	Done     string // heading after a successful confirmation
	DoneLead string
	Failed   string // heading after a failed one; the error's msg follows
}

// pageTexts holds the email-link pages' wording by locale tag. Another
// language is one more entry; a locale without one reads English.
var pageTexts = map[string]pageText{
	messages.LocaleEn: {
		Title: "Confirm your email address",
		Lead:  "You opened a link to confirm an email address.",
		Action: "Confirming verifies this address: it is bound to the account that asked for this message, " +
			"or marked verified on the account that already has it.",
		Button:   "Confirm this address",
		NotYou:   "If you did not ask for this, close this page and ignore the message. Nothing changes unless you press the button.",
		Done:     "Email address confirmed",
		DoneLead: "The address is now verified on the account. You can close this page.",
		Failed:   "The address was not confirmed",
	},
	messages.LocaleZhCN: {
		Title:    "确认邮箱地址",
		Lead:     "您打开了一个用于确认邮箱地址的链接。",
		Action:   "确认后，该邮箱地址将绑定到发起此邮件的账户，或在已使用该地址的账户上标记为已验证。",
		Button:   "确认此邮箱地址",
		NotYou:   "如果这不是您本人的操作，请关闭本页并忽略该邮件。不点击按钮，什么都不会改变。",
		Done:     "邮箱地址已确认",
		DoneLead: "该地址已在账户上验证，您可以关闭本页。",
		Failed:   "邮箱地址未能确认",
	},
	messages.LocaleZhTW: {
		Title:    "確認電子郵件地址",
		Lead:     "您開啟了一個用於確認電子郵件地址的連結。",
		Action:   "確認後，此電子郵件地址將綁定到發出這封郵件的帳戶，或在已使用此地址的帳戶上標記為已驗證。",
		Button:   "確認此電子郵件地址",
		NotYou:   "如果這不是您本人的操作，請關閉本頁並忽略這封郵件。不按下按鈕，什麼都不會改變。",
		Done:     "電子郵件地址已確認",
		DoneLead: "此地址已在帳戶上驗證，您可以關閉本頁。",
		Failed:   "電子郵件地址未能確認",
	},
	messages.LocaleZhHK: {
		Title:    "確認電郵地址",
		Lead:     "你開啟了一個用於確認電郵地址的連結。",
		Action:   "確認後，此電郵地址將綁定到發出這封電郵的賬戶，或在已使用此地址的賬戶上標示為已驗證。",
		Button:   "確認此電郵地址",
		NotYou:   "如果這不是你本人的操作，請關閉本頁並忽略這封電郵。不按下按鈕，甚麼都不會改變。",
		Done:     "電郵地址已確認",
		DoneLead: "此地址已在賬戶上驗證，你可以關閉本頁。",
		Failed:   "電郵地址未能確認",
	},
}

// pageTextFor returns the wording for locale and the tag it is in: the
// entry of locale itself, else the first (by tag) of the same language, so
// that a Chinese reader of a locale without an entry still reads Chinese,
// else English.
func pageTextFor(locale string) (pageText, string) {
	if t, ok := pageTexts[locale]; ok {
		return t, locale
	}
	lang, _, _ := strings.Cut(locale, "-")
	best := ""
	for tag := range pageTexts {
		if l, _, _ := strings.Cut(tag, "-"); lang != "" && strings.EqualFold(l, lang) && (best == "" || tag < best) {
			best = tag
		}
	}
	if best != "" {
		return pageTexts[best], best
	}
	return pageTexts[messages.LocaleEn], messages.LocaleEn
}

// pageCSS is the pages' only style, inline; the Content-Security-Policy
// admits it by hash and nothing else.
const pageCSS = `body{margin:0;padding:1rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;` +
	`color:#1f2328;background:#f6f8fa}main{max-width:32rem;margin:2rem auto;padding:2rem;background:#fff;` +
	`border:1px solid #d0d7de;border-radius:8px}h1{font-size:1.4rem;margin:0 0 1rem}` +
	`button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}` +
	`.note{color:#59636e;font-size:.9rem}`

// pageCSP forbids every fetch, script, frame and base URL; the form may only
// post to this origin, and no other site may frame the page.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}()

// The form's action is relative: the page's own URL ends in /verifyMail, so
// it resolves to the same path under any mount, without the query string.
var pageTemplate = template.Must(template.New("verifyMail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{if .Confirm}}{{.T.Title}}{{else if .Msg}}{{.T.Failed}}{{else}}{{.T.Done}}{{end}}</title>
<style>` + pageCSS + `</style>
</head>
<body>
<main>
{{- if .Confirm}}
<h1>{{.T.Title}}</h1>
<p>{{.T.Lead}}</p>
<p>{{.T.Action}}</p>
<form method="post" action="verifyMail">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit">{{.T.Button}}</button>
</form>
<p class="note">{{.T.NotYou}}</p>
{{- else if .Msg}}
<h1>{{.T.Failed}}</h1>
<p>{{.Msg}}</p>
{{- else}}
<h1>{{.T.Done}}</h1>
<p>{{.T.DoneLead}}</p>
{{- end}}
</main>
</body>
</html>
`))

// pageData fills pageTemplate: the confirmation form when Confirm, else a
// result, failed when Msg is set.
type pageData struct {
	Lang    string
	T       pageText
	Confirm bool
	Token   string
	Msg     string
}

// writeConfirmPage answers the link's GET (or HEAD) with the confirmation
// page carrying tok in its form.
func (h *Handler) writeConfirmPage(w http.ResponseWriter, r *http.Request, tok string) {
	t, lang := pageTextFor(h.localeOf(r))
	h.writePage(w, r, http.StatusOK, pageData{Lang: lang, T: t, Confirm: true, Token: tok})
}

// writeResultPage answers a POST from the confirmation page: success when
// msg is "", else the error's msg.
func (h *Handler) writeResultPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	t, lang := pageTextFor(h.localeOf(r))
	h.writePage(w, r, status, pageData{Lang: lang, T: t, Msg: msg})
}

// failPage answers err with the result page, as fail does with the
// envelope: the same code (as the HTTP status, unless AlwaysHTTP200), msg
// and Retry-After, and the same log record.
func (h *Handler) failPage(w http.ResponseWriter, r *http.Request, route string, err error) {
	o := classify(err, langOf(h.localeOf(r)))
	if o.retryAfter > 0 {
		secs := (o.retryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	if o.key == "body_too_large" {
		w.Header().Set("Connection", "close")
	}
	status, convErr := strconv.Atoi(o.code)
	if convErr != nil || h.always200 {
		status = http.StatusOK
	}
	h.writeResultPage(w, r, status, o.msg)
	h.logResult(r, route, o.code, o.key, err)
}

func (h *Handler) writePage(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		h.fail(w, r, langOf(h.localeOf(r)), "verify_mail_page", err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes()) //nolint:errcheck // the client is gone; nothing to do
	}
}
