package httpadapter_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// browserAccept is what a browser sends when it navigates.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// stateSpy fails nothing but records every call to the state the email
// link spends or counts: tickets, codes, throttles and lockouts.
type stateSpy struct {
	security.Store
	mu    sync.Mutex
	calls []string
}

func (s *stateSpy) rec(name string) {
	s.mu.Lock()
	s.calls = append(s.calls, name)
	s.mu.Unlock()
}

func (s *stateSpy) reset() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

func (s *stateSpy) GetTicket(ctx context.Context, id string, now time.Time) (*security.Ticket, error) {
	s.rec("GetTicket")
	return s.Store.GetTicket(ctx, id, now)
}

func (s *stateSpy) TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (*security.Ticket, error) {
	s.rec("TakeTicket")
	return s.Store.TakeTicket(ctx, id, now, verified)
}

func (s *stateSpy) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	s.rec("VerifyCode")
	return s.Store.VerifyCode(ctx, now, c)
}

func (s *stateSpy) Count(ctx context.Context, now time.Time, hits []security.Hit) ([]security.Tally, error) {
	s.rec("Count")
	return s.Store.Count(ctx, now, hits)
}

// mailHarness is a harness whose store is spied on, with alice holding an
// unverified address.
func mailHarness(t *testing.T, opts httpadapter.Options) (*harness, *stateSpy) {
	t.Helper()
	spy := &stateSpy{}
	hs := newHarness(t, harnessConfig{opts: opts, store: func(m *memstore.Store) security.Store {
		spy.Store = m
		return spy
	}})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone, Email: aliceEmail})
	return hs, spy
}

// linkToken sends a verification message (signed in as user, or public
// when "") and returns its link's token.
func (hs *harness) linkToken(user, email string) string {
	hs.t.Helper()
	expect(hs.t, hs.do(http.MethodPost, pSendMail, encForm, user, kv{{"email", email}}), "200", "success")
	link, err := url.Parse(hs.nextCode(security.PurposeVerifyEmail).msg.Link)
	require.NoError(hs.t, err)
	tok := link.Query().Get("token")
	require.NotEmpty(hs.t, tok)
	return tok
}

func (hs *harness) emailVerified() bool {
	hs.t.Helper()
	st, err := hs.svc.Status(context.Background(), alice)
	require.NoError(hs.t, err)
	return st.EmailVerified
}

// linkRequest is the GET a mail client, a scanner or a browser sends for
// the link; headers are set in pairs.
func linkRequest(method, token string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, pVerifyMail+"?token="+url.QueryEscape(token), nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

// pagePost is the confirmation page's form submitted by a browser: same
// origin (a no-referrer page's POST carries Origin: null).
func pagePost(token string, headers ...string) *http.Request {
	return pageFormPost(url.Values{"token": {token}}, headers...)
}

// pageFormPost is a urlencoded form of fields posted by a browser as the
// confirmation page's form is.
func pageFormPost(fields url.Values, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, pVerifyMail, strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", browserAccept)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", "null")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// requirePage checks the headers every email-link page carries, and that
// the CSP's style hash is that of the page's one style element, computed
// here from the served bytes.
func requirePage(t *testing.T, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	hd := w.Header()
	assert.Equal(t, "text/html; charset=utf-8", hd.Get("Content-Type"))
	assert.Equal(t, "no-store", hd.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", hd.Get("Referrer-Policy"))
	assert.Equal(t, "DENY", hd.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", hd.Get("X-Content-Type-Options"))
	body := w.Body.String()
	if body == "" {
		return body // HEAD
	}
	styles := styleRE.FindAllStringSubmatch(body, -1)
	require.Len(t, styles, 1)
	sum := sha256.Sum256([]byte(styles[0][1]))
	assert.Equal(t, "default-src 'none'; style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", hd.Get("Content-Security-Policy"))
	assert.NotContains(t, body, "<script")
	assert.NotContains(t, body, "http://")
	assert.NotContains(t, body, "https://")
	assert.Equal(t, strconv.Itoa(len(body)), hd.Get("Content-Length"))
	return body
}

// TestVerifyMailLinkGetTwiceThenPost: a browser opens the link twice, reads
// the page in its language, and the form's POST verifies the address once.
func TestVerifyMailLinkGetTwiceThenPost(t *testing.T) {
	t.Parallel()
	hs, _ := mailHarness(t, httpadapter.Options{})
	tok := hs.linkToken("", aliceEmail)

	for _, lang := range []struct{ accept, tag, title, notYou string }{
		{"zh-CN,zh;q=0.9", "zh-CN", "确认邮箱地址", "如果这不是您本人的操作，请关闭本页并忽略该邮件。"},
		{"en-GB,en;q=0.8", "en", "Confirm your email address", "If you did not ask for this, close this page and ignore the message."},
	} {
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, linkRequest(http.MethodGet, tok, "Accept", browserAccept, "Accept-Language", lang.accept))
		body := requirePage(t, w, http.StatusOK)
		assert.Contains(t, body, `<html lang="`+lang.tag+`">`)
		assert.Contains(t, body, "<h1>"+lang.title+"</h1>")
		assert.Contains(t, body, lang.notYou)
		assert.Contains(t, body, `<form method="post" action="verifyMail">`)
		assert.Contains(t, body, `<input type="hidden" name="token" value="`+tok+`">`)
		assert.Equal(t, 1, strings.Count(body, tok), "the token only in the hidden field")
	}
	assert.False(t, hs.emailVerified(), "opening the link changes nothing")

	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, pagePost(tok, "Accept-Language", "zh-CN"))
	body := requirePage(t, w, http.StatusOK)
	assert.Contains(t, body, "邮箱地址已确认")
	assert.True(t, hs.emailVerified())
	assert.Len(t, hs.eventsOf(security.EventEmailVerified), 1)

	w = httptest.NewRecorder()
	hs.h.ServeHTTP(w, pagePost(tok))
	body = requirePage(t, w, http.StatusBadRequest)
	assert.Contains(t, body, "The address was not confirmed")
	assert.Contains(t, body, "The verification code is wrong or has expired.")
	assert.NotContains(t, body, tok)
}

// TestVerifyMailScannerNeverConsumes: whatever a mail scanner sends to the
// link (GET or HEAD, any Accept, signed in or not, many times), no state is
// read or written, the link keeps working, and a HEAD answers the GET's
// headers without a body.
func TestVerifyMailScannerNeverConsumes(t *testing.T) {
	t.Parallel()
	hs, spy := mailHarness(t, httpadapter.Options{})
	tok := hs.linkToken(alice, aliceEmail2) // asked for while signed in: binds to alice
	spy.reset()

	get := httptest.NewRecorder()
	hs.h.ServeHTTP(get, linkRequest(http.MethodGet, tok))
	getBody := requirePage(t, get, http.StatusOK)
	head := httptest.NewRecorder()
	hs.h.ServeHTTP(head, linkRequest(http.MethodHead, tok))
	requirePage(t, head, http.StatusOK)
	assert.Empty(t, head.Body.String())
	assert.Equal(t, strconv.Itoa(len(getBody)), head.Header().Get("Content-Length"))
	assert.Equal(t, get.Header().Get("Content-Security-Policy"), head.Header().Get("Content-Security-Policy"))

	scanners := [][]string{
		nil,
		{"Accept", "*/*"},
		{"Accept", browserAccept, "Sec-Fetch-Site", "cross-site"},
		{"Accept", "application/json"},
		{"Accept", "text/html", "X-User-ID", alice},
		{"Accept", "application/json", "X-User-ID", alice},
	}
	for range 3 {
		for _, h := range scanners {
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				w := httptest.NewRecorder()
				hs.h.ServeHTTP(w, linkRequest(m, tok, h...))
				require.Equal(t, http.StatusOK, w.Code, "%s %v", m, h)
			}
		}
	}
	assert.Empty(t, spy.reset(), "the link's GET and HEAD touch no state")
	assert.Empty(t, hs.eventsOf(security.EventVerificationFailed))

	// The signed-in user confirms from the page, once; the spy sees it.
	before, err := hs.svc.Status(context.Background(), alice)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, pagePost(tok, "X-User-ID", alice))
	requirePage(t, w, http.StatusOK)
	assert.Contains(t, spy.reset(), "TakeTicket")
	after, err := hs.svc.Status(context.Background(), alice)
	require.NoError(t, err)
	assert.True(t, after.EmailVerified)
	assert.NotEqual(t, before.Email, after.Email, "the new address is bound")
}

// TestVerifyMailJSONClients: an API client that accepts JSON and not HTML
// gets "200" for the link's GET, unchecked, and spends the token with a
// POST: "201" once, "400" invalid_code after.
func TestVerifyMailJSONClients(t *testing.T) {
	t.Parallel()
	hs, spy := mailHarness(t, httpadapter.Options{})
	tok := hs.linkToken("", aliceEmail)
	spy.reset()

	for _, accept := range []string{"application/json", "application/json, text/plain;q=0.5", "text/html;q=0, application/json"} {
		res := hs.serve(linkRequest(http.MethodGet, tok, "Accept", accept))
		expect(t, res, "200", "success")
		assert.Equal(t, "no-referrer", res.Header().Get("Referrer-Policy"))
	}
	// An unknown token gets the same answer: the GET checks nothing.
	expect(t, hs.serve(linkRequest(http.MethodGet, strings.Repeat("A", 43), "Accept", "application/json")), "200", "success")
	// A client that accepts both gets the page.
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, linkRequest(http.MethodGet, tok, "Accept", "application/json, text/html"))
	requirePage(t, w, http.StatusOK)
	assert.Empty(t, spy.reset())
	assert.False(t, hs.emailVerified())

	for _, enc := range []encoding{encJSON, encForm, encQuery} {
		if enc != encJSON {
			tok = hs.linkToken("", aliceEmail)
			hs.clock.Advance(cooldownStep)
		}
		res := hs.do(http.MethodPost, pVerifyMail, enc, "", kv{{"token", tok}})
		expect(t, res, "201", "success")
		assert.True(t, hs.emailVerified())
		expect(t, hs.do(http.MethodPost, pVerifyMail, enc, "", kv{{"token", tok}}), "400", "invalid_code")
		hs.clock.Advance(cooldownStep)
	}
}

// TestVerifyMailPostArguments: a token, or an address with its code; never
// both, never neither.
func TestVerifyMailPostArguments(t *testing.T) {
	t.Parallel()
	hs, spy := mailHarness(t, httpadapter.Options{})
	tok := hs.linkToken("", aliceEmail)
	spy.reset()
	for _, p := range []kv{
		nil,
		{{"token", ""}},
		{{"token", tok}, {"email", aliceEmail}},
		{{"token", tok}, {"message", "123456"}},
		{{"token", tok}, {"email", aliceEmail}, {"message", "123456"}},
		{{"email", aliceEmail}},
		{{"message", "123456"}},
		{{"token", tok}, {"token", tok}},
		{{"token", tok}, {"code", "123456"}},
	} {
		expect(t, hs.do(http.MethodPost, pVerifyMail, encForm, "", p), "400", "invalid_argument")
	}
	assert.Empty(t, spy.reset(), "refused before the Service")
	assert.False(t, hs.emailVerified())
	// The token is intact.
	expect(t, hs.do(http.MethodPost, pVerifyMail, encJSON, "", kv{{"token", tok}}), "201", "success")
}

// TestVerifyMailPageErrors: a browser gets its errors as a page too, and a
// token of the wrong shape is refused before anything is stored or shown.
func TestVerifyMailPageErrors(t *testing.T) {
	t.Parallel()
	hs, spy := mailHarness(t, httpadapter.Options{})
	hostile := `"><script>alert(1)</script>`
	for _, tok := range []string{hostile, strings.Repeat("A", 129), "a.b", "a b"} {
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, linkRequest(http.MethodGet, tok, "Accept", browserAccept))
		body := requirePage(t, w, http.StatusBadRequest)
		assert.Contains(t, body, "The verification code is wrong or has expired.")
		assert.NotContains(t, body, "alert(1)")
		assert.NotContains(t, body, "<form")
		expect(t, hs.serve(linkRequest(http.MethodGet, tok, "Accept", "application/json")), "400", "invalid_code")
	}
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, pVerifyMail, nil))
	body := requirePage(t, w, http.StatusBadRequest)
	assert.Contains(t, body, "Missing required parameter: token")
	assert.Empty(t, spy.reset())

	// A link asked for while signed in, posted signed out: the page says
	// so in the reader's language, and the link stays usable.
	tok := hs.linkToken(alice, aliceEmail2)
	w = httptest.NewRecorder()
	hs.h.ServeHTTP(w, pagePost(tok, "Accept-Language", "zh-CN"))
	body = requirePage(t, w, http.StatusUnauthorized)
	assert.Contains(t, body, `<html lang="zh-CN">`)
	assert.Contains(t, body, "邮箱地址未能确认")
	assert.Contains(t, body, "请先登录。")
	w = httptest.NewRecorder()
	hs.h.ServeHTTP(w, pagePost(tok, "X-User-ID", alice))
	requirePage(t, w, http.StatusOK)

	// AlwaysHTTP200 applies to pages as to envelopes.
	hs2, _ := mailHarness(t, httpadapter.Options{AlwaysHTTP200: true})
	w = httptest.NewRecorder()
	hs2.h.ServeHTTP(w, pagePost(strings.Repeat("A", 43)))
	body = requirePage(t, w, http.StatusOK)
	assert.Contains(t, body, "The address was not confirmed")
}

// TestVerifyMailCrossOriginPost: the page's POST is state-changing, so a
// form on another site cannot spend a link (say, one it fetched from a
// victim's mailbox preview) in the victim's signed-in browser.
func TestVerifyMailCrossOriginPost(t *testing.T) {
	t.Parallel()
	hs, _ := mailHarness(t, httpadapter.Options{})
	tok := hs.linkToken(alice, aliceEmail2)
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		w := httptest.NewRecorder()
		r := pagePost(tok, append([]string{"X-User-ID", alice}, h...)...)
		if r.Header.Get("Sec-Fetch-Site") == "" {
			r.Header.Del("Sec-Fetch-Site")
		}
		hs.h.ServeHTTP(w, r)
		body := requirePage(t, w, http.StatusForbidden)
		assert.Contains(t, body, "Cross-origin request refused.")

		r = request(t, http.MethodPost, pVerifyMail, encJSON, kv{{"token", tok}})
		r.Header.Set("X-User-ID", alice)
		for i := 0; i+1 < len(h); i += 2 {
			if h[i+1] != "" {
				r.Header.Set(h[i], h[i+1])
			}
		}
		expect(t, hs.serve(r), "403", "cross_origin")
	}
	assert.Empty(t, hs.eventsOf(security.EventEmailVerified))
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, pagePost(tok, "X-User-ID", alice))
	requirePage(t, w, http.StatusOK)
	assert.Len(t, hs.eventsOf(security.EventEmailVerified), 1)
}
