package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
)

// Tencent Cloud API constants (SMS, API 3.0).
const (
	TencentEndpoint      = "https://sms.tencentcloudapi.com"
	tencentService       = "sms"
	tencentVersion       = "2021-01-11"
	tencentAction        = "SendSms"
	tencentContentType   = "application/json; charset=utf-8"
	tc3Algorithm         = "TC3-HMAC-SHA256"
	tencentDefaultRegion = "ap-guangzhou"
)

// TencentConfig configures a Tencent Cloud client. Zero values mean the
// documented defaults.
type TencentConfig struct {
	// SecretID and SecretKey are a CAM API key; the sub-user needs
	// sms:SendSms only. Required.
	SecretID  string
	SecretKey string
	// Token is the session token of temporary credentials (X-TC-Token);
	// "" otherwise.
	Token string
	// SmsSdkAppID is the SMS application's SdkAppId ("1400006666").
	// Required.
	SmsSdkAppID string
	// SignName is the approved signature content (签名内容). Required for
	// mainland China numbers.
	SignName string
	// Region is X-TC-Region: "ap-guangzhou" (default), "ap-beijing" or
	// "ap-nanjing".
	Region string
	// Templates maps each purpose the host sends by SMS to an approved
	// template (TemplateId and its positional parameters). Required.
	Templates map[security.Purpose]Template
	// Endpoint overrides the API base URL (tests, a regional endpoint such
	// as https://sms.ap-guangzhou.tencentcloudapi.com). Default
	// TencentEndpoint.
	Endpoint string
	// HTTPClient sends the requests. Default: one with Timeout that does
	// not follow redirects.
	HTTPClient *http.Client
	// Timeout bounds one request when HTTPClient is nil. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for X-TC-Timestamp. Default time.Now.
	Now func() time.Time
}

// Tencent sends SMS with Tencent Cloud's SendSms API (version
// 2021-01-11), signed with TC3-HMAC-SHA256. It is safe for concurrent use.
//
// Each message becomes one POST of a JSON body (PhoneNumberSet with the
// E.164 number, SmsSdkAppId, SignName, TemplateId, TemplateParamSet).
// Tencent answers HTTP 200 even on failure: an error is either
// Response.Error or a SendStatusSet entry whose Code is not "Ok"; both are
// mapped to a *ProviderError.
type Tencent struct {
	cfg       TencentConfig
	endpoint  *url.URL
	templates templates
	client    *http.Client
}

// NewTencent validates cfg and returns a client.
func NewTencent(cfg TencentConfig) (*Tencent, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return nil, errors.New("sms: tencent: SecretID and SecretKey are required")
	}
	if cfg.SmsSdkAppID == "" {
		return nil, errors.New("sms: tencent: SmsSdkAppID is required")
	}
	ts, err := parseTemplates("tencent", cfg.Templates)
	if err != nil {
		return nil, err
	}
	ep, err := parseEndpoint("tencent", cfg.Endpoint, TencentEndpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = tencentDefaultRegion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Tencent{cfg: cfg, endpoint: ep, templates: ts, client: newHTTPClient(cfg.HTTPClient, cfg.Timeout)}, nil
}

type tencentRequest struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	SignName         string   `json:"SignName,omitempty"`
	TemplateID       string   `json:"TemplateId"`
	TemplateParamSet []string `json:"TemplateParamSet"`
}

type tencentAnswer struct {
	Response struct {
		Error *struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error"`
		SendStatusSet []struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"SendStatusSet"`
		RequestID string `json:"RequestId"`
	} `json:"Response"`
}

// Send sends m with the template mapped to its purpose.
func (c *Tencent) Send(ctx context.Context, m security.Message) error {
	if err := checkMessage("tencent", m); err != nil {
		return err
	}
	t, err := c.templates.lookup("tencent", m)
	if err != nil {
		return err
	}
	params := make([]string, len(t.params))
	for i, p := range t.params {
		params[i] = p.of(m)
	}
	payload, err := json.Marshal(tencentRequest{
		PhoneNumberSet:   []string{m.To},
		SmsSdkAppID:      c.cfg.SmsSdkAppID,
		SignName:         c.cfg.SignName,
		TemplateID:       t.id,
		TemplateParamSet: params,
	})
	if err != nil {
		return fmt.Errorf("sms: tencent: encoding request: %w", err)
	}

	ans, err := do(ctx, c.client, "tencent", func() (*http.Request, error) { return c.request(payload) })
	if err != nil {
		return err
	}
	pe := &ProviderError{Provider: "tencent", HTTPStatus: ans.status}
	var body tencentAnswer
	jsonErr := json.Unmarshal(ans.body, &body)
	r := body.Response
	pe.RequestID = clip(r.RequestID, 80)
	switch {
	case jsonErr == nil && r.Error != nil:
		pe.Code, pe.Message = r.Error.Code, r.Error.Message
	case ans.status != http.StatusOK:
		pe.Err = statusError(ans.status)
		return pe
	case jsonErr != nil || len(r.SendStatusSet) == 0:
		pe.Err = ErrUnavailable // neither an error nor a status: unreadable
		return pe
	case r.SendStatusSet[0].Code != "Ok":
		pe.Code, pe.Message = r.SendStatusSet[0].Code, r.SendStatusSet[0].Message
	default:
		return nil
	}
	pe.Code = clip(pe.Code, 80)
	pe.Message = redact(pe.Message, m)
	pe.Err = tencentError(pe.Code)
	return pe
}

// request builds one signed request with a fresh timestamp.
func (c *Tencent) request(payload []byte) (*http.Request, error) {
	u := *c.endpoint
	if u.Path == "" {
		u.Path = "/"
	}
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, errors.New("invalid endpoint")
	}
	ts := c.cfg.Now().Unix()
	req.Header.Set("Content-Type", tencentContentType)
	req.Header.Set("X-TC-Action", tencentAction)
	req.Header.Set("X-TC-Version", tencentVersion)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-TC-Region", c.cfg.Region)
	if c.cfg.Token != "" {
		req.Header.Set("X-TC-Token", c.cfg.Token)
	}
	signed := map[string]string{
		"content-type": tencentContentType,
		"host":         u.Host,
		"x-tc-action":  tencentAction,
	}
	req.Header.Set("Authorization", signTC3(http.MethodPost, u.EscapedPath(), "", signed, payload, tencentService, ts, c.cfg.SecretID, c.cfg.SecretKey))
	return req, nil
}

// signTC3 returns the Authorization value for a request, following
// Tencent Cloud's TC3-HMAC-SHA256:
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQueryString "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" hex(sha256(payload))
//	StringToSign     = "TC3-HMAC-SHA256\n" timestamp "\n" date "/" service "/tc3_request\n"
//	                   hex(sha256(CanonicalRequest))
//	SecretSigning    = HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request")
//	Signature        = hex(HMAC(SecretSigning, StringToSign))
//
// date is the UTC date of timestamp; canonical header names and values
// are lower case and trimmed, sorted by name.
func signTC3(method, canonicalURI, canonicalQuery string, headers map[string]string, payload []byte, service string, timestamp int64, secretID, secretKey string) string {
	lower := make(map[string]string, len(headers))
	names := make([]string, 0, len(headers))
	for k, v := range headers {
		k = strings.ToLower(strings.TrimSpace(k))
		lower[k] = strings.ToLower(strings.TrimSpace(v))
		names = append(names, k)
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, k := range names {
		ch.WriteString(k + ":" + lower[k] + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := method + "\n" + canonicalURI + "\n" + canonicalQuery + "\n" + ch.String() + "\n" + signed + "\n" + hexSHA256(payload)
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	stringToSign := tc3Algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign))
	return tc3Algorithm + " Credential=" + secretID + "/" + scope + ", SignedHeaders=" + signed + ", Signature=" + sig
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// tencentError maps a Tencent Cloud error code (common codes and the SMS
// codes) to a sentinel.
func tencentError(code string) error {
	switch {
	case code == "InvalidParameterValue.IncorrectPhoneNumber",
		code == "MissingParameter.EmptyPhoneNumberSet":
		return ErrInvalidNumber
	case strings.HasPrefix(code, "LimitExceeded"), // PhoneNumberDailyLimit, PhoneNumberThirtySecondLimit, DeliveryFrequencyLimit, AppDailyLimit ...
		strings.HasPrefix(code, "RequestLimitExceeded"):
		return ErrThrottled
	case strings.HasPrefix(code, "AuthFailure"),
		strings.HasPrefix(code, "UnauthorizedOperation"): // SmsSdkAppIdVerifyFail, RequestIpNotInWhitelist ...
		return ErrAuth
	case strings.HasPrefix(code, "InternalError"):
		return ErrUnavailable
	}
	return ErrRejected // FailedOperation.*, InvalidParameterValue.*, UnsupportedOperation.* ...
}
