package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/acctsec/security"
)

// ErrNoRoute is returned by Router.Send when no notifier is configured for
// a message's purpose or channel.
var ErrNoRoute = errors.New("notify: no notifier for this message")

// Router picks a notifier per message: Purposes first, then by channel.
// Fill it in before use and do not change it afterwards; it is then safe
// for concurrent use.
//
//	notify.Router{
//		SMS:   aliyun,
//		Email: mailer,
//		// Security notices by SMS cost money: send them by email only.
//		Purposes: map[security.Purpose]security.Notifier{
//			security.PurposePasswordChanged: notify.Router{Email: mailer, SMS: notify.Discard},
//		},
//	}
type Router struct {
	// SMS receives messages on security.ChannelSMS.
	SMS security.Notifier
	// Email receives messages on security.ChannelEmail.
	Email security.Notifier
	// Purposes overrides the channel route for the listed purposes, on
	// every channel. To override one channel only, map the purpose to
	// another Router.
	Purposes map[security.Purpose]security.Notifier
}

// Send delivers m through the notifier its route selects; it returns an
// error wrapping ErrNoRoute when there is none.
func (r Router) Send(ctx context.Context, m security.Message) error {
	if n, ok := r.Purposes[m.Purpose]; ok && n != nil {
		return n.Send(ctx, m)
	}
	var n security.Notifier
	switch m.Channel {
	case security.ChannelSMS:
		n = r.SMS
	case security.ChannelEmail:
		n = r.Email
	}
	if n == nil {
		return fmt.Errorf("%w: channel %q, purpose %q", ErrNoRoute, m.Channel, m.Purpose)
	}
	return n.Send(ctx, m)
}

// Discard is a Notifier that drops every message and reports success. Use
// it in a Router for messages a host deliberately does not send.
var Discard security.Notifier = security.NotifierFunc(func(context.Context, security.Message) error { return nil })
