package captcha

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of a Verifier and of Veto. Test with errors.Is. Veto's refusals
// also wrap security.ErrSendRefused. No error holds the ticket, a key, or
// the provider's message text (which could echo the ticket).
var (
	// ErrRequired: the send needs a ticket and the context has none.
	ErrRequired = errors.New("captcha: ticket required")
	// ErrRejected: the ticket did not pass: the provider said so, or it is
	// malformed and was not sent.
	ErrRejected = errors.New("captcha: ticket rejected")
	// ErrUnavailable: no verdict could be had: the provider could not be
	// reached, timed out, throttled us, refused our credentials, or
	// answered something unreadable. Only this error is subject to
	// Options.FailOpen.
	ErrUnavailable = errors.New("captcha: provider unavailable")
)

// ProviderError is a provider's answer other than a pass. It wraps
// ErrRejected or ErrUnavailable.
type ProviderError struct {
	Provider string // "aliyun" or "tencent"
	// HTTPStatus is the answer's status code.
	HTTPStatus int
	// Code is the provider's code: Aliyun's VerifyCode ("F008") or API
	// error code ("Throttling.User"); Tencent's CaptchaCode ("9"), API error
	// code ("AuthFailure.SignatureFailure"), or "EvilLevel=100". Only
	// letters, digits and ". _ - =" are kept, at most 64 of them.
	Code string
	// RequestID is the provider's request ID, for its support, sanitised
	// like Code.
	RequestID string
	Err       error
}

func (e *ProviderError) Error() string {
	s := "captcha: " + e.Provider + ": " + e.what() + " (HTTP " + strconv.Itoa(e.HTTPStatus)
	if e.Code != "" {
		s += ", code " + e.Code
	}
	if e.RequestID != "" {
		s += ", request " + e.RequestID
	}
	return s + ")"
}

func (e *ProviderError) what() string {
	if errors.Is(e.Err, ErrUnavailable) {
		return "no verdict"
	}
	return "ticket rejected"
}

// Unwrap returns ErrRejected or ErrUnavailable.
func (e *ProviderError) Unwrap() error { return e.Err }

// clean keeps the characters of a provider code or request ID that cannot
// carry anything else, at most 64 of them.
func clean(s string) string {
	b := make([]byte, 0, min(len(s), 64))
	for i := 0; i < len(s) && len(b) < 64; i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '=' {
			b = append(b, c)
		}
	}
	return string(b)
}

// unavailable wraps a failure to get an answer: the cause is kept (a
// context.DeadlineExceeded, a *net.OpError), never a URL.
func unavailable(provider, what string, cause error) error {
	return fmt.Errorf("captcha: %s: %s: %w: %w", provider, what, ErrUnavailable, cause)
}

// errorByPrefix maps a provider's error code: ErrUnavailable when it starts
// with one of unavailable (failures on our side or the provider's, which no
// ticket can provoke), ErrRejected otherwise, so that a client cannot turn
// a crafted ticket into a fail-open.
func errorByPrefix(code string, unavailable ...string) error {
	for _, p := range unavailable {
		if strings.HasPrefix(code, p) {
			return ErrUnavailable
		}
	}
	return ErrRejected
}
