package httpadapter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// cancelled returns r with a context that is already cancelled.
func cancelled(r *http.Request) *http.Request {
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	return r.WithContext(ctx)
}

// TestVerifyMailLinkPageErrors: a browser (or a scanner) gets every error
// the link's GET can answer as a page, with the envelope's status and msg,
// and a HEAD the same status and headers without a body; none of them
// touches the store.
func TestVerifyMailLinkPageErrors(t *testing.T) {
	t.Parallel()
	hs, spy := mailHarness(t, httpadapter.Options{})
	tok := strings.Repeat("A", 43)
	for _, c := range []struct {
		name   string
		r      func(method string) *http.Request
		status int
		msg    string
	}{
		{"malformed token", func(m string) *http.Request {
			return linkRequest(m, "a.b", "Accept", browserAccept)
		}, http.StatusBadRequest, "The verification code is wrong or has expired."},
		{"query string too large", func(m string) *http.Request {
			r := linkRequest(m, tok, "Accept", browserAccept)
			r.URL.RawQuery += "&_=" + strings.Repeat("a", 17<<10)
			return r
		}, http.StatusRequestEntityTooLarge, "The request is too large."},
		{"cancelled", func(m string) *http.Request {
			return cancelled(linkRequest(m, tok, "Accept", browserAccept))
		}, http.StatusServiceUnavailable, "The service is busy; please try again."},
	} {
		t.Run(c.name, func(t *testing.T) {
			get := httptest.NewRecorder()
			hs.h.ServeHTTP(get, c.r(http.MethodGet))
			body := requirePage(t, get, c.status)
			assert.Contains(t, body, "The address was not confirmed")
			assert.Contains(t, body, c.msg)
			assert.NotContains(t, body, "<form")

			head := httptest.NewRecorder()
			hs.h.ServeHTTP(head, c.r(http.MethodHead))
			requirePage(t, head, c.status)
			assert.Empty(t, head.Body.String())
			assert.Equal(t, strconv.Itoa(len(body)), head.Header().Get("Content-Length"))
			for _, h := range []string{"Content-Security-Policy", "Connection", "Retry-After"} {
				assert.Equal(t, get.Header().Get(h), head.Header().Get(h), h)
			}
			if c.status == http.StatusRequestEntityTooLarge {
				assert.Equal(t, "close", get.Header().Get("Connection"))
			}
		})
	}
	assert.Empty(t, spy.reset(), "the link's errors touch no state")
}

// TestVerifyMailPostPageErrors: the confirmation page's POST gets every
// error the envelope would carry as a result page with the same status
// (and Retry-After, and Connection: close), showing msg and never the
// error's own text.
func TestVerifyMailPostPageErrors(t *testing.T) {
	t.Parallel()
	t.Run("email taken", func(t *testing.T) {
		t.Parallel()
		hs, _ := mailHarness(t, httpadapter.Options{})
		hs.createAccount(security.NewAccount{UserID: bob, Password: bobPass, Email: "bob@example.com", EmailVerified: true})
		tok := hs.linkToken(alice, "bob@example.com")
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, pagePost(tok, "X-User-ID", alice))
		assert.Contains(t, requirePage(t, w, http.StatusConflict), "This email address belongs to another account.")
	})
	t.Run("body too large", func(t *testing.T) {
		t.Parallel()
		hs, spy := mailHarness(t, httpadapter.Options{})
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, pageFormPost(url.Values{"token": {strings.Repeat("A", 43)}, "_": {strings.Repeat("a", 17<<10)}}))
		assert.Contains(t, requirePage(t, w, http.StatusRequestEntityTooLarge), "The request is too large.")
		assert.Equal(t, "close", w.Header().Get("Connection"))
		assert.Empty(t, spy.reset())
	})
	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		hs, _ := mailHarness(t, httpadapter.Options{})
		expect(t, hs.do(http.MethodPost, pSendMail, encForm, "", kv{{"email", aliceEmail}}), "200", "success")
		guess := url.Values{"email": {aliceEmail}, "message": {wrongCode(hs.nextCode(security.PurposeVerifyEmail).msg.Code)}}
		for i := 0; ; i++ {
			require.Less(t, i, 60, "wrong codes were never throttled")
			r := httptest.NewRequest(http.MethodPost, pVerifyMail, strings.NewReader(guess.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if hs.serve(r).env.dataKey() == "rate_limited" {
				break
			}
		}
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, pageFormPost(guess))
		assert.Contains(t, requirePage(t, w, http.StatusTooManyRequests), "Too many requests; please try again later.")
		n, err := strconv.Atoi(w.Header().Get("Retry-After"))
		require.NoError(t, err)
		assert.Positive(t, n)
	})
	t.Run("store failing", func(t *testing.T) {
		t.Parallel()
		hs := newHarness(t, harnessConfig{store: func(m *memstore.Store) security.Store { return brokenStore{m} }})
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, pagePost(strings.Repeat("A", 43)))
		body := requirePage(t, w, http.StatusInternalServerError)
		assert.Contains(t, body, "Internal error.")
		assert.NotContains(t, body, storeSecretText)
		assert.NotContains(t, body, "10.1.2.3")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		hs, spy := mailHarness(t, httpadapter.Options{})
		tok := hs.linkToken("", aliceEmail)
		spy.reset()
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, cancelled(pagePost(tok)))
		assert.Contains(t, requirePage(t, w, http.StatusServiceUnavailable), "The service is busy; please try again.")
		assert.Empty(t, spy.reset(), "a cancelled request does no work")
		assert.False(t, hs.emailVerified())
	})
}
