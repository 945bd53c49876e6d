package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
)

// TwilioEndpoint is the base URL of Twilio's REST API.
const TwilioEndpoint = "https://api.twilio.com"

// TwilioConfig configures a Twilio client. Zero values mean the documented
// defaults.
type TwilioConfig struct {
	// AccountSID ("AC…") names the account in the URL. Required.
	AccountSID string
	// AuthToken is the account's auth token, used as the basic-auth
	// password with AccountSID. Required unless APIKeySID is set.
	AuthToken string
	// APIKeySID ("SK…") and APIKeySecret, when set, authenticate instead of
	// AccountSID and AuthToken (Twilio's recommended way in production).
	APIKeySID    string
	APIKeySecret string
	// From is the sending number (E.164) or alphanumeric sender ID. Exactly
	// one of From and MessagingServiceSID is required.
	From string
	// MessagingServiceSID ("MG…") sends through a Messaging Service, which
	// picks the sender.
	MessagingServiceSID string
	// Text renders a message's body. Default: the SMS text of a
	// messages.Renderer with AppName, in the message's locale (Simplified
	// Chinese or English).
	Text func(security.Message) (string, error)
	// AppName names the product in the default texts. Required when Text
	// is nil.
	AppName string
	// Endpoint overrides the API base URL (tests). Default TwilioEndpoint.
	Endpoint string
	// HTTPClient sends the requests. Default: one with Timeout that does
	// not follow redirects.
	HTTPClient *http.Client
	// Timeout bounds one request when HTTPClient is nil. Default
	// DefaultTimeout.
	Timeout time.Duration
}

// Twilio sends SMS with Twilio's Messages API: one POST of a form (To,
// From or MessagingServiceSid, Body) to
// /2010-04-01/Accounts/{AccountSid}/Messages.json with basic
// authentication. It is safe for concurrent use.
//
// Send returns once Twilio has accepted (queued) the message; delivery to
// the handset is reported later by Twilio's status callbacks, which this
// client does not handle.
type Twilio struct {
	cfg      TwilioConfig
	url      string
	user     string
	password string
	text     func(security.Message) (string, error)
	client   *http.Client
}

// NewTwilio validates cfg and returns a client.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if !strings.HasPrefix(cfg.AccountSID, "AC") || strings.ContainsAny(cfg.AccountSID, "/?#%") {
		return nil, errors.New("sms: twilio: AccountSID (AC…) is required")
	}
	user, password := cfg.AccountSID, cfg.AuthToken
	if cfg.APIKeySID != "" {
		user, password = cfg.APIKeySID, cfg.APIKeySecret
	}
	if password == "" {
		return nil, errors.New("sms: twilio: AuthToken, or APIKeySID and APIKeySecret, are required")
	}
	if (cfg.From == "") == (cfg.MessagingServiceSID == "") {
		return nil, errors.New("sms: twilio: exactly one of From and MessagingServiceSID is required")
	}
	text := cfg.Text
	if text == nil {
		r, err := messages.New(messages.Options{AppName: cfg.AppName})
		if err != nil {
			return nil, fmt.Errorf("sms: twilio: default texts: %w", err)
		}
		text = func(m security.Message) (string, error) {
			out, err := r.Render(m)
			return out.SMS, err
		}
	}
	ep, err := parseEndpoint("twilio", cfg.Endpoint, TwilioEndpoint)
	if err != nil {
		return nil, err
	}
	return &Twilio{
		cfg:      cfg,
		url:      ep.String() + "/2010-04-01/Accounts/" + cfg.AccountSID + "/Messages.json",
		user:     user,
		password: password,
		text:     text,
		client:   newHTTPClient(cfg.HTTPClient, cfg.Timeout),
	}, nil
}

type twilioAnswer struct {
	SID     string `json:"sid"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Send renders m and sends it.
func (c *Twilio) Send(ctx context.Context, m security.Message) error {
	if err := checkMessage("twilio", m); err != nil {
		return err
	}
	body, err := c.text(m)
	if err != nil {
		return fmt.Errorf("sms: twilio: rendering %q: %w", m.Purpose, err)
	}
	if strings.TrimSpace(body) == "" {
		return fmt.Errorf("sms: twilio: rendering %q gave an empty text: %w", m.Purpose, security.ErrInvalidArgument)
	}
	form := url.Values{"To": {m.To}, "Body": {body}}
	if c.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", c.cfg.MessagingServiceSID)
	} else {
		form.Set("From", c.cfg.From)
	}
	encoded := form.Encode()

	ans, err := do(ctx, c.client, "twilio", func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(encoded))
		if err != nil {
			return nil, errors.New("invalid endpoint")
		}
		req.SetBasicAuth(c.user, c.password)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return err
	}
	var a twilioAnswer
	jsonErr := json.Unmarshal(ans.body, &a)
	if ans.status >= 200 && ans.status <= 299 && jsonErr == nil && a.SID != "" {
		return nil
	}
	pe := &ProviderError{Provider: "twilio", HTTPStatus: ans.status, RequestID: clip(ans.header.Get("Twilio-Request-Id"), 80)}
	if jsonErr != nil || a.Code == 0 {
		pe.Err = twilioError(0, ans.status)
		return pe
	}
	pe.Code = strconv.Itoa(a.Code)
	pe.Message = redact(a.Message, m, body)
	pe.Err = twilioError(a.Code, ans.status)
	return pe
}

// twilioError maps a Twilio error code, or the HTTP status when there is
// none, to a sentinel.
func twilioError(code, status int) error {
	switch code {
	case 21211, // invalid 'To' phone number
		21614, // 'To' is not a valid mobile number
		21217, // phone number does not appear to be valid
		21401: // invalid phone number
		return ErrInvalidNumber
	case 20429, // too many requests
		14107: // message rate limit exceeded
		return ErrThrottled
	case 20003, // authentication failed
		20005: // account not active
		return ErrAuth
	}
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return ErrAuth
	case status == http.StatusTooManyRequests:
		return ErrThrottled
	case code == 0:
		return statusError(status)
	case status >= 500:
		return ErrUnavailable
	}
	return ErrRejected // 21610 unsubscribed, 21408 region not enabled, 21606 bad From, 21608 trial ...
}
