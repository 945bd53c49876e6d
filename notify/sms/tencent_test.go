package sms_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify/sms"
)

const (
	tcSecretID  = "AKIDtestSecretId0123"
	tcSecretKey = "tencent-test-secret-key"
)

// The worked example of Tencent Cloud's "Signature v3" document: CVM
// DescribeInstances, timestamp 1551113065.
func TestTC3DocumentedExample(t *testing.T) {
	const (
		secretID  = "AKID**********************0123456789EXAMPLE"
		secretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
		payload   = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
		want      = "TC3-HMAC-SHA256 Credential=AKID**********************0123456789EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	)
	assert.Equal(t, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064", hexSHA([]byte(payload)), "documented payload hash")
	headers := map[string]string{"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}

	t.Run("client signer", func(t *testing.T) {
		assert.Equal(t, want, sms.SignTC3("POST", "/", "", headers, []byte(payload), "cvm", 1551113065, secretID, secretKey))
	})

	t.Run("test server's verifier", func(t *testing.T) {
		for _, tt := range []struct {
			name, auth, key string
			ok              bool
		}{
			{"documented signature", want, secretKey, true},
			{"wrong key", want, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLF", false},
			{"one digit changed", strings.Replace(want, "72e494ea", "72e494eb", 1), secretKey, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := httptest.NewRequest("POST", "https://cvm.tencentcloudapi.com/", strings.NewReader(payload))
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				r.Header.Set("X-TC-Timestamp", "1551113065")
				r.Header.Set("Authorization", tt.auth)
				err := verifyTC3(r, []byte(payload), secretID, tt.key, "cvm")
				if tt.ok {
					require.NoError(t, err)
				} else {
					require.Error(t, err)
				}
			})
		}
	})
}

func tencentFake(t *testing.T, status int, body string) *fakeProvider {
	return newFake(t,
		func(r *http.Request, b []byte) error { return verifyTC3(r, b, tcSecretID, tcSecretKey, "sms") },
		func(w http.ResponseWriter, err error) {
			t.Logf("fake tencent refused the signature: %v", err)
			fmt.Fprint(w, `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated. Please check your signature is correct."},"RequestId":"ed93f3cb-sig"}}`)
		},
		func(w http.ResponseWriter, r *http.Request, b []byte) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
}

func newTencent(t *testing.T, endpoint string, mut ...func(*sms.TencentConfig)) *sms.Tencent {
	t.Helper()
	cfg := sms.TencentConfig{
		SecretID: tcSecretID, SecretKey: tcSecretKey, SmsSdkAppID: "1400006666", SignName: "腾讯云",
		Templates: map[security.Purpose]sms.Template{
			security.PurposeBindPhone:       {ID: "1110", Params: []string{"code", "minutes"}},
			security.PurposePasswordChanged: {ID: "1113"},
		},
		Endpoint: endpoint, Now: fixedNow,
	}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := sms.NewTencent(cfg)
	require.NoError(t, err)
	return c
}

func tencentStatus(code, msg string) string {
	return `{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613800138000","Fee":1,"SessionContext":"","Code":"` +
		code + `","Message":"` + msg + `","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`
}

func tencentError(code, msg string) string {
	return `{"Response":{"Error":{"Code":"` + code + `","Message":"` + msg + `"},"RequestId":"req-` + code + `"}}`
}

func TestTencentSends(t *testing.T) {
	tests := []struct {
		name   string
		msg    security.Message
		region string
		token  string
		want   map[string]any
	}{
		{
			name: "code with minutes",
			msg:  codeMsg(security.PurposeBindPhone, "+8613800138000"),
			want: map[string]any{"PhoneNumberSet": []any{"+8613800138000"}, "SmsSdkAppId": "1400006666", "SignName": "腾讯云",
				"TemplateId": "1110", "TemplateParamSet": []any{"482915", "10"}},
		},
		{
			name:   "notice, other region, temporary credentials",
			msg:    security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposePasswordChanged},
			region: "ap-beijing",
			token:  "tc-session-token",
			want: map[string]any{"PhoneNumberSet": []any{"+8613800138000"}, "SmsSdkAppId": "1400006666", "SignName": "腾讯云",
				"TemplateId": "1113", "TemplateParamSet": []any{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tencentFake(t, http.StatusOK, tencentStatus("Ok", "send success"))
			c := newTencent(t, f.URL, func(c *sms.TencentConfig) { c.Region, c.Token = tt.region, tt.token })
			require.NoError(t, c.Send(context.Background(), tt.msg))

			reqs := f.requests()
			require.Len(t, reqs, 1)
			r := reqs[0].r
			assert.Equal(t, "POST", r.Method)
			assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			assert.Equal(t, "SendSms", r.Header.Get("X-TC-Action"))
			assert.Equal(t, "2021-01-11", r.Header.Get("X-TC-Version"))
			assert.Equal(t, "1772600767", r.Header.Get("X-TC-Timestamp"))
			wantRegion := tt.region
			if wantRegion == "" {
				wantRegion = "ap-guangzhou"
			}
			assert.Equal(t, wantRegion, r.Header.Get("X-TC-Region"))
			assert.Equal(t, tt.token, r.Header.Get("X-TC-Token"))
			var body map[string]any
			require.NoError(t, json.Unmarshal(reqs[0].body, &body))
			assert.Equal(t, tt.want, body)
		})
	}
}

func TestTencentFailures(t *testing.T) {
	tests := []failureCase{
		{"daily limit per number (in SendStatusSet)", 200, tencentStatus("LimitExceeded.PhoneNumberDailyLimit", "the number of sms messages sent from a single mobile number every day exceeds the upper limit"), "", sms.ErrThrottled, "LimitExceeded.PhoneNumberDailyLimit", "a0aabda6-cf91-4f3e-a81f-9198114a2279"},
		{"30-second limit", 200, tencentStatus("LimitExceeded.PhoneNumberThirtySecondLimit", "too often"), "", sms.ErrThrottled, "LimitExceeded.PhoneNumberThirtySecondLimit", "a0aabda6-cf91-4f3e-a81f-9198114a2279"},
		{"API rate limit (Response.Error)", 200, tencentError("RequestLimitExceeded", "request limit exceeded"), "", sms.ErrThrottled, "RequestLimitExceeded", "req-RequestLimitExceeded"},
		{"incorrect number (in SendStatusSet)", 200, tencentStatus("InvalidParameterValue.IncorrectPhoneNumber", "invalid mobile number +8613800138000"), "", sms.ErrInvalidNumber, "InvalidParameterValue.IncorrectPhoneNumber", "a0aabda6-cf91-4f3e-a81f-9198114a2279"},
		{"incorrect number (Response.Error)", 200, tencentError("InvalidParameterValue.IncorrectPhoneNumber", "bad number"), "", sms.ErrInvalidNumber, "InvalidParameterValue.IncorrectPhoneNumber", "req-InvalidParameterValue.IncorrectPhoneNumber"},
		{"template not approved", 200, tencentError("FailedOperation.TemplateIncorrectOrUnapproved", "template unapproved"), "", sms.ErrRejected, "FailedOperation.TemplateIncorrectOrUnapproved", "req-FailedOperation.TemplateIncorrectOrUnapproved"},
		{"blacklisted number", 200, tencentStatus("FailedOperation.PhoneNumberInBlacklist", "blacklist"), "", sms.ErrRejected, "FailedOperation.PhoneNumberInBlacklist", "a0aabda6-cf91-4f3e-a81f-9198114a2279"},
		{"unknown SecretId", 200, tencentError("AuthFailure.SecretIdNotFound", "The SecretId is not found"), "", sms.ErrAuth, "AuthFailure.SecretIdNotFound", "req-AuthFailure.SecretIdNotFound"},
		{"wrong key, refused by the signature check", 200, tencentStatus("Ok", "send success"), "not-the-key", sms.ErrAuth, "AuthFailure.SignatureFailure", "ed93f3cb-sig"},
		{"app verification", 200, tencentError("UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail"), "", sms.ErrAuth, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "req-UnauthorizedOperation.SmsSdkAppIdVerifyFail"},
		{"internal timeout", 200, tencentError("InternalError.Timeout", "timeout"), "", sms.ErrUnavailable, "InternalError.Timeout", "req-InternalError.Timeout"},
		{"502", 502, `<html>bad gateway</html>`, "", sms.ErrUnavailable, "", ""},
		{"malformed JSON", 200, `{"Response":`, "", sms.ErrUnavailable, "", ""},
		{"neither error nor status", 200, `{"Response":{"RequestId":"r-empty"}}`, "", sms.ErrUnavailable, "", "r-empty"},
		{"echoed code is redacted", 200, tencentStatus("FailedOperation.ContainSensitiveWord", "sensitive word in 482915"), "", sms.ErrRejected, "FailedOperation.ContainSensitiveWord", "a0aabda6-cf91-4f3e-a81f-9198114a2279"},
		{"echoed national number is redacted", 200, tencentStatus("FailedOperation.PhoneNumberInBlacklist", "13800138000 is blacklisted"), "", sms.ErrRejected, "FailedOperation.PhoneNumberInBlacklist", "a0aabda6-cf91-4f3e-a81f-9198114a2279"},
	}
	runFailures(t, "tencent", tests, func(t *testing.T, status int, body, cred string) (security.Notifier, *fakeProvider) {
		f := tencentFake(t, status, body)
		return newTencent(t, f.URL, func(c *sms.TencentConfig) {
			if cred != "" {
				c.SecretKey = cred
			}
		}), f
	}, tcSecretKey, "Signature=")
}

func TestNewTencentValidates(t *testing.T) {
	ok := map[security.Purpose]sms.Template{security.PurposeBindPhone: {ID: "1110", Params: []string{"code"}}}
	tests := []struct {
		name string
		cfg  sms.TencentConfig
	}{
		{"no key", sms.TencentConfig{SmsSdkAppID: "1400006666", Templates: ok}},
		{"no app", sms.TencentConfig{SecretID: "i", SecretKey: "k", Templates: ok}},
		{"no templates", sms.TencentConfig{SecretID: "i", SecretKey: "k", SmsSdkAppID: "1400006666"}},
		{"endpoint with query", sms.TencentConfig{SecretID: "i", SecretKey: "k", SmsSdkAppID: "1400006666", Templates: ok, Endpoint: "https://sms.tencentcloudapi.com/?x=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.NewTencent(tt.cfg)
			require.Error(t, err)
		})
	}
}
