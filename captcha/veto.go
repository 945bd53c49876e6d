package captcha

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/acctsec/security"
)

// Verifier checks one ticket with a captcha provider. Verify returns nil
// when the ticket passed, an error wrapping ErrRejected when it did not,
// and one wrapping ErrUnavailable when no verdict could be had. Aliyun and
// Tencent implement it; a test can use a func of its own.
type Verifier interface {
	Verify(ctx context.Context, t Ticket, clientIP string) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, t Ticket, clientIP string) error

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, t Ticket, clientIP string) error {
	return f(ctx, t, clientIP)
}

// Options says which sends need a ticket and what happens when the
// provider cannot answer. The zero value asks a ticket for every SMS code
// and refuses the send when the provider is unreachable.
type Options struct {
	// Channels are the channels whose sends need a ticket. Default
	// security.ChannelSMS only: email costs nothing per message and has its
	// own throttles.
	Channels []security.Channel
	// Purposes, when not empty, limits the check to these purposes
	// (bind_phone, confirm_phone, forgot_password, verify_email). Default:
	// every purpose.
	Purposes []security.Purpose
	// FailOpen lets a send through when the provider gives no verdict
	// (unreachable, timed out, throttling us, refusing our credentials,
	// answering garbage; errors wrapping ErrUnavailable). Default false:
	// the send is refused, because the captcha is there to stop SMS
	// bombing and an outage must not open the gate. With FailOpen the
	// Service's own throttles and SMS budget remain the only limit during
	// the outage. A missing, malformed or failed ticket is refused either
	// way.
	FailOpen bool
	// OnError, when set, receives every verification that ended without a
	// verdict or with an error other than a rejection, whatever FailOpen
	// says: alert on it. It runs synchronously and must not block. The
	// error holds neither the ticket nor a key.
	OnError func(ctx context.Context, req security.SendRequest, err error)
	// OnRefused, when set, receives every refusal for a missing, malformed
	// or failed ticket (for metrics: a surge is an attack). Same rules.
	OnRefused func(ctx context.Context, req security.SendRequest, err error)
}

// Veto returns the function for security.Config.SendVeto that asks v about
// the ticket in the context (WithTicket, FromRequest) before every send
// opts covers. Refusals wrap security.ErrSendRefused and one of
// ErrRequired, ErrRejected or ErrUnavailable (or ErrNoClientIP):
//
//	no ticket in the context          ErrRequired    refused
//	ticket malformed or not passed    ErrRejected    refused
//	no verdict from the provider      ErrUnavailable refused; let through with FailOpen
//	any other error (ErrNoClientIP)   itself         refused
//
// A request whose context ended while verifying gets the verifier's error
// without ErrSendRefused, so httpadapter answers "503" as for any
// cancelled request.
func Veto(v Verifier, opts Options) (func(context.Context, security.SendRequest) error, error) {
	if v == nil {
		return nil, errors.New("captcha: Veto needs a Verifier")
	}
	if len(opts.Channels) == 0 {
		opts.Channels = []security.Channel{security.ChannelSMS}
	}
	for _, c := range opts.Channels {
		if c != security.ChannelSMS && c != security.ChannelEmail {
			return nil, fmt.Errorf("captcha: unknown channel %q", c)
		}
	}
	opts.Channels = slices.Clone(opts.Channels)
	opts.Purposes = slices.Clone(opts.Purposes)
	return func(ctx context.Context, req security.SendRequest) error {
		if !slices.Contains(opts.Channels, req.Channel) || (len(opts.Purposes) > 0 && !slices.Contains(opts.Purposes, req.Purpose)) {
			return nil
		}
		t, ok := TicketFrom(ctx)
		if !ok {
			return opts.refuse(ctx, req, ErrRequired)
		}
		err := v.Verify(ctx, t, req.ClientIP)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrRejected):
			return opts.refuse(ctx, req, err)
		case ctx.Err() != nil:
			return err
		}
		if opts.OnError != nil {
			opts.OnError(ctx, req, err)
		}
		if opts.FailOpen && errors.Is(err, ErrUnavailable) {
			return nil
		}
		return fmt.Errorf("%w: %w", err, security.ErrSendRefused)
	}, nil
}

func (o *Options) refuse(ctx context.Context, req security.SendRequest, err error) error {
	if o.OnRefused != nil {
		o.OnRefused(ctx, req, err)
	}
	return fmt.Errorf("%w: %w", err, security.ErrSendRefused)
}
