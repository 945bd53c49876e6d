package httpadapter_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// memberRequests are valid requests to every member route.
var memberRequests = []struct {
	method, path string
	params       kv
}{
	{http.MethodGet, pMember, kv{{"phone", otherPhone}}},
	{http.MethodPut, pMember, kv{{"oldPassword", alicePass}, {"newPasswordFirst", newPass}}},
	{http.MethodPut, pBind, kv{{"message", "123456"}, {"phone", otherPhone}}},
	{http.MethodPut, pPay, kv{{"payPasswordFirst", pin2}}},
	{http.MethodPut, pResetPay, kv{{"phone", alicePhone}, {"message", "123456"}, {"payPasswordFirst", pin2}}},
	{http.MethodPut, pUpdatePay, kv{{"oldPassword", pin1}, {"payPasswordFirst", pin2}}},
	{http.MethodGet, pStatus, nil},
}

// TestMemberRoutesNeedUser: every member route answers 401 without a user,
// before reading the body, and changes nothing.
func TestMemberRoutesNeedUser(t *testing.T) {
	t.Parallel()
	for _, withHook := range []bool{true, false} {
		t.Run("UserID hook "+strconv.FormatBool(withHook), func(t *testing.T) {
			hc := harnessConfig{}
			if !withHook {
				hc.opts.UserID = func(*http.Request) (string, bool) { return "", false }
			}
			hs := newHarness(t, hc)
			ctx := context.Background()
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
			require.NoError(t, hs.svc.SetPayPassword(ctx, alice, pin1))
			require.Equal(t, security.PurposePayPasswordSet, hs.nextMsg().msg.Purpose)
			before, err := hs.svc.Status(ctx, alice)
			require.NoError(t, err)
			nEvents := len(hs.eventsOf(security.EventCodeSent))

			for _, mr := range memberRequests {
				for _, enc := range encodings {
					r := request(t, mr.method, mr.path, enc, mr.params)
					if !withHook {
						r.Header.Set("X-User-ID", alice) // ignored: the hook says no user
					}
					expect(t, hs.serve(r), "401", "unauthenticated")
				}
				// An oversized body is not even read.
				r := withBody(request(t, mr.method, mr.path, encQuery, nil), "application/json", strings.Repeat(" ", 64<<10))
				expect(t, hs.serve(r), "401", "unauthenticated")
			}
			require.NoError(t, hs.svc.Close(ctx))
			assert.Empty(t, hs.drain(), "no message sent")
			assert.Len(t, hs.eventsOf(security.EventCodeSent), nEvents)
			after, err := hs.svc.Status(ctx, alice)
			require.NoError(t, err)
			assert.Equal(t, before, after)
			require.NoError(t, hs.svc.VerifyPassword(ctx, alice, alicePass))
			require.NoError(t, hs.svc.VerifyPayPassword(ctx, alice, pin1))
		})
	}
}

// TestForgotFlowCookieJar drives the forgot-password flow with a browser-like
// client over TLS: the cookie alone carries the flow.
func TestForgotFlowCookieJar(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone})
	srv := httptest.NewTLSServer(hs.h)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := srv.Client()
	client.Jar = jar
	send := func(method, path string, form url.Values) (*http.Response, envelope) {
		t.Helper()
		var body *strings.Reader
		target := srv.URL + path
		if method == http.MethodGet {
			target += "?" + form.Encode()
			body = strings.NewReader("")
		} else {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, target, body)
		require.NoError(t, err)
		if method != http.MethodGet {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var env envelope
		require.NoError(t, jsonDecode(resp.Body, &env))
		return resp, env
	}

	resp, env := send(http.MethodGet, pForgot, url.Values{"phone": {alicePhone}})
	require.Equal(t, "200", env.Code)
	flowCookie := func(resp *http.Response) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == "__Host-acctsec_flow" {
				return c
			}
		}
		return nil
	}
	flow := flowCookie(resp)
	require.NotNil(t, flow)
	assert.True(t, flow.HttpOnly)
	assert.True(t, flow.Secure)
	assert.Equal(t, http.SameSiteLaxMode, flow.SameSite)
	assert.Equal(t, "/", flow.Path, "__Host- requires Path=/")
	assert.Empty(t, flow.Domain, "__Host- forbids Domain")
	assert.Equal(t, resp.Header.Get("X-Security-Flow"), flow.Value)
	code := hs.nextCode(security.PurposeForgotPassword).msg.Code

	resp, env = send(http.MethodPost, pForgot, url.Values{"message": {wrongCode(code)}})
	assert.Equal(t, "400", env.Code)
	assert.Nil(t, flowCookie(resp), "a failed step 1 leaves the cookie alone")
	resp, env = send(http.MethodPost, pForgot, url.Values{"message": {code}})
	require.Equal(t, "201", env.Code)
	verified := flowCookie(resp)
	require.NotNil(t, verified, "step 1 replaces the cookie")
	assert.NotEqual(t, flow.Value, verified.Value)
	assert.Equal(t, resp.Header.Get("X-Security-Flow"), verified.Value)
	assert.Equal(t, "/", verified.Path)
	// Whoever copied (or planted) the start's handle cannot finish the flow.
	stale := request(t, http.MethodPut, pForgot, encForm, kv{{"phone", alicePhone}, {"passwordFirst", thirdPass}})
	stale.Header.Set("X-Security-Flow", flow.Value)
	expect(t, hs.serve(stale), "403", "flow_required")
	_, env = send(http.MethodPut, pForgot, url.Values{"phone": {otherPhone}, "passwordFirst": {newPass}})
	assert.Equal(t, "403", env.Code)
	assert.Equal(t, `"phone_mismatch"`, string(env.Data))
	_, env = send(http.MethodPut, pForgot, url.Values{"phone": {alicePhone}, "passwordFirst": {newPass}, "passwordSecond": {newPass + "x"}})
	assert.Equal(t, "400", env.Code, "mismatched confirmation")
	resp, env = send(http.MethodPut, pForgot, url.Values{"phone": {alicePhone}, "passwordFirst": {newPass}, "passwordSecond": {newPass}})
	require.Equal(t, "201", env.Code)
	require.NoError(t, hs.svc.VerifyPassword(context.Background(), alice, newPass))
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || (c.Name == "__Host-acctsec_flow" && c.MaxAge < 0)
	}
	assert.True(t, cleared, "step 2 clears the cookie")
	u, _ := url.Parse(srv.URL + pForgot)
	assert.Empty(t, jar.Cookies(u))

	// The flow is single use.
	req := request(t, http.MethodPut, pForgot, encForm, kv{{"phone", alicePhone}, {"passwordFirst", thirdPass}})
	req.Header.Set("X-Security-Flow", verified.Value)
	expect(t, hs.serve(req), "403", "flow_required")
}

// TestInsecureCookies: the development option drops Secure.
func TestInsecureCookies(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{InsecureCookies: true, PathPrefix: "/api/"}})
	res := hs.do(http.MethodGet, "/api"+pForgot, encQuery, "", kv{{"phone", alicePhone}})
	expect(t, res, "200", "success")
	cookies := res.Result().Cookies()
	require.Len(t, cookies, 1)
	assert.Equal(t, "acctsec_flow", cookies[0].Name, "no __Host- prefix without Secure: browsers would drop it")
	assert.False(t, cookies[0].Secure)
	assert.True(t, cookies[0].HttpOnly)
	assert.Equal(t, "/", cookies[0].Path, "the browser sends it back under any mount")
	assert.Empty(t, cookies[0].Domain)
}

// TestEnumeration: forgot-start and sendMail answer byte for byte the same
// for an address that has an account and one that has not (the forgot
// flow handle differs, being random, but not in length).
func TestEnumeration(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone, Email: aliceEmail})

	normalized := func(res response) (int, http.Header, string) {
		hd := res.Header().Clone()
		hd.Del("Date")
		if handle := hd.Get("X-Security-Flow"); handle != "" {
			placeholder := strings.Repeat("H", len(handle))
			hd.Set("X-Security-Flow", placeholder)
			for i, c := range hd.Values("Set-Cookie") {
				hd["Set-Cookie"][i] = strings.Replace(c, handle, placeholder, 1)
			}
		}
		return res.Code, hd, res.Body.String()
	}
	cases := []struct {
		name            string
		method, path    string
		known, unknown  kv
		wantKnownToSend security.Purpose
	}{
		{"forgot start", http.MethodGet, pForgot, kv{{"phone", alicePhone}}, kv{{"phone", otherPhone}}, security.PurposeForgotPassword},
		{"sendMail", http.MethodPost, pSendMail, kv{{"email", aliceEmail}}, kv{{"email", "nobody@example.com"}}, security.PurposeVerifyEmail},
	}
	for _, c := range cases {
		k := hs.do(c.method, c.path, encForm, "", c.known)
		u := hs.do(c.method, c.path, encForm, "", c.unknown)
		expect(t, k, "200", "success")
		kc, kh, kb := normalized(k)
		uc, uh, ub := normalized(u)
		assert.Equal(t, kc, uc, c.name)
		assert.Equal(t, kh, uh, c.name)
		assert.Equal(t, kb, ub, c.name)
		assert.Equal(t, c.wantKnownToSend, hs.nextCode(c.wantKnownToSend).msg.Purpose)
	}
	require.NoError(t, hs.svc.Close(context.Background()))
	for _, m := range hs.drain() {
		assert.True(t, m.msg.Purpose.IsNotice(), "nothing sent for the unknown destinations: %v", m.msg)
	}
}

// TestClientIP: the per-request client IP the Service sees.
func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		headers map[string][]string
		want    string
		header  string // Options.ClientIPHeader
	}{
		{"remote addr", nil, "203.0.113.7:5555", nil, "203.0.113.7", ""},
		{"spoofed XFF ignored", nil, "203.0.113.7:5555", map[string][]string{"X-Forwarded-For": {"1.2.3.4"}, "X-Real-IP": {"1.2.3.5"}}, "203.0.113.7", ""},
		{"spoofed XFF from an untrusted peer with proxies configured", trusted, "203.0.113.7:5555", map[string][]string{"X-Forwarded-For": {"1.2.3.4"}}, "203.0.113.7", ""},
		{"right-most untrusted hop", trusted, "10.0.0.5:1", map[string][]string{"X-Forwarded-For": {"1.2.3.4, 5.6.7.8"}}, "5.6.7.8", ""},
		{"trusted hops skipped", trusted, "10.0.0.5:1", map[string][]string{"X-Forwarded-For": {"1.2.3.4, 5.6.7.8, 10.9.9.9"}}, "5.6.7.8", ""},
		{"several header lines", trusted, "10.0.0.5:1", map[string][]string{"X-Forwarded-For": {"1.2.3.4", "5.6.7.8, 10.1.1.1"}}, "5.6.7.8", ""},
		{"garbage hop stops the walk", trusted, "10.0.0.5:1", map[string][]string{"X-Forwarded-For": {"1.2.3.4, bogus, 10.1.1.1"}}, "10.1.1.1", ""},
		{"X-Real-IP named, from a trusted proxy", trusted, "10.0.0.5:1", map[string][]string{"X-Real-IP": {"198.51.100.9"}}, "198.51.100.9", "X-Real-IP"},
		{"X-Real-IP not named: ignored", trusted, "10.0.0.5:1", map[string][]string{"X-Real-IP": {"198.51.100.9"}}, "10.0.0.5", ""},
		// nginx with proxy_set_header X-Real-IP $remote_addr passes the
		// client's own X-Forwarded-For through untouched.
		{"nginx X-Real-IP: the client's X-Forwarded-For is ignored", trusted, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4"}, "X-Real-IP": {"198.51.100.9"}}, "198.51.100.9", "x-real-ip"},
		{"nginx X-Real-IP: without it the proxy is the client", trusted, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4"}}, "10.0.0.5", "X-Real-IP"},
		{"X-Forwarded-For named: X-Real-IP ignored", trusted, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"5.6.7.8"}, "X-Real-IP": {"1.2.3.4"}}, "5.6.7.8", "X-Forwarded-For"},
		{"CF-Connecting-IP", trusted, "10.0.0.5:1",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4"}, "CF-Connecting-IP": {"2001:db8::9"}}, "2001:db8::9", "CF-Connecting-IP"},
		{"named header from an untrusted peer ignored", trusted, "203.0.113.7:5555",
			map[string][]string{"X-Real-IP": {"1.2.3.4"}}, "203.0.113.7", "X-Real-IP"},
		{"named header that does not parse", trusted, "10.0.0.5:1",
			map[string][]string{"X-Client-IP": {"unknown"}}, "10.0.0.5", "X-Client-IP"},
		{"IPv6 peer", nil, "[2001:db8::1]:443", nil, "2001:db8::1", ""},
		{"IPv4-mapped peer", nil, "[::ffff:198.51.100.1]:80", nil, "198.51.100.1", ""},
		{"IPv6 proxy and hop with port", trusted, "[fd00::1]:443", map[string][]string{"X-Forwarded-For": {"[2001:db8::7]:1234"}}, "2001:db8::7", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{opts: httpadapter.Options{TrustedProxies: c.trusted, ClientIPHeader: c.header}})
			r := request(t, http.MethodGet, pForgot, encQuery, kv{{"phone", "1380013800" + strconv.Itoa(i%10)}})
			r.RemoteAddr = c.remote
			for k, vs := range c.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			expect(t, hs.serve(r), "200", "success")
			ev := hs.eventsOf(security.EventForgotStarted)
			require.Len(t, ev, 1)
			assert.Equal(t, c.want, ev[0].ClientIP)
		})
	}
}

// TestSpoofedXFFDoesNotEvadeIPThrottle: with no trusted proxy, a client
// rotating X-Forwarded-For still shares one per-IP bucket.
func TestSpoofedXFFDoesNotEvadeIPThrottle(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{limits: security.Limits{SendsPerIPHour: 3}})
	var codes []string
	for i := range 5 {
		r := request(t, http.MethodGet, pForgot, encQuery, kv{{"phone", "1380013800" + strconv.Itoa(i)}})
		r.RemoteAddr = "203.0.113.7:4000"
		r.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(i+1))
		codes = append(codes, hs.serve(r).env.Code)
	}
	assert.Equal(t, []string{"200", "200", "200", "429", "429"}, codes)
}

// TestAlwaysHTTP200: legacy mode keeps the envelope code and the headers
// but always answers HTTP 200.
func TestAlwaysHTTP200(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{AlwaysHTTP200: true}})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
	cases := []struct {
		req       *http.Request
		code, key string
		header    string
	}{
		{request(t, http.MethodGet, pStatus, encQuery, nil), "401", "unauthenticated", ""},
		{request(t, http.MethodGet, "/nope", encQuery, nil), "404", "not_found", ""},
		{request(t, http.MethodPost, pStatus, encQuery, nil), "405", "method_not_allowed", "Allow"},
		{request(t, http.MethodGet, pForgot, encQuery, kv{{"phone", alicePhone}}), "200", "success", ""},
		{request(t, http.MethodGet, pForgot, encQuery, kv{{"phone", alicePhone}}), "429", "rate_limited", "Retry-After"},
	}
	for _, c := range cases {
		res := hs.serve(c.req)
		assert.Equal(t, http.StatusOK, res.Code)
		assert.Equal(t, c.code, res.env.Code)
		assert.Equal(t, c.key, res.env.dataKey())
		if c.header != "" {
			assert.NotEmpty(t, res.Header().Get(c.header))
		}
	}
}

// TestLocale: Accept-Language picks the msg language and the locale the
// Service gets for its messages.
func TestLocale(t *testing.T) {
	t.Parallel()
	cases := []struct {
		accept, defaultLocale string
		wantMsg, wantLocale   string
	}{
		{"zh-CN,zh;q=0.9,en;q=0.8", "", "请先登录。", "zh-CN"},
		{"en;q=0.5, zh-TW;q=0.8", "", "請先登入。", "zh-TW"},
		{"zh-Hant", "", "請先登入。", "zh-TW"},
		{"zh-HK,zh;q=0.9", "", "請先登入。", "zh-HK"},
		{"zh-MO", "en", "請先登入。", "zh-HK"},
		{"zh-SG", "zh-TW", "请先登录。", "zh-CN"},
		{"zh-Hans", "zh-HK", "请先登录。", "zh-CN"},
		{"fr-FR", "zh-TW", "請先登入。", "zh-TW"},
		{"fr-FR", "zh-Hant-HK", "請先登入。", "zh-HK"},
		{"en-US,en;q=0.9", "", "Please sign in first.", "en"},
		{"", "", "Please sign in first.", ""},
		{"fr-FR", "zh-CN", "请先登录。", "zh-CN"},
		{"", "en", "Please sign in first.", "en"},
	}
	for i, c := range cases {
		t.Run(c.accept+"/"+c.defaultLocale, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{opts: httpadapter.Options{DefaultLocale: c.defaultLocale}})
			phone := "138001" + strconv.Itoa(10000+i)
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: phone})
			r := request(t, http.MethodGet, pStatus, encQuery, nil)
			r.Header.Set("Accept-Language", c.accept)
			assert.Equal(t, c.wantMsg, hs.serve(r).env.Msg)

			r = request(t, http.MethodGet, pForgot, encQuery, kv{{"phone", phone}})
			r.Header.Set("Accept-Language", c.accept)
			expect(t, hs.serve(r), "200", "success")
			m := hs.nextCode(security.PurposeForgotPassword)
			assert.Equal(t, c.wantLocale, m.client.Locale)
			if c.wantLocale != "" {
				assert.Equal(t, c.wantLocale, m.msg.Locale)
			} else {
				assert.Equal(t, "zh-CN", m.msg.Locale, "the Service's default")
			}
		})
	}
}

// TestCrossOrigin: browser requests from another origin are refused on
// state-changing routes, GET routes that send an SMS included.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name      string
		opts      httpadapter.Options
		method    string
		path      string
		params    kv
		headers   map[string]string
		code, key string
	}{
		{"cross-site PUT", httpadapter.Options{}, http.MethodPut, pMember,
			kv{{"oldPassword", alicePass}, {"newPasswordFirst", newPass}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "403", "cross_origin"},
		{"foreign Origin PUT", httpadapter.Options{}, http.MethodPut, pPay, kv{{"payPasswordFirst", pin1}},
			map[string]string{"Origin": "https://evil.example"}, "403", "cross_origin"},
		{"cross-site SMS GET", httpadapter.Options{}, http.MethodGet, pMember, kv{{"phone", otherPhone}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "403", "cross_origin"},
		{"cross-site forgot start", httpadapter.Options{}, http.MethodGet, pForgot, kv{{"phone", alicePhone}},
			map[string]string{"Sec-Fetch-Site": "same-site"}, "403", "cross_origin"},
		{"cross-site public POST", httpadapter.Options{}, http.MethodPost, pSendMail, kv{{"email", aliceEmail}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "403", "cross_origin"},
		{"same-origin PUT", httpadapter.Options{}, http.MethodPut, pPay, kv{{"payPasswordFirst", pin1}},
			map[string]string{"Sec-Fetch-Site": "same-origin"}, "201", "success"},
		{"Origin equal to Host", httpadapter.Options{}, http.MethodPut, pPay, kv{{"payPasswordFirst", pin1}},
			map[string]string{"Origin": "http://example.com"}, "201", "success"},
		{"email link token posted from another site", httpadapter.Options{}, http.MethodPost, pVerifyMail, kv{{"token", strings.Repeat("A", 43)}},
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "403", "cross_origin"},
		{"email code posted from another site", httpadapter.Options{}, http.MethodPost, pVerifyMail, kv{{"email", aliceEmail}, {"message", "123456"}},
			map[string]string{"Origin": "https://evil.example"}, "403", "cross_origin"},
		{"trusted origin", httpadapter.Options{CrossOrigin: trustedCOP(t, "https://app.example.com")}, http.MethodPut, pPay,
			kv{{"payPasswordFirst", pin1}}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}, "201", "success"},
		{"disabled", httpadapter.Options{DisableCrossOriginProtection: true}, http.MethodPut, pPay,
			kv{{"payPasswordFirst", pin1}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, "201", "success"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{opts: c.opts})
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass, Phone: alicePhone, Email: aliceEmail})
			r := request(t, c.method, c.path, encForm, c.params)
			r.Header.Set("X-User-ID", alice)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			expect(t, hs.serve(r), c.code, c.key)
			if c.key == "cross_origin" {
				require.NoError(t, hs.svc.Close(ctx))
				assert.Empty(t, hs.drain(), "nothing sent")
				require.NoError(t, hs.svc.VerifyPassword(ctx, alice, alicePass), "password unchanged")
				ps, err := hs.svc.PayPasswordStatus(ctx, alice)
				require.NoError(t, err)
				assert.False(t, ps.Set, "no pay password set")
			}
		})
	}
}

func trustedCOP(t *testing.T, origin string) *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	require.NoError(t, c.AddTrustedOrigin(origin))
	return c
}
