package httpadapter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// gatewayParams are what an API gateway and CSRF middleware add.
var gatewayParams = []string{"sign", "timestamp", "nonce", "_csrf"}

func payPasswordSet(t *testing.T, hs *harness) bool {
	t.Helper()
	ps, err := hs.svc.PayPasswordStatus(context.Background(), alice)
	require.NoError(t, err)
	return ps.Set
}

// TestIgnoreParams: names in Options.IgnoreParams are accepted and
// dropped in every encoding, repeats included; the route's own parameters
// still work.
func TestIgnoreParams(t *testing.T) {
	t.Parallel()
	for _, enc := range encodings {
		t.Run(string(enc), func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{opts: httpadapter.Options{IgnoreParams: append([]string{""}, gatewayParams...)}})
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
			res := hs.do(http.MethodPut, pPay, enc, alice, kv{
				{"sign", "9f86d081884c7d65"}, {"timestamp", "1767225600"}, {"payPasswordFirst", pin1},
				{"nonce", "a1b2"}, {"_csrf", "tok"}, {"sign", "again"}, {"payPasswordSecond", pin1},
			})
			expect(t, res, "201", "success")
			assert.True(t, payPasswordSet(t, hs))

			// The PIN set is the route's parameter, untouched by the others.
			res = hs.do(http.MethodPut, pUpdatePay, enc, alice, kv{
				{"oldPassword", pin1}, {"payPasswordFirst", pin2}, {"nonce", "c3d4"},
			})
			expect(t, res, "201", "success")
		})
	}
}

// TestUnknownParamNamed: without IgnoreParams the same gateway parameter
// answers "400" invalid_argument naming it, in every encoding and in the
// request's language, and nothing reaches the Service.
func TestUnknownParamNamed(t *testing.T) {
	t.Parallel()
	langs := []struct{ accept, msg string }{
		{"en", `Unknown parameter: "sign"`},
		{"zh-CN", `未知参数："sign"`},
		{"zh-TW", `未知參數："sign"`},
		{"zh-HK", `未知參數："sign"`},
	}
	for _, enc := range encodings {
		t.Run(string(enc), func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{opts: httpadapter.Options{IgnoreParams: []string{"timestamp"}}})
			hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
			for _, l := range langs {
				r := request(t, http.MethodPut, pPay, enc, kv{{"payPasswordFirst", pin1}, {"timestamp", "1"}, {"sign", "9f86"}})
				r.Header.Set("X-User-ID", alice)
				r.Header.Set("Accept-Language", l.accept)
				res := hs.serve(r)
				expect(t, res, "400", "invalid_argument")
				assert.Equal(t, l.msg, res.env.Msg)
			}
			assert.False(t, payPasswordSet(t, hs))
			assert.NotContains(t, hs.logs.String(), "sign", "parameter names are not logged")
		})
	}
}

// TestIgnoreParamsLimits: ignoring a name changes nothing else. Names
// match exactly; ignored parameters count toward the size cap and must be
// well-formed; a name the route takes is still read, and still may not be
// repeated; an unknown name that is not plain is not repeated in msg.
func TestIgnoreParamsLimits(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{IgnoreParams: append([]string{"payPasswordFirst"}, gatewayParams...)}})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
	big := strings.Repeat("a", 17<<10)
	mpFile, mpFileBody := multipartBody(t, kv{{"payPasswordFirst", pin1}, {"file:sign", "x"}})
	cases := []struct {
		name, query, ctype, body string
		code, msg                string
	}{
		{name: "other case", query: "payPasswordFirst=472915&Sign=1", code: "400", msg: `Unknown parameter: "Sign"`},
		{name: "prefix", query: "payPasswordFirst=472915&signature=1", code: "400", msg: `Unknown parameter: "signature"`},
		{name: "JSON key other case", ctype: "application/json", body: `{"payPasswordFirst":"472915","NONCE":"1"}`,
			code: "400", msg: `Unknown parameter: "NONCE"`},
		{name: "markup in the name", query: "payPasswordFirst=472915&%3Cimg%20src%3Dx%3E=1", code: "400",
			msg: "The request has a parameter this route does not take."},
		{name: "ignored in query over the cap", query: "payPasswordFirst=472915&sign=" + big, code: "413"},
		{name: "ignored in JSON over the cap", ctype: "application/json", body: `{"payPasswordFirst":"472915","sign":"` + big + `"}`, code: "413"},
		{name: "ignored with a bad escape", query: "payPasswordFirst=472915&sign=%zz", code: "400"},
		{name: "ignored as a JSON object", ctype: "application/json", body: `{"payPasswordFirst":"472915","sign":{"v":1}}`, code: "400"},
		{name: "ignored as a JSON true", ctype: "application/json", body: `{"payPasswordFirst":"472915","nonce":true}`, code: "400"},
		{name: "ignored as a file part", ctype: mpFile, body: mpFileBody, code: "400"},
		{name: "route parameter repeated though listed", query: "payPasswordFirst=472915&payPasswordFirst=472915", code: "400",
			msg: "A parameter was given more than once."},
		{name: "route parameter still required", query: "sign=1", code: "400", msg: "Missing required parameter: payPasswordFirst"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, pPay+"?"+c.query, strings.NewReader(c.body))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			r.Header.Set("X-User-ID", alice)
			res := hs.serve(r)
			expect(t, res, c.code, map[string]string{"400": "invalid_argument", "413": "body_too_large"}[c.code])
			if c.msg != "" {
				assert.Equal(t, c.msg, res.env.Msg)
			}
			assert.NotContains(t, res.env.Msg, "<img")
		})
	}
	assert.False(t, payPasswordSet(t, hs), "no refused request reached the Service")

	// A name the route takes is read even though it is listed.
	expect(t, hs.do(http.MethodPut, pPay, encForm, alice, kv{{"payPasswordFirst", pin1}, {"sign", "1"}}), "201", "success")
	assert.True(t, payPasswordSet(t, hs))
}

// TestParamsIgnoreParams: Handler.Params, for host routes, ignores the
// same names and names an unknown one the same way.
func TestParamsIgnoreParams(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{IgnoreParams: gatewayParams}})
	for _, enc := range []encoding{encForm, encMultipart, encJSON} {
		r := request(t, http.MethodPost, "/host", enc, kv{{"userId", "u1"}, {"sign", "s"}, {"timestamp", "1"}})
		r.URL.RawQuery = "nonce=n&_=1"
		p, err := hs.ad.Params(r, "userId")
		require.NoError(t, err, enc)
		assert.Equal(t, map[string]string{"userId": "u1"}, p, enc)

		r = request(t, http.MethodPost, "/host", enc, kv{{"userId", "u1"}, {"extra", "x"}})
		r.Header.Set("Accept-Language", "zh-CN")
		_, err = hs.ad.Params(r, "userId")
		require.Error(t, err)
		res := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hs.ad.WriteError(w, r, err) }), r)
		expect(t, res, "400", "invalid_argument")
		assert.Equal(t, `未知参数："extra"`, res.env.Msg)
	}
}
