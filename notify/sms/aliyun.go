package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/internal/cloudsign"
)

// Aliyun API constants (Short Message Service, dysmsapi, RPC style).
const (
	AliyunEndpoint = "https://dysmsapi.aliyuncs.com"
	aliyunVersion  = "2017-05-25"
	aliyunAction   = "SendSms"
)

// AliyunConfig configures an Aliyun client. Zero values mean the documented
// defaults.
type AliyunConfig struct {
	// AccessKeyID and AccessKeySecret are a RAM user's AccessKey; the user
	// needs the dysms:SendSms permission only. Required.
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is the STS token when the AccessKey is temporary
	// (sent as x-acs-security-token); "" otherwise.
	SecurityToken string
	// SignName is the approved signature name (签名名称), shown as
	// 【SignName】 at the start of every message. Required.
	SignName string
	// Templates maps each purpose the host sends by SMS to an approved
	// template (TemplateCode and its variables). Required; a purpose
	// without a template fails with ErrNoTemplate.
	Templates map[security.Purpose]Template
	// Endpoint overrides the API base URL (tests, a regional endpoint such
	// as https://dysmsapi.ap-southeast-1.aliyuncs.com). Default
	// AliyunEndpoint.
	Endpoint string
	// HTTPClient sends the requests. Default: one with Timeout that does
	// not follow redirects.
	HTTPClient *http.Client
	// Timeout bounds one request when HTTPClient is nil. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for x-acs-date. Default time.Now.
	Now func() time.Time
	// Rand is the source of x-acs-signature-nonce. Default crypto/rand.
	Rand io.Reader
}

// Aliyun sends SMS with Aliyun's SendSms API, signed with
// ACS3-HMAC-SHA256 (signature method V3). It is safe for concurrent use.
//
// Each message becomes one POST with the parameters in the query string
// (PhoneNumbers, SignName, TemplateCode, TemplateParam as a JSON object of
// strings) and an empty body, where SendSms's API metadata places them.
// The code and the number are therefore in the URL: encrypted by TLS to
// Aliyun, but visible to any proxy or gateway that terminates TLS and
// logs URLs (see the README). Mainland numbers (+86) are sent as 11
// digits, others as country code and number without "+".
type Aliyun struct {
	cfg       AliyunConfig
	endpoint  *url.URL
	templates templates
	client    *http.Client
}

// NewAliyun validates cfg and returns a client.
func NewAliyun(cfg AliyunConfig) (*Aliyun, error) {
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("sms: aliyun: AccessKeyID and AccessKeySecret are required")
	}
	if cfg.SignName == "" {
		return nil, errors.New("sms: aliyun: SignName is required")
	}
	ts, err := parseTemplates("aliyun", cfg.Templates)
	if err != nil {
		return nil, err
	}
	ep, err := parseEndpoint("aliyun", cfg.Endpoint, AliyunEndpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Aliyun{cfg: cfg, endpoint: ep, templates: ts, client: newHTTPClient(cfg.HTTPClient, cfg.Timeout)}, nil
}

// aliyunAnswer is SendSms's answer, and the gateway's error answer.
type aliyunAnswer struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	RequestID string `json:"RequestId"`
	BizID     string `json:"BizId"`
}

// Send sends m with the template mapped to its purpose.
func (a *Aliyun) Send(ctx context.Context, m security.Message) error {
	if err := checkMessage("aliyun", m); err != nil {
		return err
	}
	t, err := a.templates.lookup("aliyun", m)
	if err != nil {
		return err
	}
	params := make(map[string]string, len(t.params))
	for _, p := range t.params {
		params[p.name] = p.of(m)
	}
	tp, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("sms: aliyun: encoding TemplateParam: %w", err)
	}
	phone := aliyunNumber(m.To)
	query := url.Values{
		"PhoneNumbers": {phone},
		"SignName":     {a.cfg.SignName},
		"TemplateCode": {t.id},
	}
	if len(params) > 0 {
		query.Set("TemplateParam", string(tp))
	}

	ans, err := do(ctx, a.client, "aliyun", func() (*http.Request, error) { return a.request(query) })
	if err != nil {
		return err
	}
	var body aliyunAnswer
	jsonErr := json.Unmarshal(ans.body, &body)
	if jsonErr == nil && ans.status == http.StatusOK && body.Code == "OK" {
		return nil
	}
	pe := &ProviderError{Provider: "aliyun", HTTPStatus: ans.status}
	if jsonErr != nil || body.Code == "" {
		pe.Err = statusError(ans.status)
		if rid := ans.header.Get("x-acs-request-id"); rid != "" {
			pe.RequestID = clip(rid, 80)
		}
		return pe
	}
	pe.Code = clip(body.Code, 80)
	pe.RequestID = clip(body.RequestID, 80)
	pe.Message = redact(body.Message, m)
	pe.Err = aliyunError(body.Code, ans.status)
	return pe
}

// request builds one signed request: a fresh date and nonce each time.
func (a *Aliyun) request(query url.Values) (*http.Request, error) {
	var nonce [16]byte
	if _, err := io.ReadFull(a.cfg.Rand, nonce[:]); err != nil {
		return nil, fmt.Errorf("reading nonce: %w", err)
	}
	u := *a.endpoint
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery = cloudsign.ACS3Query(query)
	req, err := http.NewRequest(http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return nil, errors.New("invalid endpoint")
	}
	req.Header.Set("Accept", "application/json")
	cloudsign.SignACS3Request(req, nil, aliyunAction, aliyunVersion, a.cfg.Now(), hex.EncodeToString(nonce[:]),
		cloudsign.ACS3Key{ID: a.cfg.AccessKeyID, Secret: a.cfg.AccessKeySecret, SecurityToken: a.cfg.SecurityToken})
	return req, nil
}

// aliyunNumber formats an E.164 number for PhoneNumbers.
func aliyunNumber(e164 string) string {
	if strings.HasPrefix(e164, "+86") && len(e164) == 14 {
		return e164[3:]
	}
	return strings.TrimPrefix(e164, "+")
}

// aliyunError maps an Aliyun error code (SendSms's isv.* and isp.* codes,
// and the gateway's) to a sentinel.
func aliyunError(code string, status int) error {
	switch {
	case code == "isv.MOBILE_NUMBER_ILLEGAL":
		return ErrInvalidNumber
	case strings.Contains(code, "LIMIT_CONTROL"), // isv.BUSINESS_LIMIT_CONTROL, isv.DAY_LIMIT_CONTROL, BUSINESS_LIMIT_CONTROL_MINUTE ...
		strings.HasPrefix(code, "isv.BUSINESS_LIMIT"),
		strings.HasPrefix(code, "Throttling"): // API rate limiting
		return ErrThrottled
	case strings.HasPrefix(code, "InvalidAccessKeyId"),
		strings.HasPrefix(code, "SignatureDoesNotMatch"),
		strings.HasPrefix(code, "IncompleteSignature"),
		strings.HasPrefix(code, "InvalidSecurityToken"),
		strings.HasPrefix(code, "MissingSecurityToken"),
		strings.HasPrefix(code, "InvalidTimeStamp"),
		strings.HasPrefix(code, "SignatureNonceUsed"),
		strings.HasPrefix(code, "Forbidden"),
		code == "isp.RAM_PERMISSION_DENY",
		code == "isv.ACCOUNT_NOT_EXISTS":
		return ErrAuth
	case strings.HasPrefix(code, "isp."), // isp.SYSTEM_ERROR, isp.GATEWAY_ERROR, isp.UNKNOWN
		strings.HasPrefix(code, "ServiceUnavailable"),
		strings.HasPrefix(code, "InternalError"),
		strings.HasPrefix(code, "UnknownError"):
		return ErrUnavailable
	case status >= 500:
		return ErrUnavailable
	}
	return ErrRejected
}

// statusError maps the status of an answer without a readable error code:
// a server error, or a success the client cannot read, leaves the outcome
// unknown; any other status is a refusal.
func statusError(status int) error {
	if status >= 500 || (status >= 200 && status <= 299) {
		return ErrUnavailable
	}
	return ErrRejected
}

// parseEndpoint checks an endpoint override and returns its URL.
func parseEndpoint(provider, endpoint, def string) (*url.URL, error) {
	if endpoint == "" {
		endpoint = def
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("sms: %s: Endpoint must be an absolute http or https URL without query or credentials", provider)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
