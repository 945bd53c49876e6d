package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
)

// Notifier sends ChannelEmail messages over SMTP. It is safe for concurrent
// use; each Send opens its own connection.
type Notifier struct {
	render   Renderer
	cfg      Config
	from     *netmail.Address
	idDomain string
}

var _ security.Notifier = (*Notifier)(nil)

// New checks cfg and returns a Notifier rendering messages with r (usually
// a *messages.Renderer).
func New(r Renderer, cfg Config) (*Notifier, error) {
	if r == nil {
		return nil, errors.New("smtp: a Renderer is required")
	}
	if cfg.Host == "" || hasControl(cfg.Host) || strings.ContainsAny(cfg.Host, " /@") {
		return nil, errors.New("smtp: Host is required and must be a host name or IP address")
	}
	switch cfg.Security {
	case StartTLS, StartTLSOpportunistic, ImplicitTLS, InsecurePlaintext:
	default:
		return nil, fmt.Errorf("smtp: unknown Security %d", cfg.Security)
	}
	if cfg.Port == 0 {
		cfg.Port = map[Security]int{StartTLS: 587, StartTLSOpportunistic: 587, ImplicitTLS: 465, InsecurePlaintext: 25}[cfg.Security]
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: invalid Port %d", cfg.Port)
	}
	if hasControl(cfg.From) {
		return nil, errors.New("smtp: From must not contain CR, LF or other control characters")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil || validAddress(from.Address) != nil {
		return nil, errors.New("smtp: From must be an address such as \"Acme <no-reply@acme.example>\"")
	}
	switch {
	case cfg.Username == "" && (cfg.Password != "" || cfg.Auth != ""):
		return nil, errors.New("smtp: Password and Auth need a Username")
	case hasControl(cfg.Username) || hasControl(cfg.Password):
		return nil, errors.New("smtp: Username and Password must not contain control characters")
	}
	if cfg.Username != "" && cfg.Auth == "" {
		cfg.Auth = AuthPlain
	}
	if cfg.Auth != "" && cfg.Auth != AuthPlain && cfg.Auth != AuthLogin {
		return nil, fmt.Errorf("smtp: unsupported Auth %q (use PLAIN or LOGIN)", cfg.Auth)
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{}
	}
	cfg.TLSConfig = cfg.TLSConfig.Clone()
	if cfg.TLSConfig.ServerName == "" {
		cfg.TLSConfig.ServerName = cfg.Host
	}
	if cfg.TLSConfig.MinVersion == 0 {
		cfg.TLSConfig.MinVersion = tls.VersionTLS12
	}
	if cfg.HELO == "" {
		if cfg.HELO, err = os.Hostname(); err != nil || cfg.HELO == "" || hasControl(cfg.HELO) {
			cfg.HELO = "localhost"
		}
	} else if hasControl(cfg.HELO) || strings.ContainsAny(cfg.HELO, " ") {
		return nil, errors.New("smtp: HELO must be one word")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("smtp: Timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Notifier{render: r, cfg: cfg, from: from, idDomain: from.Address[strings.LastIndexByte(from.Address, '@')+1:]}, nil
}

// Send renders m and delivers it. It returns nil once the server has
// accepted the message, even if closing the session afterwards fails. m
// must be a ChannelEmail message to one plain address; recipient and
// subject are checked before anything is sent. Errors wrap one of
// ErrInvalidMessage, ErrAuth, ErrConnection, ErrRejected, and
// security.ErrDeliveryFailed; a cancelled ctx also matches ctx's error.
func (n *Notifier) Send(ctx context.Context, m security.Message) error {
	if m.Channel != security.ChannelEmail {
		return invalid(fmt.Sprintf("channel %q is not email", m.Channel))
	}
	if err := validAddress(m.To); err != nil {
		return invalid("recipient: " + err.Error())
	}
	out, err := n.render.Render(m)
	if err != nil {
		return invalid("rendering " + string(m.Purpose) + " failed")
	}
	switch {
	case strings.TrimSpace(out.Subject) == "":
		return invalid("empty subject")
	case hasControl(out.Subject):
		return invalid("the subject contains CR, LF or another control character")
	case out.Text == "" && out.HTML == "":
		return invalid("empty body")
	}
	if err := ctx.Err(); err != nil {
		return &sendError{kind: ErrConnection, msg: ErrConnection.Error() + ": " + err.Error(), cause: err}
	}

	msg, err := n.message(m.To, out)
	if err != nil {
		return invalid("building the message failed")
	}
	auth, err := n.deliver(ctx, msg)
	if msg.IsDelivered() {
		// The server took the message; a failing RSET or QUIT after that
		// must not make the caller void a code the user will receive.
		return nil
	}
	if err == nil {
		err = errors.New("message not delivered")
	}
	return failure(ctx, err, auth, secrets{code: m.Code, link: m.Link, to: m.To, password: n.cfg.Password})
}

// message builds the MIME message: multipart/alternative text and HTML,
// Date from Config.Now and a random Message-ID in the From domain.
func (n *Notifier) message(to string, out messages.Rendered) (*mail.Msg, error) {
	subject, text, html := strings.TrimSpace(out.Subject), out.Text, out.HTML
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	msg.FromMailAddress(n.from)
	msg.ToMailAddress(&netmail.Address{Address: to})
	msg.Subject(subject)
	msg.SetDateWithValue(n.cfg.Now())
	id, err := messageID(n.idDomain)
	if err != nil {
		return nil, err
	}
	msg.SetMessageIDWithValue(id)
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	switch {
	case text != "" && html != "":
		msg.SetBodyString(mail.TypeTextPlain, text)
		msg.AddAlternativeString(mail.TypeTextHTML, html)
	case text != "":
		msg.SetBodyString(mail.TypeTextPlain, text)
	default:
		msg.SetBodyString(mail.TypeTextHTML, html)
	}
	return msg, nil
}

func messageID(domain string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])) + "@" + domain, nil
}
