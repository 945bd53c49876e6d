package smtp

import (
	"context"
	"crypto/tls"
	"net"

	mail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// deliver opens one connection, sends msg and closes it. Cancelling ctx
// closes the connection at once, whatever command is in flight (go-mail's
// own deadline only covers dialing). The returned auth tells failure
// whether an error came from authentication.
func (n *Notifier) deliver(ctx context.Context, msg *mail.Msg) (*trackedAuth, error) {
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		nd := &net.Dialer{}
		var conn net.Conn
		var err error
		if n.cfg.Security == ImplicitTLS {
			conn, err = (&tls.Dialer{NetDialer: nd, Config: n.cfg.TLSConfig}).DialContext(dctx, network, addr)
		} else {
			conn, err = nd.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stops = append(stops, context.AfterFunc(ctx, func() { _ = conn.Close() }))
		return conn, nil
	}

	opts := []mail.Option{
		mail.WithPort(n.cfg.Port),
		mail.WithTimeout(n.cfg.Timeout),
		mail.WithHELO(n.cfg.HELO),
		mail.WithTLSConfig(n.cfg.TLSConfig),
		mail.WithDialContextFunc(dial),
	}
	switch n.cfg.Security {
	case StartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case StartTLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case ImplicitTLS:
		opts = append(opts, mail.WithSSL())
	case InsecurePlaintext:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	var auth *trackedAuth
	if n.cfg.Username != "" {
		// go-mail's mechanisms send credentials only over TLS or to
		// localhost, and only to Host.
		base := gosmtp.PlainAuth("", n.cfg.Username, n.cfg.Password, n.cfg.Host, false)
		if n.cfg.Auth == AuthLogin {
			base = gosmtp.LoginAuth(n.cfg.Username, n.cfg.Password, n.cfg.Host, false)
		}
		auth = &trackedAuth{Auth: base}
		opts = append(opts, mail.WithSMTPAuthCustom(auth))
	}
	client, err := mail.NewClient(n.cfg.Host, opts...)
	if err != nil {
		return nil, err
	}
	return auth, client.DialAndSendWithContext(ctx, msg)
}

// trackedAuth wraps a go-mail mechanism to record how far authentication
// got, so that a server error during AUTH reads as ErrAuth. One per Send.
type trackedAuth struct {
	gosmtp.Auth
	started, done bool
}

// Start records that authentication began.
func (a *trackedAuth) Start(server *gosmtp.ServerInfo) (string, []byte, error) {
	a.started = true
	return a.Auth.Start(server)
}

// Next records that the server accepted the credentials.
func (a *trackedAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	resp, err := a.Auth.Next(fromServer, more)
	if err == nil && !more {
		a.done = true
	}
	return resp, err
}
