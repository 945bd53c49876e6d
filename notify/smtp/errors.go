package smtp

import (
	"context"
	"errors"
	"net/textproto"
	"strings"

	mail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/acctsec/security"
)

// Errors of Send, tested with errors.Is. Every error Send returns also
// matches security.ErrDeliveryFailed.
var (
	// ErrInvalidMessage: the message cannot be sent as it is (not an email,
	// a bad address, a subject with a line break, a rendering failure).
	// Nothing was sent.
	ErrInvalidMessage = errors.New("smtp: invalid message")
	// ErrAuth: the server refused the credentials, or they were not sent
	// because the connection is not encrypted.
	ErrAuth = errors.New("smtp: authentication failed")
	// ErrConnection: the connection could not be made or secured, timed
	// out, was cancelled, or dropped before the server accepted the message.
	ErrConnection = errors.New("smtp: connection failed")
	// ErrRejected: the server answered an SMTP command with an error
	// (sender, recipient or message refused).
	ErrRejected = errors.New("smtp: message rejected")
)

// sendError is what Send returns: kind and ErrDeliveryFailed for
// errors.Is, cause for errors.As (*mail.SendError, context errors), and a
// message scrubbed of the code, link, recipient and password.
type sendError struct {
	kind  error
	msg   string
	cause error
}

func (e *sendError) Error() string { return e.msg }

func (e *sendError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind, security.ErrDeliveryFailed}
	}
	return []error{e.kind, security.ErrDeliveryFailed, e.cause}
}

// invalid reports a message that is refused before any connection.
func invalid(reason string) error {
	return &sendError{kind: ErrInvalidMessage, msg: ErrInvalidMessage.Error() + ": " + reason}
}

// failure classifies err from go-mail and builds the error Send returns.
func failure(ctx context.Context, err error, auth *trackedAuth, m secrets) error {
	kind := ErrConnection
	var se *mail.SendError
	var tpe *textproto.Error
	switch {
	case ctx.Err() != nil:
		err = errors.Join(context.Cause(ctx), err)
	case errors.As(err, &se):
		if se.Reason != mail.ErrConnCheck && se.ErrorCode() >= 400 {
			kind = ErrRejected
		}
	case auth != nil && auth.started && !auth.done:
		if errors.As(err, &tpe) || errors.Is(err, gosmtp.ErrUnencrypted) || errors.Is(err, gosmtp.ErrWrongHostname) {
			kind = ErrAuth
		}
	case errors.As(err, &tpe):
		kind = ErrRejected
	}
	return &sendError{kind: kind, msg: kind.Error() + ": " + m.scrub(err.Error()), cause: err}
}

// secrets are the values an error text must not show: the message's code,
// link and recipient, and the SMTP password in case a server echoes it.
type secrets struct {
	code, link, to, password string
}

func (s secrets) scrub(text string) string {
	var pairs []string
	if s.link != "" {
		pairs = append(pairs, s.link, "[link]")
	}
	if s.code != "" {
		pairs = append(pairs, s.code, "[code]")
	}
	if s.to != "" {
		pairs = append(pairs, s.to, security.Mask(s.to))
	}
	if s.password != "" {
		pairs = append(pairs, s.password, "[password]")
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
