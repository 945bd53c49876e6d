package captcha_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/captcha"
	"github.com/acctsec/security/internal/cloudsign/cloudsigntest"
)

const (
	aliKeyID  = "LTAI5tCaptchaTestKey"
	aliSecret = "aliyun-captcha-test-secret"
	aliScene  = "scn7k2q1"
	// aliTicket has the shape of a captchaVerifyParam (a JSON string) with
	// the characters that need encoding in a form body.
	aliTicket = `{"certifyId":"Xq7LmC2pZa","sceneId":"scn7k2q1","isSign":true,"securityToken":"QmFzZTY0+dG9rZW4/c2VjdXJpdHk gdG9rZW4=="}`
)

// Answers shaped as Aliyun documents them: VerifyIntelligentCaptcha's
// response (RequestId, Success, Code, Message, Result.VerifyResult,
// Result.VerifyCode; "Captcha 2.0: server-side integration" and "V3 client
// architecture response data") and the API gateway's common errors.
const (
	aliPass         = `{"RequestId":"6F2B1A3C-8D4E-4F5A-9B6C-7D8E9F0A1B2C","Success":true,"Code":"Success","Message":"success","HttpStatusCode":200,"Result":{"VerifyResult":true,"VerifyCode":"T001"}}`
	aliReused       = `{"RequestId":"5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D10","Success":true,"Code":"Success","Message":"success","HttpStatusCode":200,"Result":{"VerifyResult":false,"VerifyCode":"F008"}}`
	aliAttack       = `{"RequestId":"5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D11","Success":true,"Code":"Success","Message":"success","HttpStatusCode":200,"Result":{"VerifyResult":false,"VerifyCode":"F001"}}`
	aliThrottled    = `{"RequestId":"5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D12","HostId":"captcha.cn-shanghai.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://api.aliyun.com/troubleshoot"}`
	aliUnavailable  = `{"RequestId":"5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D13","HostId":"captcha.cn-shanghai.aliyuncs.com","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`
	aliBadSignature = `{"RequestId":"5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D14","HostId":"captcha.cn-shanghai.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation."}`
)

func aliyunFake(t *testing.T, answer func(http.ResponseWriter, *http.Request, []byte)) *fakeProvider {
	return newFake(t, func(r *http.Request, b []byte) error { return cloudsigntest.VerifyACS3(r, b, aliKeyID, aliSecret) },
		aliBadSignature, answer)
}

func newAliyun(t *testing.T, endpoint string, mut ...func(*captcha.AliyunConfig)) *captcha.Aliyun {
	t.Helper()
	cfg := captcha.AliyunConfig{AccessKeyID: aliKeyID, AccessKeySecret: aliSecret, SceneID: aliScene,
		Endpoint: endpoint, Now: fixedNow, Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 1<<10))}
	for _, m := range mut {
		m(&cfg)
	}
	a, err := captcha.NewAliyun(cfg)
	require.NoError(t, err)
	return a
}

func TestAliyunRequest(t *testing.T) {
	f := aliyunFake(t, answerWith(200, aliPass))
	a := newAliyun(t, f.URL, func(c *captcha.AliyunConfig) { c.SecurityToken = "sts-token" })
	require.NoError(t, a.Verify(context.Background(), captcha.Ticket{Value: aliTicket}, "203.0.113.9"))

	reqs := f.requests()
	require.Len(t, reqs, 1)
	r, body := reqs[0].r, reqs[0].body
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/", r.URL.Path)
	assert.Empty(t, r.URL.RawQuery, "the ticket must not be in the URL")
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Equal(t, "VerifyIntelligentCaptcha", r.Header.Get("x-acs-action"))
	assert.Equal(t, "2023-03-05", r.Header.Get("x-acs-version"))
	assert.Equal(t, "2026-03-04T05:06:07Z", r.Header.Get("x-acs-date"))
	assert.Equal(t, "sts-token", r.Header.Get("x-acs-security-token"))
	assert.Contains(t, r.Header.Get("Authorization"), "SignedHeaders=content-type;host;x-acs-action;")
	form, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"CaptchaVerifyParam": {aliTicket}, "SceneId": {aliScene}}, form)

	t.Run("no scene configured", func(t *testing.T) {
		f := aliyunFake(t, answerWith(200, aliPass))
		a := newAliyun(t, f.URL, func(c *captcha.AliyunConfig) { c.SceneID = "" })
		require.NoError(t, a.Verify(context.Background(), captcha.Ticket{Value: aliTicket}, ""))
		form, err := url.ParseQuery(string(f.requests()[0].body))
		require.NoError(t, err)
		assert.Equal(t, url.Values{"CaptchaVerifyParam": {aliTicket}}, form)
	})
}

func TestAliyunVerdicts(t *testing.T) {
	msg, _ := json.Marshal("The parameter CaptchaVerifyParam " + aliTicket + " is invalid.")
	echo := `{"RequestId":"5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D15","Code":"InvalidParameter","Message":` + string(msg) + `}`
	for _, tt := range []verdictCase{
		{name: "T001 passes", answer: answerWith(200, aliPass)},
		{name: "T005 test mode passes", answer: answerWith(200, strings.Replace(aliPass, "T001", "T005", 1))},
		{name: "F008 ticket reused", answer: answerWith(200, aliReused), want: captcha.ErrRejected, code: "F008", requestID: "5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D10"},
		{name: "F001 suspected attack", answer: answerWith(200, aliAttack), want: captcha.ErrRejected, code: "F001", requestID: "5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D11"},
		{name: "parameter error echoing the ticket", answer: answerWith(400, echo), want: captcha.ErrRejected, code: "InvalidParameter", requestID: "5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D15"},
		{name: "throttled", answer: answerWith(400, aliThrottled), want: captcha.ErrUnavailable, code: "Throttling.User", requestID: "5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D12"},
		{name: "503 service unavailable", answer: answerWith(503, aliUnavailable), want: captcha.ErrUnavailable, code: "ServiceUnavailable", requestID: "5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D13"},
		{name: "wrong secret", answer: answerWith(200, aliPass), secret: "not-the-secret", want: captcha.ErrUnavailable, code: "SignatureDoesNotMatch", requestID: "5B7B1C6A-29E2-5E2B-9E59-8E2C2F3A4D14"},
		{name: "502 from a proxy", answer: answerWith(502, "<html>Bad Gateway</html>"), want: captcha.ErrUnavailable},
		{name: "200 that is not JSON", answer: answerWith(200, "<html>ok</html>"), want: captcha.ErrUnavailable},
		{name: "200 without Result", answer: answerWith(200, `{"RequestId":"R1","Success":true,"Code":"Success"}`), want: captcha.ErrUnavailable, requestID: "R1"},
		{name: "200 with VerifyResult missing", answer: answerWith(200, `{"RequestId":"R2","Success":true,"Code":"Success","Result":{"VerifyCode":"T001"}}`), want: captcha.ErrUnavailable, requestID: "R2"},
		{name: "Success false", answer: answerWith(200, `{"RequestId":"R3","Success":false,"Code":"Success","Result":{"VerifyResult":true}}`), want: captcha.ErrUnavailable, requestID: "R3"},
		{name: "404 without a code", answer: answerWith(404, "not found"), want: captcha.ErrRejected},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := aliyunFake(t, tt.answer)
			a := newAliyun(t, f.URL, func(c *captcha.AliyunConfig) {
				if tt.secret != "" {
					c.AccessKeySecret = tt.secret
				}
			})
			err := a.Verify(context.Background(), captcha.Ticket{Value: aliTicket}, "")
			assertVerdict(t, tt, err, aliTicket, aliSecret, "not-the-secret", "QmFzZTY0+dG9rZW4")
			assert.Len(t, f.requests(), 1, "one request, never retried")
		})
	}
}

func TestAliyunUnreachable(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		f := aliyunFake(t, hang)
		a := newAliyun(t, f.URL, func(c *captcha.AliyunConfig) { c.Timeout = 50 * time.Millisecond })
		err := a.Verify(context.Background(), captcha.Ticket{Value: aliTicket}, "")
		require.ErrorIs(t, err, captcha.ErrUnavailable)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assertClean(t, err, aliTicket, aliSecret, "127.0.0.1")
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		endpoint := srv.URL
		srv.Close()
		err := newAliyun(t, endpoint).Verify(context.Background(), captcha.Ticket{Value: aliTicket}, "")
		require.ErrorIs(t, err, captcha.ErrUnavailable)
		assertClean(t, err, aliTicket, aliSecret, endpoint)
	})
	t.Run("redirect not followed", func(t *testing.T) {
		var elsewhere atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
		defer other.Close()
		f := aliyunFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
		})
		err := newAliyun(t, f.URL).Verify(context.Background(), captcha.Ticket{Value: aliTicket}, "")
		require.ErrorIs(t, err, captcha.ErrRejected)
		assert.Zero(t, elsewhere.Load(), "the signed request with the ticket went elsewhere")
	})
}

// TestMalformedTickets checks that a ticket no provider could have issued
// is rejected before any request, by both verifiers.
func TestMalformedTickets(t *testing.T) {
	ali := aliyunFake(t, answerWith(200, aliPass))
	tc := tencentFake(t, answerWith(200, tcPass))
	verifiers := map[string]captcha.Verifier{"aliyun": newAliyun(t, ali.URL), "tencent": newTencent(t, tc.URL)}
	for _, tt := range []struct {
		name   string
		ticket captcha.Ticket
	}{
		{"empty", captcha.Ticket{Randstr: "@Vki"}},
		{"too long", captcha.Ticket{Value: strings.Repeat("a", captcha.MaxTicketLen+1), Randstr: "@Vki"}},
		{"newline", captcha.Ticket{Value: "ok\nX-Injected: 1", Randstr: "@Vki"}},
		{"non-ASCII", captcha.Ticket{Value: "票据", Randstr: "@Vki"}},
		{"NUL in randstr", captcha.Ticket{Value: "tr03ok", Randstr: "@V\x00"}},
		{"randstr too long", captcha.Ticket{Value: "tr03ok", Randstr: strings.Repeat("r", captcha.MaxRandstrLen+1)}},
	} {
		for name, v := range verifiers {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				err := v.Verify(context.Background(), tt.ticket, "203.0.113.9")
				require.ErrorIs(t, err, captcha.ErrRejected)
				assertClean(t, err, tt.ticket.Value)
			})
		}
	}
	assert.Empty(t, ali.requests())
	assert.Empty(t, tc.requests())
}

func TestNewAliyunRefuses(t *testing.T) {
	for name, cfg := range map[string]captcha.AliyunConfig{
		"no key":           {AccessKeySecret: "s"},
		"no secret":        {AccessKeyID: "k"},
		"endpoint w/ user": {AccessKeyID: "k", AccessKeySecret: "s", Endpoint: "https://u:p@captcha.cn-shanghai.aliyuncs.com"},
		"endpoint query":   {AccessKeyID: "k", AccessKeySecret: "s", Endpoint: "https://captcha.cn-shanghai.aliyuncs.com/?a=b"},
		"relative":         {AccessKeyID: "k", AccessKeySecret: "s", Endpoint: "captcha.cn-shanghai.aliyuncs.com"},
		"timeout":          {AccessKeyID: "k", AccessKeySecret: "s", Timeout: time.Minute},
		"negative timeout": {AccessKeyID: "k", AccessKeySecret: "s", Timeout: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := captcha.NewAliyun(cfg)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "u:p")
		})
	}
}
