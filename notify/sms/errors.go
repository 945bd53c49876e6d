package sms

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/acctsec/security"
)

// Errors returned by the clients. Every failure the provider reports is a
// *ProviderError wrapping one of the first five.
var (
	// ErrThrottled: the provider's rate or quota limits refused the message
	// (per number, per app, per account); retrying soon will not help.
	ErrThrottled = errors.New("sms: throttled by provider")
	// ErrInvalidNumber: the provider says the phone number is malformed or
	// not a mobile number.
	ErrInvalidNumber = errors.New("sms: invalid phone number")
	// ErrRejected: the provider refused the message for another reason
	// (template or sign name not approved, parameters, balance, opted-out
	// recipient, region not enabled).
	ErrRejected = errors.New("sms: rejected by provider")
	// ErrAuth: the credentials or the signature were refused, or the
	// account may not use the API.
	ErrAuth = errors.New("sms: provider authentication failed")
	// ErrUnavailable: the provider could not be reached, failed (5xx), or
	// answered something unreadable. Unless the request was never sent,
	// the message may or may not have gone out.
	ErrUnavailable = errors.New("sms: provider unavailable")
	// ErrNoTemplate: the client has no template for the message's purpose
	// (returned before anything is sent).
	ErrNoTemplate = errors.New("sms: no template for purpose")
)

// ProviderError is the provider's answer to a failed send. It wraps one of
// ErrThrottled, ErrInvalidNumber, ErrRejected, ErrAuth or ErrUnavailable.
// Its Error text holds the provider, the code, the HTTP status and the
// request ID, never the message, the phone number or a secret.
type ProviderError struct {
	// Provider is "aliyun", "tencent" or "twilio".
	Provider string
	// Code is the provider's error code ("isv.BUSINESS_LIMIT_CONTROL",
	// "LimitExceeded.PhoneNumberDailyLimit", "21211"), or "" when the
	// answer had none (a bare 5xx, an unreadable body).
	Code string
	// Message is the provider's explanation, with the code, text and phone
	// number removed. It is not part of Error(); log it deliberately.
	Message string
	// RequestID is the provider's request ID, for its support.
	RequestID string
	// HTTPStatus is the HTTP status of the answer.
	HTTPStatus int
	// Err is the sentinel the code maps to.
	Err error
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString("sms: ")
	b.WriteString(e.Provider)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString("HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
	}
	if e.RequestID != "" {
		b.WriteString(" (request ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "sms: "))
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *ProviderError) Unwrap() error { return e.Err }

// redact removes from a provider's explanation of m's failure the code,
// the number in each form a provider may echo it ("+8613800138000",
// "8613800138000", "13800138000") and every non-empty extra value, then
// bounds its length. Longer values go first, so one that holds another
// (a rendered text holding the code) is removed whole.
func redact(s string, m security.Message, extra ...string) string {
	secrets := append([]string{m.Code, m.To, strings.TrimPrefix(m.To, "+"), aliyunNumber(m.To)}, extra...)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	return clip(s, 300)
}

// clip bounds s to about n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
