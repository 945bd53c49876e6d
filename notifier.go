package security

import (
	"context"
	"log/slog"
	"time"
)

// Channel is how a message travels.
type Channel string

// Channels.
const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Purpose says why a message is sent. It is enough to pick a provider
// template: every purpose has one fixed set of parameters (see Message).
type Purpose string

// Purposes of messages that carry a code or link.
const (
	// PurposeBindPhone: a code to bind a new phone to the signed-in user.
	PurposeBindPhone Purpose = "bind_phone"
	// PurposeConfirmPhone: a code to the already bound phone, proving
	// possession before a security change: the pay password is reset, or
	// the account moves to another phone. Its text names both, so that a
	// user whose phone a thief is moving is not told it is something else.
	PurposeConfirmPhone Purpose = "confirm_phone"
	// PurposeForgotPassword: a code for the forgot-password flow.
	PurposeForgotPassword Purpose = "forgot_password"
	// PurposeVerifyEmail: a code and a one-click link to verify an address.
	PurposeVerifyEmail Purpose = "verify_email"
	// PurposeLoginCode: a code to sign in with the phone (验证码登录).
	PurposeLoginCode Purpose = "login_code"
)

// Purposes of security notices. They carry no code or link.
const (
	PurposePasswordChanged    Purpose = "password_changed"
	PurposePasswordReset      Purpose = "password_reset"
	PurposePhoneBound         Purpose = "phone_bound"
	PurposePhoneUnbound       Purpose = "phone_unbound"
	PurposePayPasswordSet     Purpose = "pay_password_set"
	PurposePayPasswordChanged Purpose = "pay_password_changed"
	PurposePayPasswordReset   Purpose = "pay_password_reset"
	PurposePayPasswordLocked  Purpose = "pay_password_locked"
	PurposeEmailVerified      Purpose = "email_verified"
)

// IsNotice reports whether p is a security notice (no code, no link).
func (p Purpose) IsNotice() bool {
	switch p {
	case PurposeBindPhone, PurposeConfirmPhone, PurposeForgotPassword, PurposeVerifyEmail, PurposeLoginCode:
		return false
	}
	return true
}

// Message is one structured outgoing message. Notifiers render it (or map
// Purpose to a provider template whose parameters are Code, TTL minutes, and
// for notices nothing or the masked phone) and deliver it.
type Message struct {
	Channel Channel
	// To is an E.164 phone or an email address.
	To      string
	Purpose Purpose
	// Code is the one-time code, for purposes that carry one; "" otherwise.
	Code string
	// Link is the one-click verification link (PurposeVerifyEmail only).
	Link string
	// TTL is how long Code and Link stay valid.
	TTL time.Duration
	// Locale is a BCP 47 tag ("zh-CN", "en") taken from the request, or
	// Config.DefaultLocale.
	Locale string
	// UserID is the account concerned, or "" when there is none.
	UserID string
	// Time is when the event happened (notices) or the code was issued.
	Time time.Time
	// LockedUntil is set for PurposePayPasswordLocked (zero: until reset).
	LockedUntil time.Time
}

// String describes m without its secrets, so a Message is safe to print
// with %v and %s.
func (m Message) String() string {
	return string(m.Channel) + " " + string(m.Purpose) + " to " + Mask(m.To)
}

// GoString keeps %#v from printing the code and link.
func (m Message) GoString() string { return "security.Message{" + m.String() + "}" }

// LogValue makes log/slog record m without its code and link.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.String("channel", string(m.Channel)), slog.String("purpose", string(m.Purpose)),
		slog.String("to", Mask(m.To)), slog.String("locale", m.Locale))
}

// Note: encoding/json still marshals every exported field, code and link
// included, because a webhook notifier must carry them. Never marshal a
// Message into a log.

// Notifier delivers messages. Send returns only when the message has been
// handed to the provider, or with an error; it must honour ctx.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, m Message) error

// Send calls f(ctx, m).
func (f NotifierFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
