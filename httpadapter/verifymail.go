package httpadapter

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/acctsec/security"
)

// The emailed link, GET /web/userservice/security/verifyMail?token=...,
// changes nothing: mail scanners and link previews open every link in a
// message, so a link that verified on GET would verify for them. It answers
// a confirmation page whose form POSTs the token back to the same path, and
// only that POST spends it. The GET does not touch the store either: a
// scanner's requests cost nothing, count no try, and learn nothing about
// the token (the POST is where it is checked).
//
// The page is served with Referrer-Policy: no-referrer, so its form's POST
// carries Origin: null. Browsers that send Sec-Fetch-Site (all current
// ones) pass the cross-origin check on it; older ones (Safari before 16.4)
// are refused, and their users verify with the emailed code instead.

// maxTokenLen bounds a link token; the Service's are 47 characters (a
// 4-character shard tag, then 32 random bytes).
const maxTokenLen = 128

// validToken reports whether tok has the shape of a link token: 1 to 128
// characters of the unpadded base64url alphabet. It says nothing about
// whether the token is live.
func validToken(tok string) bool {
	if tok == "" || len(tok) > maxTokenLen {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// verifyMailLinkPage serves GET and HEAD of the link: the confirmation page,
// or, for an API client that accepts JSON and not HTML, "200" success,
// which tells it to POST the token. Neither spends or checks the token.
func verifyMailLinkPage(h *Handler, c *call) error {
	tok := c.p.get("token")
	if !validToken(tok) {
		return security.ErrInvalidCode
	}
	if !wantsPage(c.r) {
		return nil
	}
	h.writeConfirmPage(c.w, c.r, tok)
	c.written = true
	return nil
}

// checkVerifyMailPost takes either token (the link's) or email and message
// (the code), never both and never neither.
func checkVerifyMailPost(p *params) error {
	hasToken := p.given("token")
	hasEmail, hasCode := p.given("email"), p.given("message")
	switch {
	case hasToken && (hasEmail || hasCode):
		return &argError{kind: argUnknown}
	case hasToken:
		return nil
	case !hasEmail && !hasCode:
		return &argError{kind: argMissing, name: "token"}
	case !hasEmail:
		return &argError{kind: argMissing, name: "email"}
	case !hasCode:
		return &argError{kind: argMissing, name: "message"}
	}
	return nil
}

// verifyMailPost serves POST: the token posted by the confirmation page (or
// an API client), or the emailed code with its address. The page's own
// form gets an HTML result page; everyone else the envelope.
func verifyMailPost(h *Handler, c *call) error {
	var err error
	switch tok := c.p.get("token"); {
	case tok != "" && c.userID != "":
		err = h.svc.VerifyEmailToken(c.ctx, c.userID, tok)
	case tok != "":
		err = h.svc.VerifyPublicEmailToken(c.ctx, tok)
	case c.userID != "":
		err = h.svc.VerifyEmailCode(c.ctx, c.userID, c.p.get("email"), c.p.get("message"))
	default:
		err = h.svc.VerifyPublicEmailCode(c.ctx, c.p.get("email"), c.p.get("message"))
	}
	if err != nil {
		return err
	}
	if postedFromPage(c.r) {
		h.writeResultPage(c.w, c.r, http.StatusOK, "")
		c.written = true
	}
	return nil
}

// wantsPage reports whether a GET of the link should get the HTML page:
// always, except for a client whose Accept admits application/json and not
// text/html. A request without Accept (a browser always sends one; a
// scanner may not) gets the page, which is harmless.
func wantsPage(r *http.Request) bool {
	return !(accepts(r, "application/json") && !accepts(r, "text/html"))
}

// postedFromPage reports whether a POST comes from the confirmation page's
// form: a urlencoded body from a client that accepts text/html.
func postedFromPage(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded" && accepts(r, "text/html")
}

// maxAcceptEntries bounds the work done on a hostile Accept header.
const maxAcceptEntries = 32

// accepts reports whether r's Accept header names mediaType exactly, with a
// q-value above zero. Wildcards do not count: the choice between the page
// and the envelope follows what a client names.
func accepts(r *http.Request, mediaType string) bool {
	n := 0
	for _, line := range r.Header.Values("Accept") {
		for entry := range strings.SplitSeq(line, ",") {
			if n++; n > maxAcceptEntries {
				return false
			}
			name, rest, _ := strings.Cut(entry, ";")
			if !strings.EqualFold(strings.TrimSpace(name), mediaType) {
				continue
			}
			if acceptQ(rest) > 0 {
				return true
			}
		}
	}
	return false
}

// acceptQ returns the q parameter of an Accept entry's parameters, 1 when
// absent, 0 when malformed.
func acceptQ(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				return 0
			}
			return q
		}
	}
	return 1
}
