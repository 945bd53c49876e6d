package captcha_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/captcha"
	"github.com/acctsec/security/internal/cloudsign/cloudsigntest"
)

const (
	tcSecretID  = "AKIDcaptchaTestSecretId01"
	tcSecretKey = "tencent-captcha-test-secret-key"
	tcAppID     = 199999164
	tcAppSecret = "E4kwK9AcXQMHkktiItyMEyQPn" // the API document's example value
	// tcTicket and tcRandstr are the API document's example values.
	tcTicket  = "tr03XaCUZPAlPdIMqv17yvcfdXCzkqvLE09AbCA4ghlWfD8hkySfbU2TZVCyoOCjNI84pAYEMopKv7Uh8XwQDSE9DC0xJpXVC7kmlPENlbFINs_N937qkoEmU6Pl8e-9EkFQzvrrwsZOTKQ*"
	tcRandstr = "@Vki"
)

// Answers shaped as Tencent Cloud documents them. tcPass is the "Example 1"
// output of DescribeCaptchaResult (tencentcloud-cli,
// tccli/examples/captcha/v20190722/DescribeCaptchaResult.md); the failures
// use the CaptchaCode values of the API's output parameters (9 ticket
// reused, 21 risk or "trerror" disaster ticket, 100 appid-secretkey-ticket
// mismatch) and the common error codes of API 3.0.
const (
	tcPass         = `{"Response":{"RequestId":"3b61a17b-cb38-470e-802c-b6242faf81ac","CaptchaCode":1,"CaptchaMsg":"OK","EvilLevel":0,"GetCaptchaTime":1583749870},"retcode":0,"retmsg":"success"}`
	tcBadSignature = `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated. Please check your signature is correct."},"RequestId":"ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}`
)

// tcCode is a verdict other than a pass; its RequestId ends in code.
func tcCode(code int, msg string) string {
	return fmt.Sprintf(`{"Response":{"RequestId":"a1b2c3d4-0000-4000-8000-%012d","CaptchaCode":%d,"CaptchaMsg":%q,"EvilLevel":0}}`, code, code, msg)
}

func tcError(code, msg string) string {
	return `{"Response":{"Error":{"Code":"` + code + `","Message":"` + msg + `"},"RequestId":"b2c3d4e5-1111-4111-8111-111111111111"}}`
}

func tencentFake(t *testing.T, answer func(http.ResponseWriter, *http.Request, []byte)) *fakeProvider {
	return newFake(t, func(r *http.Request, b []byte) error {
		return cloudsigntest.VerifyTC3(r, b, tcSecretID, tcSecretKey, "captcha")
	}, tcBadSignature, answer)
}

func newTencent(t *testing.T, endpoint string, mut ...func(*captcha.TencentConfig)) *captcha.Tencent {
	t.Helper()
	cfg := captcha.TencentConfig{SecretID: tcSecretID, SecretKey: tcSecretKey, CaptchaAppID: tcAppID, AppSecretKey: tcAppSecret,
		Endpoint: endpoint, Now: fixedNow}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := captcha.NewTencent(cfg)
	require.NoError(t, err)
	return c
}

var tcGood = captcha.Ticket{Value: tcTicket, Randstr: tcRandstr}

func TestTencentRequest(t *testing.T) {
	f := tencentFake(t, answerWith(200, tcPass))
	c := newTencent(t, f.URL, func(c *captcha.TencentConfig) { c.Token = "session-token" })
	require.NoError(t, c.Verify(context.Background(), tcGood, "::ffff:203.0.113.9"))

	reqs := f.requests()
	require.Len(t, reqs, 1)
	r := reqs[0].r
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/", r.URL.Path)
	assert.Empty(t, r.URL.RawQuery)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Equal(t, "DescribeCaptchaResult", r.Header.Get("X-TC-Action"))
	assert.Equal(t, "2019-07-22", r.Header.Get("X-TC-Version"))
	assert.Equal(t, "1772600767", r.Header.Get("X-TC-Timestamp"))
	assert.Equal(t, "session-token", r.Header.Get("X-TC-Token"))
	assert.Empty(t, r.Header.Get("X-TC-Region"), "the API takes no region")

	var body map[string]any
	d := json.NewDecoder(bytesReader(reqs[0].body))
	d.UseNumber()
	require.NoError(t, d.Decode(&body))
	assert.Equal(t, map[string]any{
		"CaptchaType":  json.Number("9"),
		"Ticket":       tcTicket,
		"UserIp":       "203.0.113.9",
		"Randstr":      tcRandstr,
		"CaptchaAppId": json.Number("199999164"),
		"AppSecretKey": tcAppSecret,
	}, body)
}

func TestTencentVerdicts(t *testing.T) {
	echo := tcError("InvalidParameterValue", "The value of parameter `Ticket` "+tcTicket+" is invalid, AppSecretKey "+tcAppSecret)
	evil := `{"Response":{"RequestId":"c3d4e5f6-2222-4222-8222-222222222222","CaptchaCode":1,"CaptchaMsg":"OK","EvilLevel":100}}`
	for _, tt := range []verdictCase{
		{name: "documented pass", answer: answerWith(200, tcPass)},
		{name: "9 ticket reused", answer: answerWith(200, tcCode(9, "ticket reused")), want: captcha.ErrRejected, code: "9", requestID: "a1b2c3d4-0000-4000-8000-000000000009"},
		{name: "21 trerror disaster ticket", answer: answerWith(200, tcCode(21, "diff")), want: captcha.ErrRejected, code: "21", requestID: "a1b2c3d4-0000-4000-8000-000000000021"},
		{name: "100 appid-secretkey-ticket mismatch", answer: answerWith(200, tcCode(100, "appid-secretkey-ticket mismatch")), want: captcha.ErrRejected, code: "100", requestID: "a1b2c3d4-0000-4000-8000-000000000100"},
		{name: "EvilLevel 100", answer: answerWith(200, evil), want: captcha.ErrRejected, code: "EvilLevel=100", requestID: "c3d4e5f6-2222-4222-8222-222222222222"},
		{name: "parameter error echoing the ticket", answer: answerWith(200, echo), want: captcha.ErrRejected, code: "InvalidParameterValue", requestID: "b2c3d4e5-1111-4111-8111-111111111111"},
		{name: "throttled", answer: answerWith(200, tcError("RequestLimitExceeded", "Your current request times equals to `1001` in a second, which exceeds the frequency limit `1000` for a second.")),
			want: captcha.ErrUnavailable, code: "RequestLimitExceeded", requestID: "b2c3d4e5-1111-4111-8111-111111111111"},
		{name: "internal error", answer: answerWith(200, tcError("InternalError", "An internal error has occurred.")), want: captcha.ErrUnavailable, code: "InternalError", requestID: "b2c3d4e5-1111-4111-8111-111111111111"},
		{name: "wrong secret key", answer: answerWith(200, tcPass), secret: "not-the-key", want: captcha.ErrUnavailable, code: "AuthFailure.SignatureFailure", requestID: "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"},
		{name: "503 from a proxy", answer: answerWith(503, "<html>busy</html>"), want: captcha.ErrUnavailable},
		{name: "200 that is not JSON", answer: answerWith(200, "<html>ok</html>"), want: captcha.ErrUnavailable},
		{name: "200 without CaptchaCode", answer: answerWith(200, `{"Response":{"RequestId":"r-1"}}`), want: captcha.ErrUnavailable, requestID: "r-1"},
		{name: "429 without a body", answer: answerWith(429, ""), want: captcha.ErrUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := tencentFake(t, tt.answer)
			c := newTencent(t, f.URL, func(c *captcha.TencentConfig) {
				if tt.secret != "" {
					c.SecretKey = tt.secret
				}
			})
			err := c.Verify(context.Background(), tcGood, "203.0.113.9")
			assertVerdict(t, tt, err, tcTicket, tcRandstr, tcAppSecret, tcSecretKey, "not-the-key")
			assert.Len(t, f.requests(), 1, "one request, never retried")
		})
	}
}

func TestTencentNeedsClientIP(t *testing.T) {
	f := tencentFake(t, answerWith(200, tcPass))
	c := newTencent(t, f.URL)
	for _, ip := range []string{"", "unknown", "203.0.113.9:443"} {
		err := c.Verify(context.Background(), tcGood, ip)
		require.ErrorIs(t, err, captcha.ErrNoClientIP, ip)
		assert.NotErrorIs(t, err, captcha.ErrUnavailable)
		assert.NotErrorIs(t, err, captcha.ErrRejected)
	}
	assert.Empty(t, f.requests())
}

func TestNewTencentRefuses(t *testing.T) {
	ok := captcha.TencentConfig{SecretID: "id", SecretKey: "key", CaptchaAppID: 1, AppSecretKey: "app"}
	for name, mut := range map[string]func(*captcha.TencentConfig){
		"no secret id":      func(c *captcha.TencentConfig) { c.SecretID = "" },
		"no secret key":     func(c *captcha.TencentConfig) { c.SecretKey = "" },
		"no app id":         func(c *captcha.TencentConfig) { c.CaptchaAppID = 0 },
		"no app secret key": func(c *captcha.TencentConfig) { c.AppSecretKey = "" },
		"bad endpoint":      func(c *captcha.TencentConfig) { c.Endpoint = "ftp://captcha.tencentcloudapi.com" },
		"timeout too long":  func(c *captcha.TencentConfig) { c.Timeout = 31e9 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			mut(&cfg)
			_, err := captcha.NewTencent(cfg)
			require.Error(t, err)
		})
	}
	_, err := captcha.NewTencent(ok)
	require.NoError(t, err)
}
