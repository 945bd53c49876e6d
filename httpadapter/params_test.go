package httpadapter_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// multipartBody builds a multipart body; a field whose name starts with
// "file:" is written as a file part.
func multipartBody(t *testing.T, fields kv) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f[0], "file:"); ok {
			w, err := mw.CreateFormFile(name, "pin.txt")
			require.NoError(t, err)
			_, _ = w.Write([]byte(f[1]))
			continue
		}
		require.NoError(t, mw.WriteField(f[0], f[1]))
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), b.String()
}

// TestBadParameters: malformed, duplicate, unknown and oversized
// parameters are refused before the Service runs.
func TestBadParameters(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
	big := strings.Repeat("1", 17<<10)
	mpDup, mpDupBody := multipartBody(t, kv{{"payPasswordFirst", pin1}, {"payPasswordFirst", pin1}})
	mpFile, mpFileBody := multipartBody(t, kv{{"file:payPasswordFirst", pin1}})
	mpBig, mpBigBody := multipartBody(t, kv{{"payPasswordFirst", big}})
	cases := []struct {
		name        string
		query       string
		ctype, body string
		chunked     bool
		declared    int64
		code        string
	}{
		{name: "duplicate in query", query: "payPasswordFirst=472915&payPasswordFirst=472915", code: "400"},
		{name: "duplicate across query and body", query: "payPasswordFirst=472915",
			ctype: "application/x-www-form-urlencoded", body: "payPasswordFirst=472915", code: "400"},
		{name: "duplicate JSON key", ctype: "application/json", body: `{"payPasswordFirst":"472915","payPasswordFirst":"472915"}`, code: "400"},
		{name: "duplicate JSON key behind an escape", ctype: "application/json", body: `{"payPasswordFirst":"472915","payPassword\u0046irst":"830264"}`, code: "400"},
		{name: "duplicate multipart field", ctype: mpDup, body: mpDupBody, code: "400"},
		{name: "unknown query parameter", query: "payPasswordFirst=472915&userId=bob", code: "400"},
		{name: "unknown JSON field", ctype: "application/json", body: `{"payPasswordFirst":"472915","userId":"bob"}`, code: "400"},
		{name: "nested object", ctype: "application/json", body: `{"payPasswordFirst":{"v":"472915"}}`, code: "400"},
		{name: "array value", ctype: "application/json", body: `{"payPasswordFirst":["472915"]}`, code: "400"},
		{name: "true", ctype: "application/json", body: `{"payPasswordFirst":true}`, code: "400"},
		{name: "null", ctype: "application/json", body: `{"payPasswordFirst":null}`, code: "400"},
		{name: "bad number", ctype: "application/json", body: `{"payPasswordFirst":0472915}`, code: "400"},
		{name: "trailing data", ctype: "application/json", body: `{"payPasswordFirst":"472915"} x`, code: "400"},
		{name: "two objects", ctype: "application/json", body: `{"payPasswordFirst":"472915"}{}`, code: "400"},
		{name: "top-level array", ctype: "application/json", body: `["472915"]`, code: "400"},
		{name: "invalid UTF-8 in JSON", ctype: "application/json", body: "{\"payPasswordFirst\":\"47\xff2915\"}", code: "400"},
		{name: "lone surrogate", ctype: "application/json", body: `{"payPasswordFirst":"\ud800"}`, code: "400"},
		{name: "control character in JSON string", ctype: "application/json", body: "{\"payPasswordFirst\":\"47\n2915\"}", code: "400"},
		{name: "text/plain body", ctype: "text/plain", body: "payPasswordFirst=472915", code: "400"},
		{name: "body without content type", body: "payPasswordFirst=472915", code: "400"},
		{name: "multipart without boundary", ctype: "multipart/form-data", body: "x", code: "400"},
		{name: "multipart file part", ctype: mpFile, body: mpFileBody, code: "400"},
		{name: "bad percent escape", query: "payPasswordFirst=%zz", code: "400"},
		{name: "semicolon separator", query: "payPasswordFirst=472915;x=1", code: "400"},
		{name: "invalid UTF-8 in form", ctype: "application/x-www-form-urlencoded", body: "payPasswordFirst=%ff%fe", code: "400"},
		{name: "form over the cap", ctype: "application/x-www-form-urlencoded", body: "payPasswordFirst=" + big, code: "413"},
		{name: "JSON over the cap", ctype: "application/json", body: `{"payPasswordFirst":"` + big + `"}`, code: "413"},
		{name: "multipart over the cap", ctype: mpBig, body: mpBigBody, code: "413"},
		{name: "chunked over the cap", ctype: "application/json", body: `{"payPasswordFirst":"` + big + `"}`, chunked: true, code: "413"},
		{name: "declared length over the cap", ctype: "application/json", body: `{}`, declared: 1 << 20, code: "413"},
		{name: "query over the cap", query: "_=" + big, code: "413"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(c.body)
			if c.chunked {
				body = io.MultiReader(body) // hides the length
			}
			r := httptest.NewRequest(http.MethodPut, pPay+"?"+c.query, body)
			if c.chunked {
				r.ContentLength = -1
			}
			if c.declared > 0 {
				r.ContentLength = c.declared
			}
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			r.Header.Set("X-User-ID", alice)
			res := hs.serve(r)
			key := map[string]string{"400": "invalid_argument", "413": "body_too_large"}[c.code]
			expect(t, res, c.code, key)
		})
	}
	ps, err := hs.svc.PayPasswordStatus(context.Background(), alice)
	require.NoError(t, err)
	require.False(t, ps.Set, "no refused request reached the Service")

	// The same route accepts a clean request with a cache-buster.
	r := withBody(request(t, http.MethodPut, pPay+"?_=1700000000", encQuery, nil), "application/json; charset=utf-8",
		` { "payPasswordFirst" : "472915" } `)
	r.Header.Set("X-User-ID", alice)
	expect(t, hs.serve(r), "201", "success")
}

// TestRouting: 404 for unknown paths (and paths outside the prefix), 405
// with Allow for known paths.
func TestRouting(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{PathPrefix: "/api"}})
	allow := map[string]string{
		pMember: "GET, PUT", pBind: "PUT", pPay: "PUT", pResetPay: "PUT", pUpdatePay: "PUT", pStatus: "GET",
		pForgot: "GET, POST, PUT", pSendMail: "POST", pVerifyMail: "GET, HEAD, POST",
	}
	for path, want := range allow {
		res := hs.do(http.MethodPatch, "/api"+path, encQuery, alice, nil)
		expect(t, res, "405", "method_not_allowed")
		assert.Equal(t, want, res.Header().Get("Allow"), path)
		if path != pVerifyMail { // the email link's HEAD is its GET, which changes nothing
			w := httptest.NewRecorder()
			hs.h.ServeHTTP(w, httptest.NewRequest(http.MethodHead, "/api"+path, nil))
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code, "HEAD is not GET: it would send an SMS")
			assert.Empty(t, w.Body.String())
		}
		expect(t, hs.do(http.MethodGet, path, encQuery, alice, nil), "404", "not_found")
	}
	for _, p := range []string{"/api", "/api/", "/apix" + pStatus, "/api" + pStatus + "/", "/api/web/userservice/Security", "/"} {
		expect(t, hs.do(http.MethodGet, p, encQuery, alice, nil), "404", "not_found")
	}
}
