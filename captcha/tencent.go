package captcha

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/acctsec/security/internal/cloudsign"
)

// Tencent Cloud Captcha API constants.
const (
	// TencentEndpoint is the API's endpoint. The international site's
	// accounts use https://captcha.intl.tencentcloudapi.com.
	TencentEndpoint = "https://captcha.tencentcloudapi.com"
	tencentService  = "captcha"
	tencentAction   = "DescribeCaptchaResult"
	tencentVersion  = "2019-07-22"
	// tencentCaptchaType is DescribeCaptchaResult's fixed CaptchaType.
	tencentCaptchaType = 9
)

// TencentConfig configures a Tencent Cloud verifier. Zero values mean the
// documented defaults.
type TencentConfig struct {
	// SecretID and SecretKey are a CAM API key allowed to call
	// captcha:DescribeCaptchaResult. Required.
	SecretID  string
	SecretKey string
	// Token is the session token of temporary credentials (X-TC-Token);
	// "" otherwise.
	Token string
	// CaptchaAppID and AppSecretKey are the captcha application's ID and
	// key, from the captcha console (验证管理 > 基础配置). Required. The
	// AppSecretKey travels in the request body, as the API requires.
	CaptchaAppID uint64
	AppSecretKey string
	// Endpoint overrides the API base URL (tests, the international
	// endpoint). Default TencentEndpoint.
	Endpoint string
	// HTTPClient sends the requests. Default: one that does not follow
	// redirects.
	HTTPClient *http.Client
	// Timeout bounds one verification, on top of the context's deadline
	// (at most 30 s). Default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for X-TC-Timestamp. Default time.Now.
	Now func() time.Time
}

// Tencent verifies tickets with Tencent Cloud Captcha's
// DescribeCaptchaResult (API version 2019-07-22), signed with
// TC3-HMAC-SHA256. It is safe for concurrent use.
//
// Each verification is one POST of a JSON body: CaptchaType 9, the
// ticket's Value as Ticket and its Randstr, the client's IP as UserIp, and
// the application's CaptchaAppId and AppSecretKey. A ticket passes only
// when CaptchaCode is 1 and, in invisible mode, EvilLevel is 0. Every other
// CaptchaCode rejects it, including 21 for the "trerror_" tickets the
// widget makes up when it cannot reach Tencent: accepting those would let
// anyone skip the captcha by blocking it.
type Tencent struct {
	cfg      TencentConfig
	endpoint *url.URL
	client   *http.Client
}

// NewTencent validates cfg and returns a verifier.
func NewTencent(cfg TencentConfig) (*Tencent, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return nil, errors.New("captcha: tencent: SecretID and SecretKey are required")
	}
	if cfg.CaptchaAppID == 0 || cfg.AppSecretKey == "" {
		return nil, errors.New("captcha: tencent: CaptchaAppID and AppSecretKey are required")
	}
	ep, err := endpointURL("tencent", cfg.Endpoint, TencentEndpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout, err = timeout("tencent", cfg.Timeout); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = noRedirects
	}
	return &Tencent{cfg: cfg, endpoint: ep, client: client}, nil
}

type tencentRequest struct {
	CaptchaType  int    `json:"CaptchaType"`
	Ticket       string `json:"Ticket"`
	UserIP       string `json:"UserIp"`
	Randstr      string `json:"Randstr"`
	CaptchaAppID uint64 `json:"CaptchaAppId"`
	AppSecretKey string `json:"AppSecretKey"`
}

type tencentAnswer struct {
	Response struct {
		Error *struct {
			Code string `json:"Code"`
		} `json:"Error"`
		CaptchaCode *int   `json:"CaptchaCode"`
		EvilLevel   *int   `json:"EvilLevel"`
		RequestID   string `json:"RequestId"`
	} `json:"Response"`
}

// ErrNoClientIP: Tencent needs the client's IP (UserIp) and the send
// request has none; the Service got no security.WithClient. It is a host
// bug, so Veto refuses the send whatever Options.FailOpen says.
var ErrNoClientIP = errors.New("captcha: tencent: the client IP is required (security.WithClient)")

// Verify checks t with Tencent for the client at clientIP. It returns nil
// when the ticket passed, an error wrapping ErrRejected when it did not
// (or is malformed, then without a request), one wrapping ErrUnavailable
// when no verdict could be had, and ErrNoClientIP when clientIP is not an
// IP address.
func (c *Tencent) Verify(ctx context.Context, t Ticket, clientIP string) error {
	if err := t.check(true); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(clientIP)
	if err != nil {
		return ErrNoClientIP
	}
	payload, err := json.Marshal(tencentRequest{
		CaptchaType:  tencentCaptchaType,
		Ticket:       t.Value,
		UserIP:       ip.Unmap().WithZone("").String(),
		Randstr:      t.Randstr,
		CaptchaAppID: c.cfg.CaptchaAppID,
		AppSecretKey: c.cfg.AppSecretKey,
	})
	if err != nil {
		return fmt.Errorf("captcha: tencent: encoding request: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, c.endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return errors.New("captcha: tencent: invalid endpoint")
	}
	cloudsign.SignTC3Request(req, payload, tencentService, tencentAction, tencentVersion, "", c.cfg.Now(),
		cloudsign.TC3Key{ID: c.cfg.SecretID, Secret: c.cfg.SecretKey, Token: c.cfg.Token})

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	ans, err := roundTrip(ctx, c.client, "tencent", req)
	if err != nil {
		return err
	}
	return tencentVerdict(ans)
}

// tencentVerdict reads an answer. Tencent answers HTTP 200 for API errors
// too, with Response.Error.
func tencentVerdict(ans answer) error {
	var b tencentAnswer
	jsonErr := json.Unmarshal(ans.body, &b)
	r := b.Response
	pe := &ProviderError{Provider: "tencent", HTTPStatus: ans.status, RequestID: clean(r.RequestID)}
	switch {
	case jsonErr == nil && r.Error != nil:
		pe.Code = clean(r.Error.Code)
		pe.Err = tencentError(r.Error.Code)
	case jsonErr != nil || ans.status != http.StatusOK || r.CaptchaCode == nil:
		pe.Err = statusVerdict(ans.status)
	case *r.CaptchaCode != 1:
		pe.Code = strconv.Itoa(*r.CaptchaCode)
		pe.Err = ErrRejected
	case r.EvilLevel != nil && *r.EvilLevel != 0:
		pe.Code = "EvilLevel=" + strconv.Itoa(*r.EvilLevel)
		pe.Err = ErrRejected
	default:
		return nil
	}
	return pe
}

// tencentError maps an API error code (the common codes). As for Aliyun,
// only errors a client's ticket cannot provoke leave it unjudged.
// Any other code (InvalidParameter*, MissingParameter*, FailedOperation*,
// UnsupportedOperation ...) rejects the ticket.
func tencentError(code string) error {
	return errorByPrefix(code, "AuthFailure", "UnauthorizedOperation", "RequestLimitExceeded", "LimitExceeded",
		"InternalError", "ResourceUnavailable", "ServiceUnavailable")
}
