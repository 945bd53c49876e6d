package captcha

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/acctsec/security/internal/cloudsign"
)

// Aliyun Captcha 2.0 API constants.
const (
	// AliyunEndpoint is the mainland China endpoint. Outside the mainland
	// use https://captcha.ap-southeast-1.aliyuncs.com; for IPv6,
	// captcha-dualstack.cn-shanghai.aliyuncs.com. The endpoint must match
	// the region the client-side widget was set up with.
	AliyunEndpoint = "https://captcha.cn-shanghai.aliyuncs.com"
	aliyunAction   = "VerifyIntelligentCaptcha"
	aliyunVersion  = "2023-03-05"
)

// AliyunConfig configures an Aliyun verifier. Zero values mean the
// documented defaults.
type AliyunConfig struct {
	// AccessKeyID and AccessKeySecret are a RAM user's AccessKey, allowed
	// to call captcha:VerifyIntelligentCaptcha. Required.
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is the STS token when the AccessKey is temporary;
	// "" otherwise.
	SecurityToken string
	// SceneID is the scene (场景ID) the tickets must come from. Optional
	// for Aliyun, but set it: without it, a ticket solved in any scene of
	// the account (an easier one, say) passes.
	SceneID string
	// Endpoint overrides the API base URL (tests, another region).
	// Default AliyunEndpoint.
	Endpoint string
	// HTTPClient sends the requests. Default: one that does not follow
	// redirects.
	HTTPClient *http.Client
	// Timeout bounds one verification, on top of the context's deadline
	// (at most 30 s). Default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for x-acs-date. Default time.Now.
	Now func() time.Time
	// Rand is the source of x-acs-signature-nonce. Default crypto/rand.
	Rand io.Reader
}

// Aliyun verifies tickets with Aliyun Captcha 2.0's
// VerifyIntelligentCaptcha (API version 2023-03-05), signed with
// ACS3-HMAC-SHA256. It is safe for concurrent use.
//
// Each verification is one POST of a form body (CaptchaVerifyParam, the
// ticket's Value, and SceneId when configured), where the API's metadata
// places them; the ticket is therefore never in a URL. A ticket passes
// when the answer's Result.VerifyResult is true (VerifyCode T001, or T005
// and T006 for a scene in test mode or an allow-listed request).
type Aliyun struct {
	cfg      AliyunConfig
	endpoint *url.URL
	client   *http.Client
}

// NewAliyun validates cfg and returns a verifier.
func NewAliyun(cfg AliyunConfig) (*Aliyun, error) {
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("captcha: aliyun: AccessKeyID and AccessKeySecret are required")
	}
	ep, err := endpointURL("aliyun", cfg.Endpoint, AliyunEndpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout, err = timeout("aliyun", cfg.Timeout); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	client := cfg.HTTPClient
	if client == nil {
		client = noRedirects
	}
	return &Aliyun{cfg: cfg, endpoint: ep, client: client}, nil
}

// aliyunAnswer is VerifyIntelligentCaptcha's answer, and the gateway's
// error answer (Code and Message only).
type aliyunAnswer struct {
	RequestID string `json:"RequestId"`
	Success   *bool  `json:"Success"`
	Code      string `json:"Code"`
	Result    *struct {
		VerifyResult *bool  `json:"VerifyResult"`
		VerifyCode   string `json:"VerifyCode"`
	} `json:"Result"`
}

// Verify checks t with Aliyun. clientIP is not used: the API takes none.
// It returns nil when the ticket passed, an error wrapping ErrRejected when
// it did not (or is malformed, then without a request), and one wrapping
// ErrUnavailable when no verdict could be had.
func (a *Aliyun) Verify(ctx context.Context, t Ticket, _ string) error {
	if err := t.check(false); err != nil {
		return err
	}
	form := url.Values{"CaptchaVerifyParam": {t.Value}}
	if a.cfg.SceneID != "" {
		form.Set("SceneId", a.cfg.SceneID)
	}
	body := []byte(cloudsign.ACS3Query(form))
	var nonce [16]byte
	if _, err := io.ReadFull(a.cfg.Rand, nonce[:]); err != nil {
		return fmt.Errorf("captcha: aliyun: reading nonce: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, a.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return errors.New("captcha: aliyun: invalid endpoint")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	cloudsign.SignACS3Request(req, body, aliyunAction, aliyunVersion, a.cfg.Now(), hex.EncodeToString(nonce[:]),
		cloudsign.ACS3Key{ID: a.cfg.AccessKeyID, Secret: a.cfg.AccessKeySecret, SecurityToken: a.cfg.SecurityToken})

	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	ans, err := roundTrip(ctx, a.client, "aliyun", req)
	if err != nil {
		return err
	}
	return aliyunVerdict(ans)
}

// aliyunVerdict reads an answer: a pass, a failed ticket, or an API error.
func aliyunVerdict(ans answer) error {
	var b aliyunAnswer
	jsonErr := json.Unmarshal(ans.body, &b)
	pe := &ProviderError{Provider: "aliyun", HTTPStatus: ans.status, RequestID: clean(b.RequestID)}
	if pe.RequestID == "" {
		pe.RequestID = clean(ans.header.Get("x-acs-request-id"))
	}
	switch {
	case jsonErr == nil && ans.status == http.StatusOK && b.Success != nil && *b.Success &&
		b.Result != nil && b.Result.VerifyResult != nil:
		if *b.Result.VerifyResult {
			return nil
		}
		pe.Code = clean(b.Result.VerifyCode)
		pe.Err = ErrRejected
	case jsonErr == nil && b.Code != "" && b.Code != "Success":
		pe.Code = clean(b.Code)
		pe.Err = aliyunError(b.Code, ans.status)
	default:
		pe.Err = statusVerdict(ans.status)
	}
	return pe
}

// aliyunError maps an API or gateway error code. Errors nobody but us can
// cause (credentials, signature, permission, throttling, the service
// itself) leave the ticket unjudged; any other code, such as a parameter
// error a crafted ticket could provoke, rejects it, so a client cannot
// turn a ticket into a fail-open.
func aliyunError(code string, status int) error {
	if status >= 500 {
		return ErrUnavailable
	}
	return errorByPrefix(code, "InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSecurityToken",
		"MissingSecurityToken", "InvalidTimeStamp", "SignatureNonceUsed", "Forbidden", "NoPermission",
		"Throttling", "ServiceUnavailable", "InternalError", "UnknownError")
}
