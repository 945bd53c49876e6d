package sms_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify/sms"
)

const (
	twSID   = "AC0123456789abcdef0123456789abcdef"
	twToken = "twilio-test-auth-token"
)

func twilioFake(t *testing.T, status int, body string) *fakeProvider {
	return newFake(t,
		func(r *http.Request, b []byte) error {
			user, pass, ok := r.BasicAuth()
			if !ok || user != twSID || pass != twToken {
				return errors.New("bad credentials")
			}
			if r.URL.Path != "/2010-04-01/Accounts/"+twSID+"/Messages.json" {
				return fmt.Errorf("unexpected path %s", r.URL.Path)
			}
			return nil
		},
		func(w http.ResponseWriter, err error) {
			w.Header().Set("Twilio-Request-Id", "RQ-auth")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`)
		},
		func(w http.ResponseWriter, r *http.Request, b []byte) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Twilio-Request-Id", "RQ0123")
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
}

func newTwilio(t *testing.T, endpoint string, mut ...func(*sms.TwilioConfig)) *sms.Twilio {
	t.Helper()
	cfg := sms.TwilioConfig{AccountSID: twSID, AuthToken: twToken, From: "+15005550006", AppName: "Acme", Endpoint: endpoint}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := sms.NewTwilio(cfg)
	require.NoError(t, err)
	return c
}

const twilioCreated = `{"sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": "queued", "error_code": null}`

func TestTwilioSends(t *testing.T) {
	tests := []struct {
		name     string
		mut      func(*sms.TwilioConfig)
		msg      security.Message
		wantForm url.Values
		contains []string
	}{
		{
			name:     "default Chinese text",
			msg:      codeMsg(security.PurposeBindPhone, "+8613800138000"),
			wantForm: url.Values{"To": {"+8613800138000"}, "From": {"+15005550006"}},
			contains: []string{testCode, "Acme", "10"},
		},
		{
			name: "default English text through a messaging service",
			mut:  func(c *sms.TwilioConfig) { c.From, c.MessagingServiceSID = "", "MG0123" },
			msg: func() security.Message {
				m := codeMsg(security.PurposeForgotPassword, "+14155550100")
				m.Locale = "en"
				return m
			}(),
			wantForm: url.Values{"To": {"+14155550100"}, "MessagingServiceSid": {"MG0123"}},
			contains: []string{testCode, "Acme", "password"},
		},
		{
			name: "host text",
			mut: func(c *sms.TwilioConfig) {
				c.Text = func(m security.Message) (string, error) { return "Code " + m.Code + " for " + string(m.Purpose), nil }
			},
			msg:      codeMsg(security.PurposeBindPhone, "+14155550100"),
			wantForm: url.Values{"To": {"+14155550100"}, "From": {"+15005550006"}, "Body": {"Code 482915 for bind_phone"}},
		},
		{
			name:     "API key",
			mut:      func(c *sms.TwilioConfig) { c.APIKeySID, c.APIKeySecret, c.AuthToken = twSID, twToken, "" },
			msg:      codeMsg(security.PurposeBindPhone, "+14155550100"),
			wantForm: url.Values{"To": {"+14155550100"}, "From": {"+15005550006"}},
			contains: []string{testCode},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := twilioFake(t, http.StatusCreated, twilioCreated)
			mut := func(*sms.TwilioConfig) {}
			if tt.mut != nil {
				mut = tt.mut
			}
			require.NoError(t, newTwilio(t, f.URL, mut).Send(context.Background(), tt.msg))
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "application/x-www-form-urlencoded", reqs[0].r.Header.Get("Content-Type"))
			form, err := url.ParseQuery(string(reqs[0].body))
			require.NoError(t, err)
			body := form.Get("Body")
			if tt.wantForm.Get("Body") == "" {
				form.Del("Body")
			}
			assert.Equal(t, tt.wantForm, form)
			for _, s := range tt.contains {
				assert.Contains(t, body, s)
			}
		})
	}
}

func TestTwilioFailures(t *testing.T) {
	tests := []failureCase{
		{"invalid To", 400, `{"code": 21211, "message": "The 'To' number +8613800138000 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`, "", sms.ErrInvalidNumber, "21211", "RQ0123"},
		{"not a mobile number", 400, `{"code": 21614, "message": "'To' number is not a valid mobile number", "status": 400}`, "", sms.ErrInvalidNumber, "21614", "RQ0123"},
		{"too many requests", 429, `{"code": 20429, "message": "Too Many Requests", "status": 429}`, "", sms.ErrThrottled, "20429", "RQ0123"},
		{"429 without code", 429, `rate limited`, "", sms.ErrThrottled, "", "RQ0123"},
		{"wrong token, refused by basic auth", 201, twilioCreated, "wrong-token", sms.ErrAuth, "20003", "RQ-auth"},
		{"unsubscribed recipient", 400, `{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}`, "", sms.ErrRejected, "21610", "RQ0123"},
		{"region not enabled", 400, `{"code": 21408, "message": "Permission to send an SMS has not been enabled for the region", "status": 400}`, "", sms.ErrRejected, "21408", "RQ0123"},
		{"server error", 500, `{"code": 20500, "message": "Internal Server Error", "status": 500}`, "", sms.ErrUnavailable, "20500", "RQ0123"},
		{"503 without body", 503, ``, "", sms.ErrUnavailable, "", "RQ0123"},
		{"created without sid", 201, `{"status":"queued"}`, "", sms.ErrUnavailable, "", "RQ0123"},
		{"malformed JSON", 201, `{"sid":`, "", sms.ErrUnavailable, "", "RQ0123"},
		{"echoed code and national number are redacted", 400, `{"code": 21610, "message": "Message with 482915 to 13800138000 refused", "status": 400}`, "", sms.ErrRejected, "21610", "RQ0123"},
	}
	runFailures(t, "twilio", tests, func(t *testing.T, status int, body, cred string) (security.Notifier, *fakeProvider) {
		f := twilioFake(t, status, body)
		return newTwilio(t, f.URL, func(c *sms.TwilioConfig) {
			if cred != "" {
				c.AuthToken = cred
			}
		}), f
	}, twToken)
}

func TestTwilioTextErrors(t *testing.T) {
	tests := []struct {
		name string
		text func(security.Message) (string, error)
		msg  security.Message
	}{
		{"host text fails", func(security.Message) (string, error) { return "", errors.New("no text") }, codeMsg(security.PurposeBindPhone, "+14155550100")},
		{"host text empty", func(security.Message) (string, error) { return " ", nil }, codeMsg(security.PurposeBindPhone, "+14155550100")},
		{"default text refuses a code purpose without code", nil, security.Message{Channel: security.ChannelSMS, To: "+14155550100", Purpose: security.PurposeBindPhone, TTL: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := twilioFake(t, http.StatusCreated, twilioCreated)
			err := newTwilio(t, f.URL, func(c *sms.TwilioConfig) { c.Text = tt.text }).Send(context.Background(), tt.msg)
			require.Error(t, err)
			assert.Empty(t, f.requests())
		})
	}
}

func TestNewTwilioValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  sms.TwilioConfig
	}{
		{"no account", sms.TwilioConfig{AuthToken: "t", From: "+1", AppName: "A"}},
		{"account with a slash", sms.TwilioConfig{AccountSID: "AC1/x", AuthToken: "t", From: "+1", AppName: "A"}},
		{"no token", sms.TwilioConfig{AccountSID: "AC1", From: "+1", AppName: "A"}},
		{"no sender", sms.TwilioConfig{AccountSID: "AC1", AuthToken: "t", AppName: "A"}},
		{"two senders", sms.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1", MessagingServiceSID: "MG1", AppName: "A"}},
		{"no text and no app name", sms.TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.NewTwilio(tt.cfg)
			require.Error(t, err)
		})
	}
}
