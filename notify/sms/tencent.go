package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/internal/cloudsign"
)

// Tencent Cloud API constants (SMS, API 3.0).
const (
	TencentEndpoint      = "https://sms.tencentcloudapi.com"
	tencentService       = "sms"
	tencentVersion       = "2021-01-11"
	tencentAction        = "SendSms"
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
	cloudsign.SignTC3Request(req, payload, tencentService, tencentAction, tencentVersion, c.cfg.Region, c.cfg.Now(),
		cloudsign.TC3Key{ID: c.cfg.SecretID, Secret: c.cfg.SecretKey, Token: c.cfg.Token})
	return req, nil
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
