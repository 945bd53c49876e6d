package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
)

// TLS modes of the -smtp-tls flag.
const (
	tlsStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the server must offer
	tlsImplicit = "implicit" // TLS from the first byte (port 465)
	tlsNone     = "none"     // no TLS: a local development server only
)

// smtpConfig is what the -smtp-* flags and ACCTSEC_SMTP_PASSWORD say.
type smtpConfig struct {
	Host     string
	Port     int
	User     string
	Password string
	From     string
	TLS      string
	// Timeout bounds dialing and the whole SMTP session. Default 30s.
	Timeout time.Duration
	// Now gives the Date header. Default time.Now.
	Now func() time.Time
}

// smtpMailer is the demo's email notifier: net/smtp, PLAIN auth, multipart
// text and HTML rendered by package messages. It is deliberately small;
// production code should use the notify/smtp module.
type smtpMailer struct {
	cfg       smtpConfig
	from      *mail.Address
	domain    string // of From, for Message-IDs
	render    *messages.Renderer
	tlsConfig *tls.Config
}

var errMailer = errors.New("smtp")

// newSMTPMailer validates cfg and returns a mailer rendering with r.
func newSMTPMailer(cfg smtpConfig, r *messages.Renderer) (*smtpMailer, error) {
	if cfg.Host == "" || hasCRLF(cfg.Host) || strings.ContainsAny(cfg.Host, " /") {
		return nil, errors.New("smtp: -smtp-host must be a host name")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, errors.New("smtp: -smtp-port must be 1..65535")
	}
	switch cfg.TLS {
	case tlsStartTLS, tlsImplicit, tlsNone:
	default:
		return nil, fmt.Errorf("smtp: -smtp-tls must be %s, %s or %s", tlsStartTLS, tlsImplicit, tlsNone)
	}
	if hasCRLF(cfg.From) || hasCRLF(cfg.User) || hasCRLF(cfg.Password) {
		return nil, errors.New("smtp: -smtp-from, -smtp-user and the password may not contain CR or LF")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errors.New("smtp: -smtp-from must be an address, e.g. 'Acme <no-reply@acme.example>'")
	}
	if cfg.User != "" && cfg.Password == "" {
		return nil, errors.New("smtp: -smtp-user is set but ACCTSEC_SMTP_PASSWORD is empty")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &smtpMailer{
		cfg:       cfg,
		from:      from,
		domain:    domain,
		render:    r,
		tlsConfig: &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12},
	}, nil
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

// Send renders m and hands it to the server. The error never holds the
// code, the link or the recipient; it wraps security.ErrDeliveryFailed.
func (s *smtpMailer) Send(ctx context.Context, m security.Message) error {
	if m.Channel != security.ChannelEmail {
		return s.fail("not an email message", nil)
	}
	if hasCRLF(m.To) {
		return s.fail("recipient contains CR or LF", nil)
	}
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To || a.Name != "" {
		return s.fail("recipient is not one plain address", nil)
	}
	out, err := s.render.Render(m)
	if err != nil {
		return s.fail("rendering failed", nil)
	}
	if out.Subject == "" || hasCRLF(out.Subject) {
		return s.fail("subject is empty or contains CR or LF", nil)
	}
	body, err := s.compose(m.To, out)
	if err != nil {
		return s.fail("composing failed", err)
	}
	return s.deliver(ctx, m.To, body)
}

// fail builds a Send error; cause is kept only when it cannot hold a
// secret (network errors, SMTP status codes).
func (s *smtpMailer) fail(what string, cause error) error {
	if cause == nil {
		return fmt.Errorf("%w: %w: %s", security.ErrDeliveryFailed, errMailer, what)
	}
	return fmt.Errorf("%w: %w: %s: %w", security.ErrDeliveryFailed, errMailer, what, cause)
}

// reply keeps only the status of an SMTP error: its text may echo the
// recipient.
func reply(err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return fmt.Errorf("server answered %d", tp.Code)
	}
	return err
}

// compose builds the MIME message: multipart/alternative, UTF-8 text and
// HTML in quoted-printable, with Date and Message-ID.
func (s *smtpMailer) compose(to string, out messages.Rendered) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", s.from.String())
	hdr("To", "<"+to+">")
	hdr("Subject", mime.QEncoding.Encode("utf-8", out.Subject))
	hdr("Date", s.cfg.Now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(id))+"@"+s.domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Auto-Submitted", "auto-generated")
	hdr("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, text string }{{"text/plain", out.Text}, {"text/html", out.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := io.WriteString(qp, part.text); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// deliver runs one SMTP session under the timeout and ctx: the connection
// has a deadline and is closed when ctx ends.
func (s *smtpMailer) deliver(ctx context.Context, to string, body []byte) error {
	deadline := time.Now().Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	dialer := &net.Dialer{Deadline: deadline}
	var conn net.Conn
	var err error
	if s.cfg.TLS == tlsImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return s.fail("connecting", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return s.fail("connecting", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return s.fail("greeting", reply(err))
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return s.fail("EHLO", reply(err))
	}
	if s.cfg.TLS == tlsStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return s.fail("the server does not offer STARTTLS (use -smtp-tls none for a local server)", nil)
		}
		if err := c.StartTLS(s.tlsConfig); err != nil {
			return s.fail("STARTTLS", reply(err))
		}
	}
	if s.cfg.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return s.fail("the server does not offer AUTH", nil)
		}
		// PlainAuth refuses to send credentials without TLS, except to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", s.cfg.User, s.cfg.Password, s.cfg.Host)); err != nil {
			return s.fail("AUTH", reply(err))
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.fail("MAIL FROM", reply(err))
	}
	if err := c.Rcpt(to); err != nil {
		return s.fail("RCPT TO", reply(err))
	}
	w, err := c.Data()
	if err != nil {
		return s.fail("DATA", reply(err))
	}
	if _, err := w.Write(body); err != nil {
		return s.fail("DATA", reply(err))
	}
	if err := w.Close(); err != nil {
		return s.fail("message", reply(err))
	}
	// The server has accepted the message; a failing QUIT must not make
	// the Service void a code the user will receive.
	_ = c.Quit()
	return nil
}
