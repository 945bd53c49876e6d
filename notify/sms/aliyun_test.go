package sms_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify/sms"
)

const (
	aliKeyID  = "LTAI5tTestKeyId"
	aliSecret = "aliyun-test-secret-value"
)

// The worked example of Aliyun's "V3 request structure and signature"
// document: RunInstances on ECS, every input fixed.
var aliyunDocExample = struct {
	host, action, version, date, nonce, query, keyID, secret, authorization string
}{
	host:          "ecs.cn-shanghai.aliyuncs.com",
	action:        "RunInstances",
	version:       "2014-05-26",
	date:          "2023-10-26T10:22:32Z",
	nonce:         "3156853299f313e23d1673dc12e1703d",
	query:         "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
	keyID:         "YourAccessKeyId",
	secret:        "YourAccessKeySecret",
	authorization: "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
}

func TestACS3DocumentedExample(t *testing.T) {
	ex := aliyunDocExample
	empty := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	headers := map[string]string{
		"host": ex.host, "x-acs-action": ex.action, "x-acs-version": ex.version, "x-acs-date": ex.date,
		"x-acs-signature-nonce": ex.nonce, "x-acs-content-sha256": empty,
	}
	q, err := url.ParseQuery(ex.query)
	require.NoError(t, err)

	t.Run("client signer", func(t *testing.T) {
		assert.Equal(t, ex.query, sms.ACS3Query(q))
		assert.Equal(t, ex.authorization, sms.SignACS3("POST", "/", sms.ACS3Query(q), headers, empty, ex.keyID, ex.secret))
	})

	t.Run("test server's verifier", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			auth   string
			secret string
			ok     bool
		}{
			{"documented signature", ex.authorization, ex.secret, true},
			{"wrong secret", ex.authorization, "NotYourSecret", false},
			{"one digit changed", strings.Replace(ex.authorization, "06563a9e", "06563a9f", 1), ex.secret, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := httptest.NewRequest("POST", "https://"+ex.host+"/?"+ex.query, nil)
				for k, v := range headers {
					if k != "host" {
						r.Header.Set(k, v)
					}
				}
				r.Header.Set("Authorization", tt.auth)
				err := verifyACS3(r, nil, ex.keyID, tt.secret)
				if tt.ok {
					require.NoError(t, err)
				} else {
					require.Error(t, err)
				}
			})
		}
	})
}

func TestACS3Encoding(t *testing.T) {
	q := url.Values{"b": {""}, "a": {"x y*~/中"}, "TemplateParam": {`{"code":"1"}`}}
	assert.Equal(t, "TemplateParam=%7B%22code%22%3A%221%22%7D&a=x%20y%2A~%2F%E4%B8%AD&b=", sms.ACS3Query(q))
}

// aliyunFake is a local dysmsapi that verifies signatures with aliSecret
// and answers with status and body.
func aliyunFake(t *testing.T, status int, body string) *fakeProvider {
	return newFake(t,
		func(r *http.Request, b []byte) error { return verifyACS3(r, b, aliKeyID, aliSecret) },
		func(w http.ResponseWriter, err error) {
			t.Logf("fake aliyun refused the signature: %v", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"RequestId":"7A1C-SIG","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","Recommend":"https://api.aliyun.com/troubleshoot"}`)
		},
		func(w http.ResponseWriter, r *http.Request, b []byte) {
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
}

func newAliyun(t *testing.T, endpoint string, mut ...func(*sms.AliyunConfig)) *sms.Aliyun {
	t.Helper()
	cfg := sms.AliyunConfig{
		AccessKeyID: aliKeyID, AccessKeySecret: aliSecret, SignName: "极客商城",
		Templates: map[security.Purpose]sms.Template{
			security.PurposeBindPhone:       {ID: "SMS_100001", Params: []string{"code", "minutes"}},
			security.PurposeForgotPassword:  {ID: "SMS_100002", Params: []string{"number=code"}},
			security.PurposePasswordChanged: {ID: "SMS_100003"},
			security.PurposePhoneBound:      {ID: "SMS_100004", Params: []string{"phone"}},
		},
		Endpoint: endpoint, Now: fixedNow,
	}
	for _, m := range mut {
		m(&cfg)
	}
	a, err := sms.NewAliyun(cfg)
	require.NoError(t, err)
	return a
}

const aliyunOK = `{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^0"}`

func TestAliyunSends(t *testing.T) {
	tests := []struct {
		name  string
		msg   security.Message
		want  url.Values
		token string
	}{
		{
			name: "code with minutes, mainland number",
			msg:  codeMsg(security.PurposeBindPhone, "+8613800138000"),
			want: url.Values{"PhoneNumbers": {"13800138000"}, "SignName": {"极客商城"}, "TemplateCode": {"SMS_100001"},
				"TemplateParam": {`{"code":"482915","minutes":"10"}`}},
		},
		{
			name: "renamed variable, international number, STS token",
			msg:  codeMsg(security.PurposeForgotPassword, "+85291234567"),
			want: url.Values{"PhoneNumbers": {"85291234567"}, "SignName": {"极客商城"}, "TemplateCode": {"SMS_100002"},
				"TemplateParam": {`{"number":"482915"}`}},
			token: "sts-token-value",
		},
		{
			name: "notice without parameters",
			msg:  security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposePasswordChanged, Time: now},
			want: url.Values{"PhoneNumbers": {"13800138000"}, "SignName": {"极客商城"}, "TemplateCode": {"SMS_100003"}},
		},
		{
			name: "notice with the masked phone",
			msg:  security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposePhoneBound, Time: now},
			want: url.Values{"PhoneNumbers": {"13800138000"}, "SignName": {"极客商城"}, "TemplateCode": {"SMS_100004"},
				"TemplateParam": {`{"phone":"+86138****8000"}`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := aliyunFake(t, http.StatusOK, aliyunOK)
			a := newAliyun(t, f.URL, func(c *sms.AliyunConfig) { c.SecurityToken = tt.token })
			require.NoError(t, a.Send(context.Background(), tt.msg))

			reqs := f.requests()
			require.Len(t, reqs, 1)
			r := reqs[0].r
			assert.Equal(t, "POST", r.Method)
			assert.Equal(t, "/", r.URL.Path)
			assert.Equal(t, tt.want, r.URL.Query())
			assert.Empty(t, reqs[0].body)
			assert.Equal(t, "SendSms", r.Header.Get("x-acs-action"))
			assert.Equal(t, "2017-05-25", r.Header.Get("x-acs-version"))
			assert.Equal(t, "2026-03-04T05:06:07Z", r.Header.Get("x-acs-date"))
			assert.Regexp(t, `^[0-9a-f]{32}$`, r.Header.Get("x-acs-signature-nonce"))
			assert.Equal(t, tt.token, r.Header.Get("x-acs-security-token"))
		})
	}
}

func TestAliyunNoncesDiffer(t *testing.T) {
	f := aliyunFake(t, http.StatusOK, aliyunOK)
	a := newAliyun(t, f.URL)
	for range 3 {
		require.NoError(t, a.Send(context.Background(), codeMsg(security.PurposeBindPhone, "+8613800138000")))
	}
	nonces := map[string]bool{}
	for _, s := range f.requests() {
		nonces[s.r.Header.Get("x-acs-signature-nonce")] = true
	}
	assert.Len(t, nonces, 3)
}

func TestAliyunFailures(t *testing.T) {
	tests := []failureCase{
		{"minute throttle", 200, `{"Message":"触发分钟级流控Permits:1","RequestId":"R-THROTTLE","Code":"isv.BUSINESS_LIMIT_CONTROL"}`, "", sms.ErrThrottled, "isv.BUSINESS_LIMIT_CONTROL", "R-THROTTLE"},
		{"daily limit", 200, `{"Message":"触发天级流控Permits:10","RequestId":"R-DAY","Code":"isv.DAY_LIMIT_CONTROL"}`, "", sms.ErrThrottled, "isv.DAY_LIMIT_CONTROL", "R-DAY"},
		{"API throttling", 400, `{"RequestId":"R-API","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`, "", sms.ErrThrottled, "Throttling.User", "R-API"},
		{"invalid number", 200, `{"Message":"13800138000invalidated","RequestId":"R-NUM","Code":"isv.MOBILE_NUMBER_ILLEGAL"}`, "", sms.ErrInvalidNumber, "isv.MOBILE_NUMBER_ILLEGAL", "R-NUM"},
		{"template not approved", 200, `{"Message":"模板不合法(不存在或被拉黑)","RequestId":"R-TPL","Code":"isv.SMS_TEMPLATE_ILLEGAL"}`, "", sms.ErrRejected, "isv.SMS_TEMPLATE_ILLEGAL", "R-TPL"},
		{"balance", 200, `{"Message":"账户余额不足","RequestId":"R-BAL","Code":"isv.AMOUNT_NOT_ENOUGH"}`, "", sms.ErrRejected, "isv.AMOUNT_NOT_ENOUGH", "R-BAL"},
		{"unknown AccessKey", 404, `{"RequestId":"R-AK","HostId":"dysmsapi.aliyuncs.com","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`, "", sms.ErrAuth, "InvalidAccessKeyId.NotFound", "R-AK"},
		{"wrong secret, refused by the signature check", 200, aliyunOK, "not-the-secret", sms.ErrAuth, "SignatureDoesNotMatch", "7A1C-SIG"},
		{"RAM permission", 200, `{"Message":"RAM权限DENY","RequestId":"R-RAM","Code":"isp.RAM_PERMISSION_DENY"}`, "", sms.ErrAuth, "isp.RAM_PERMISSION_DENY", "R-RAM"},
		{"system error", 200, `{"Message":"System error","RequestId":"R-SYS","Code":"isp.SYSTEM_ERROR"}`, "", sms.ErrUnavailable, "isp.SYSTEM_ERROR", "R-SYS"},
		{"503 with code", 503, `{"RequestId":"R-503","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`, "", sms.ErrUnavailable, "ServiceUnavailable", "R-503"},
		{"502 without body", 502, `<html>Bad Gateway</html>`, "", sms.ErrUnavailable, "", ""},
		{"malformed JSON", 200, `{"Code":"OK",`, "", sms.ErrUnavailable, "", ""},
		{"empty answer", 200, ``, "", sms.ErrUnavailable, "", ""},
		{"echoed parameters are redacted", 200, `{"Message":"JSON参数不合法 {\"code\":\"482915\"} 13800138000","RequestId":"R-JSON","Code":"isv.INVALID_JSON_PARAM"}`, "", sms.ErrRejected, "isv.INVALID_JSON_PARAM", "R-JSON"},
	}
	runFailures(t, "aliyun", tests, func(t *testing.T, status int, body, cred string) (security.Notifier, *fakeProvider) {
		f := aliyunFake(t, status, body)
		return newAliyun(t, f.URL, func(c *sms.AliyunConfig) {
			if cred != "" {
				c.AccessKeySecret = cred
			}
		}), f
	}, aliSecret, "Signature=")
}

func TestAliyunRefusesBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		msg  security.Message
		want error
	}{
		{"no template for purpose", codeMsg(security.PurposeConfirmPhone, "+8613800138000"), sms.ErrNoTemplate},
		{"email channel", security.Message{Channel: security.ChannelEmail, To: "a@example.com", Purpose: security.PurposeBindPhone, Code: "1"}, security.ErrInvalidArgument},
		{"not E.164", codeMsg(security.PurposeBindPhone, "13800138000"), sms.ErrInvalidNumber},
		{"code template without a code", security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone}, security.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := aliyunFake(t, http.StatusOK, aliyunOK)
			err := newAliyun(t, f.URL).Send(context.Background(), tt.msg)
			require.ErrorIs(t, err, tt.want)
			assert.Empty(t, f.requests())
		})
	}
}

func TestNewAliyunValidates(t *testing.T) {
	ok := map[security.Purpose]sms.Template{security.PurposeBindPhone: {ID: "SMS_1", Params: []string{"code"}}}
	tests := []struct {
		name string
		cfg  sms.AliyunConfig
	}{
		{"no key", sms.AliyunConfig{SignName: "s", Templates: ok}},
		{"no sign name", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", Templates: ok}},
		{"no templates", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", SignName: "s"}},
		{"empty template ID", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", SignName: "s",
			Templates: map[security.Purpose]sms.Template{security.PurposeBindPhone: {Params: []string{"code"}}}}},
		{"unknown parameter value", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", SignName: "s",
			Templates: map[security.Purpose]sms.Template{security.PurposeBindPhone: {ID: "SMS_1", Params: []string{"password"}}}}},
		{"empty parameter name", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", SignName: "s",
			Templates: map[security.Purpose]sms.Template{security.PurposeBindPhone: {ID: "SMS_1", Params: []string{"=code"}}}}},
		{"code in a notice", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", SignName: "s",
			Templates: map[security.Purpose]sms.Template{security.PurposePasswordChanged: {ID: "SMS_1", Params: []string{"code"}}}}},
		{"bad endpoint", sms.AliyunConfig{AccessKeyID: "k", AccessKeySecret: "s", SignName: "s", Templates: ok, Endpoint: "dysmsapi.aliyuncs.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.NewAliyun(tt.cfg)
			require.Error(t, err)
		})
	}
}

// TestAliyunTemplateParamIsJSONOfStrings guards what Aliyun requires:
// string values ({"code":"123456"}, never {"code":123456}).
func TestAliyunTemplateParamIsJSONOfStrings(t *testing.T) {
	f := aliyunFake(t, http.StatusOK, aliyunOK)
	m := codeMsg(security.PurposeBindPhone, "+8613800138000")
	m.Code = "012345"
	require.NoError(t, newAliyun(t, f.URL).Send(context.Background(), m))
	var params map[string]any
	require.NoError(t, json.Unmarshal([]byte(f.requests()[0].r.URL.Query().Get("TemplateParam")), &params))
	assert.Equal(t, map[string]any{"code": "012345", "minutes": "10"}, params)
}
