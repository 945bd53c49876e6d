package cloudsign_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acctsec/security/internal/cloudsign"
	"github.com/acctsec/security/internal/cloudsign/cloudsigntest"
)

// TestSignACS3RequestDocumentedExample signs the worked example of Aliyun's
// "V3 request structure and signature" document (ECS RunInstances, every
// input fixed) through the request-level signer, and expects the
// document's Authorization to the letter.
func TestSignACS3RequestDocumentedExample(t *testing.T) {
	const want = "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
	q := url.Values{"ImageId": {"win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}, "RegionId": {"cn-shanghai"}}
	req, err := http.NewRequest(http.MethodPost, "https://ecs.cn-shanghai.aliyuncs.com/?"+cloudsign.ACS3Query(q), http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2023, 10, 26, 10, 22, 32, 0, time.UTC)
	cloudsign.SignACS3Request(req, nil, "RunInstances", "2014-05-26", date, "3156853299f313e23d1673dc12e1703d",
		cloudsign.ACS3Key{ID: "YourAccessKeyId", Secret: "YourAccessKeySecret"})
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got := req.Header.Get("x-acs-date"); got != "2023-10-26T10:22:32Z" {
		t.Errorf("x-acs-date = %q", got)
	}
}

// TestSignTC3DocumentedExample is the worked example of Tencent Cloud's
// "Signature v3" document: CVM DescribeInstances at 1551113065.
func TestSignTC3DocumentedExample(t *testing.T) {
	const (
		payload = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
		want    = "TC3-HMAC-SHA256 Credential=AKID**********************0123456789EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	)
	if h := cloudsign.HexSHA256([]byte(payload)); h != "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064" {
		t.Fatalf("payload hash %s differs from the document's", h)
	}
	got := cloudsign.SignTC3("POST", "/", "", map[string]string{"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"},
		[]byte(payload), "cvm", 1551113065, "AKID**********************0123456789EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
	if got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
}

// TestSignedRequestsVerify sends what the request-level signers produce to
// the independent provider-side checks, then tampers with each part a
// signature covers and expects the check to fail.
func TestSignedRequestsVerify(t *testing.T) {
	at := time.Date(2026, 3, 4, 23, 59, 59, 0, time.FixedZone("CST", 8*3600)) // the UTC date is 2026-03-04
	form := []byte(cloudsign.ACS3Query(url.Values{"CaptchaVerifyParam": {`{"certifyId":"a b*~"}`}, "SceneId": {"s1"}}))
	aliyun := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "https://captcha.cn-shanghai.aliyuncs.com/", bytes.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		cloudsign.SignACS3Request(r, form, "VerifyIntelligentCaptcha", "2023-03-05", at, "n1", cloudsign.ACS3Key{ID: "kid", Secret: "ksecret", SecurityToken: "sts"})
		r.Host = r.URL.Host
		return r
	}
	body := []byte(`{"CaptchaType":9,"Ticket":"t"}`)
	tencent := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "https://captcha.tencentcloudapi.com/", bytes.NewReader(body))
		cloudsign.SignTC3Request(r, body, "captcha", "DescribeCaptchaResult", "2019-07-22", "", at, cloudsign.TC3Key{ID: "sid", Secret: "skey", Token: "tok"})
		r.Host = r.URL.Host
		return r
	}
	checkACS3 := func(r *http.Request, b []byte) error { return cloudsigntest.VerifyACS3(r, b, "kid", "ksecret") }
	checkTC3 := func(r *http.Request, b []byte) error { return cloudsigntest.VerifyTC3(r, b, "sid", "skey", "captcha") }

	for _, tt := range []struct {
		name   string
		build  func() *http.Request
		check  func(*http.Request, []byte) error
		body   []byte
		tamper func(r *http.Request) []byte // returns the body the server sees
		ok     bool
	}{
		{name: "aliyun as signed", build: aliyun, check: checkACS3, body: form, ok: true},
		{name: "aliyun body changed", build: aliyun, check: checkACS3, body: form, tamper: func(*http.Request) []byte { return append(bytes.Clone(form), 'x') }},
		{name: "aliyun content-type changed", build: aliyun, check: checkACS3, body: form, tamper: func(r *http.Request) []byte { r.Header.Set("Content-Type", "text/plain"); return form }},
		{name: "aliyun action changed", build: aliyun, check: checkACS3, body: form, tamper: func(r *http.Request) []byte { r.Header.Set("x-acs-action", "VerifyCaptcha"); return form }},
		{name: "aliyun token changed", build: aliyun, check: checkACS3, body: form, tamper: func(r *http.Request) []byte { r.Header.Set("x-acs-security-token", "other"); return form }},
		{name: "aliyun other host", build: aliyun, check: checkACS3, body: form, tamper: func(r *http.Request) []byte { r.Host = "captcha.ap-southeast-1.aliyuncs.com"; return form }},
		{name: "tencent as signed", build: tencent, check: checkTC3, body: body, ok: true},
		{name: "tencent body changed", build: tencent, check: checkTC3, body: body, tamper: func(*http.Request) []byte { return []byte(`{"CaptchaType":9,"Ticket":"u"}`) }},
		{name: "tencent action changed", build: tencent, check: checkTC3, body: body, tamper: func(r *http.Request) []byte { r.Header.Set("X-TC-Action", "DescribeCaptchaData"); return body }},
		{name: "tencent timestamp changed", build: tencent, check: checkTC3, body: body, tamper: func(r *http.Request) []byte { r.Header.Set("X-TC-Timestamp", "1772668800"); return body }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.build()
			b := tt.body
			if tt.tamper != nil {
				b = tt.tamper(r)
			}
			err := tt.check(r, b)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("accepted a tampered request")
			}
		})
	}

	t.Run("headers", func(t *testing.T) {
		r := tencent()
		if got := r.Header.Get("X-TC-Region"); got != "" {
			t.Errorf("X-TC-Region = %q, want none for an empty region", got)
		}
		if got := r.Header.Get("X-TC-Timestamp"); got != "1772639999" {
			t.Errorf("X-TC-Timestamp = %q", got)
		}
		if !strings.Contains(r.Header.Get("Authorization"), "/2026-03-04/captcha/tc3_request") {
			t.Errorf("credential scope not on the UTC date: %s", r.Header.Get("Authorization"))
		}
		if got := aliyun().Header.Get("x-acs-date"); got != "2026-03-04T15:59:59Z" {
			t.Errorf("x-acs-date = %q, want UTC", got)
		}
	})
}

func TestACS3Query(t *testing.T) {
	for _, tt := range []struct {
		in   url.Values
		want string
	}{
		{url.Values{"b": {""}, "a": {"x y*~/中"}}, "a=x%20y%2A~%2F%E4%B8%AD&b="},
		{url.Values{"k": {"2", "1"}}, "k=1&k=2"},
		{url.Values{"Z": {"z"}, "a": {"a"}}, "Z=z&a=a"}, // byte order: upper case first
		{url.Values{}, ""},
	} {
		if got := cloudsign.ACS3Query(tt.in); got != tt.want {
			t.Errorf("ACS3Query(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
