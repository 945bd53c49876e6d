package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"html"
	"net"
	netmail "net/mail"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
	mailer "github.com/acctsec/security/notify/smtp"
)

const (
	testCode = "480213"
	testLink = "https://acme.example/verify?token=tok-Zq81&uid=7"
	testTo   = "alice@example.com"
)

var sentAt = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func renderer(t *testing.T) *messages.Renderer {
	t.Helper()
	r, err := messages.New(messages.Options{AppName: "Acme"})
	require.NoError(t, err)
	return r
}

// config is a client of ts: STARTTLS trusting the test certificate, PLAIN
// with the right password.
func config(ts *testServer) mailer.Config {
	return mailer.Config{
		Host:      "127.0.0.1",
		Port:      ts.Port,
		TLSConfig: &tls.Config{RootCAs: ts.RootCAs},
		Username:  testUser,
		Password:  testPass,
		From:      "Acme Security <no-reply@acme.example>",
		HELO:      "client.test",
		Timeout:   time.Minute,
		Now:       func() time.Time { return sentAt },
	}
}

func newNotifier(t *testing.T, cfg mailer.Config) *mailer.Notifier {
	t.Helper()
	n, err := mailer.New(renderer(t), cfg)
	require.NoError(t, err)
	return n
}

func verifyEmail(locale string) security.Message {
	return security.Message{Channel: security.ChannelEmail, To: testTo, Purpose: security.PurposeVerifyEmail,
		Code: testCode, Link: testLink, TTL: 30 * time.Minute, Locale: locale, Time: sentAt}
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// assertNoSecrets checks an error text shows neither the code, the link
// nor the full recipient.
func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testCode)
	assert.NotContains(t, err.Error(), "tok-Zq81")
	assert.NotContains(t, err.Error(), testTo)
	assert.ErrorIs(t, err, security.ErrDeliveryFailed)
}

func TestSendVerifyEmailOverSTARTTLS(t *testing.T) {
	for _, locale := range []string{"en", "zh-CN"} {
		t.Run(locale, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: true, requireAuth: true})
			n := newNotifier(t, config(ts))

			require.NoError(t, n.Send(context.Background(), verifyEmail(locale)))

			got := ts.Messages()
			require.Len(t, got, 1)
			rcv := got[0]
			assert.True(t, rcv.TLS, "STARTTLS before the message")
			assert.Equal(t, testUser, rcv.AuthUser)
			assert.Equal(t, "PLAIN", rcv.AuthMech)
			assert.Equal(t, "no-reply@acme.example", rcv.From)
			assert.Equal(t, []string{testTo}, rcv.To)

			p := parseMessage(t, rcv.Data)
			from, err := netmail.ParseAddress(p.Header.Get("From"))
			require.NoError(t, err)
			assert.Equal(t, "no-reply@acme.example", from.Address)
			assert.Equal(t, "Acme Security", from.Name)
			to, err := p.Header.AddressList("To")
			require.NoError(t, err)
			require.Len(t, to, 1)
			assert.Equal(t, testTo, to[0].Address)

			date, err := p.Header.Date()
			require.NoError(t, err)
			assert.True(t, sentAt.Equal(date), "Date is Config.Now: %s", date)
			id := p.Header.Get("Message-ID")
			assert.Regexp(t, `^<[a-z2-7]{26}@acme\.example>$`, id)
			assert.Equal(t, "auto-generated", p.Header.Get("Auto-Submitted"))
			assert.Empty(t, p.Header.Get("User-Agent"))
			assert.Empty(t, p.Header.Get("X-Mailer"))

			assert.NotContains(t, p.Subject, testCode)
			assert.NotContains(t, p.Subject, "tok-Zq81")
			assert.Contains(t, p.Subject, "Acme")
			assert.Contains(t, p.Text, testCode)
			assert.Contains(t, p.Text, testLink)
			assert.Contains(t, p.HTML, testCode)
			assert.Contains(t, p.HTML, `href="`+html.EscapeString(testLink)+`"`)
			if locale == "zh-CN" {
				assert.True(t, hasHan(p.Subject), p.Subject)
				assert.Contains(t, p.Subject, "验证您的邮箱地址")
				assert.Contains(t, p.Text, "验证码和链接30分钟内有效")
				assert.Contains(t, p.HTML, `<html lang="zh-CN">`)
			} else {
				assert.False(t, hasHan(p.Subject+p.Text+p.HTML))
				assert.Equal(t, "Acme: verify your email address", p.Subject)
				assert.Contains(t, p.Text, "expire in 30 minutes")
			}
		})
	}
}

func TestSendNotice(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, requireAuth: true})
	n := newNotifier(t, config(ts))
	m := security.Message{Channel: security.ChannelEmail, To: testTo, Purpose: security.PurposePasswordChanged,
		Locale: "zh-CN", Time: sentAt}
	require.NoError(t, n.Send(context.Background(), m))
	got := ts.Messages()
	require.Len(t, got, 1)
	p := parseMessage(t, got[0].Data)
	assert.Equal(t, "【Acme】登录密码已修改", p.Subject)
	assert.Contains(t, p.Text, "2026年5月6日 07:08 UTC")
	assert.Contains(t, p.HTML, "如非本人操作")
}

func TestSendImplicitTLSAndLogin(t *testing.T) {
	ts := startServer(t, serverOpts{implicit: true, requireAuth: true})
	cfg := config(ts)
	cfg.Security = mailer.ImplicitTLS
	cfg.Auth = mailer.AuthLogin
	n := newNotifier(t, cfg)
	require.NoError(t, n.Send(context.Background(), verifyEmail("en")))
	got := ts.Messages()
	require.Len(t, got, 1)
	assert.True(t, got[0].TLS)
	assert.Equal(t, testUser, got[0].AuthUser)
	assert.Equal(t, "LOGIN", got[0].AuthMech)

	cfg.Password = "wrong"
	err := newNotifier(t, cfg).Send(context.Background(), verifyEmail("en"))
	assert.ErrorIs(t, err, mailer.ErrAuth)
	assertNoSecrets(t, err)
	assert.Len(t, ts.Messages(), 1)
}

func TestSendWithoutTLS(t *testing.T) {
	tests := []struct {
		name      string
		security  mailer.Security
		delivered bool
		err       error
	}{
		{"mandatory STARTTLS refuses", mailer.StartTLS, false, mailer.ErrConnection},
		{"opportunistic goes on", mailer.StartTLSOpportunistic, true, nil},
		{"explicit plaintext", mailer.InsecurePlaintext, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: false})
			cfg := config(ts)
			cfg.Username, cfg.Password = "", ""
			cfg.Security = tt.security
			err := newNotifier(t, cfg).Send(context.Background(), verifyEmail("en"))
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assertNoSecrets(t, err)
				assert.Contains(t, err.Error(), "STARTTLS")
			} else {
				require.NoError(t, err)
			}
			got := ts.Messages()
			if tt.delivered {
				require.Len(t, got, 1)
				assert.False(t, got[0].TLS)
			} else {
				assert.Empty(t, got)
			}
		})
	}
}

func TestSendWrongPassword(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, requireAuth: true})
	cfg := config(ts)
	cfg.Password = "wrong-password"
	err := newNotifier(t, cfg).Send(context.Background(), verifyEmail("en"))
	assert.ErrorIs(t, err, mailer.ErrAuth)
	assert.NotErrorIs(t, err, mailer.ErrConnection)
	assertNoSecrets(t, err)
	assert.Contains(t, err.Error(), "authentication failed")
	assert.Contains(t, err.Error(), "535")
	assert.NotContains(t, err.Error(), "wrong-password")
	assert.Empty(t, ts.Messages())
}

func TestSendUntrustedCertificate(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, requireAuth: true})
	cfg := config(ts)
	cfg.TLSConfig = nil // system roots do not know the test CA
	err := newNotifier(t, cfg).Send(context.Background(), verifyEmail("en"))
	assert.ErrorIs(t, err, mailer.ErrConnection)
	assert.Contains(t, err.Error(), "certificate")
	assertNoSecrets(t, err)
	assert.Empty(t, ts.Messages())
}

func TestSendDroppedConnection(t *testing.T) {
	drop := func(c *smtp.Conn) error {
		_ = c.Conn().Close()
		return errors.New("dropped")
	}
	tests := []struct {
		name string
		o    serverOpts
	}{
		{"at MAIL FROM", serverOpts{onMail: drop}},
		{"at RCPT TO", serverOpts{onRcpt: func(c *smtp.Conn, _ string) error { return drop(c) }}},
		{"after the body, before the answer", serverOpts{onData: drop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.tls, tt.o.requireAuth = true, true
			ts := startServer(t, tt.o)
			err := newNotifier(t, config(ts)).Send(context.Background(), verifyEmail("en"))
			assert.ErrorIs(t, err, mailer.ErrConnection)
			assert.NotErrorIs(t, err, mailer.ErrAuth)
			assertNoSecrets(t, err)
			assert.Empty(t, ts.Messages())
		})
	}
}

func TestSendDropAfterAcceptIsDelivered(t *testing.T) {
	// Once the server has said 250 to the message, the user will get it: a
	// failing RSET or QUIT must not make the caller void the code.
	ts := startServer(t, serverOpts{tls: true, requireAuth: true, dropAfterAccept: true})
	require.NoError(t, newNotifier(t, config(ts)).Send(context.Background(), verifyEmail("en")))
	assert.Len(t, ts.Messages(), 1)
}

func TestSendRejectedRecipient(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, requireAuth: true, onRcpt: func(_ *smtp.Conn, _ string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}})
	err := newNotifier(t, config(ts)).Send(context.Background(), verifyEmail("en"))
	assert.ErrorIs(t, err, mailer.ErrRejected)
	assert.Contains(t, err.Error(), "550")
	assert.Contains(t, err.Error(), "a***@example.com", "the recipient is masked")
	assertNoSecrets(t, err)
	var se interface{ IsTemp() bool }
	require.ErrorAs(t, err, &se, "go-mail's SendError stays reachable")
	assert.False(t, se.IsTemp())
}

func TestSendRefusesInjection(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *security.Message)
		r      mailer.Renderer
	}{
		{"CRLF in recipient", func(m *security.Message) { m.To = "alice@example.com\r\nRCPT TO:<mallory@evil.example>" }, nil},
		{"LF in recipient", func(m *security.Message) { m.To = "alice@example.com\nBcc: mallory@evil.example" }, nil},
		{"CR in recipient", func(m *security.Message) { m.To = "alice@example.com\rBcc: mallory@evil.example" }, nil},
		{"NUL in recipient", func(m *security.Message) { m.To = "alice@example.com\x00" }, nil},
		{"display name", func(m *security.Message) { m.To = "Alice <alice@example.com>" }, nil},
		{"two recipients", func(m *security.Message) { m.To = "alice@example.com, mallory@evil.example" }, nil},
		{"not an address", func(m *security.Message) { m.To = "alice" }, nil},
		{"SMS channel", func(m *security.Message) { m.Channel = security.ChannelSMS; m.To = "+8613800138000" }, nil},
		{"CRLF in subject", nil, mailer.RendererFunc(func(security.Message) (messages.Rendered, error) {
			return messages.Rendered{Subject: "Hello\r\nBcc: mallory@evil.example", Text: testCode, HTML: testCode}, nil
		})},
		{"LF in subject", nil, mailer.RendererFunc(func(security.Message) (messages.Rendered, error) {
			return messages.Rendered{Subject: "Hello\nX-Evil: 1", Text: testCode}, nil
		})},
		{"empty subject", nil, mailer.RendererFunc(func(security.Message) (messages.Rendered, error) {
			return messages.Rendered{Text: testCode}, nil
		})},
		{"render error", nil, mailer.RendererFunc(func(security.Message) (messages.Rendered, error) {
			return messages.Rendered{}, errors.New("template broke near " + testCode)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: true, requireAuth: true})
			var r mailer.Renderer = renderer(t)
			if tt.r != nil {
				r = tt.r
			}
			n, err := mailer.New(r, config(ts))
			require.NoError(t, err)
			m := verifyEmail("en")
			if tt.mutate != nil {
				tt.mutate(&m)
			}
			err = n.Send(context.Background(), m)
			assert.ErrorIs(t, err, mailer.ErrInvalidMessage)
			assertNoSecrets(t, err)
			assert.Zero(t, ts.accepted.Load(), "no connection was made")
			assert.Empty(t, ts.Messages())
		})
	}
}

func TestSendCancelled(t *testing.T) {
	t.Run("before sending", func(t *testing.T) {
		ts := startServer(t, serverOpts{tls: true, requireAuth: true})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newNotifier(t, config(ts)).Send(ctx, verifyEmail("en"))
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, mailer.ErrConnection)
		assertNoSecrets(t, err)
		assert.Zero(t, ts.accepted.Load())
	})
	t.Run("while the server stalls", func(t *testing.T) {
		inData := make(chan struct{})
		release := make(chan struct{})
		ts := startServer(t, serverOpts{tls: true, requireAuth: true, onData: func(*smtp.Conn) error {
			close(inData)
			<-release
			return nil
		}})
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-inData
			cancel()
		}()
		// Timeout is a minute: only cancellation, which closes the
		// connection, can end this Send early; a timeout would show as
		// os.ErrDeadlineExceeded.
		err := newNotifier(t, config(ts)).Send(ctx, verifyEmail("en"))
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.ErrorIs(t, err, net.ErrClosed)
		assert.ErrorIs(t, err, mailer.ErrConnection)
		assertNoSecrets(t, err)
	})
}

func TestSendTimeout(t *testing.T) {
	// A server that accepts and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	cfg := config(&testServer{Port: l.Addr().(*net.TCPAddr).Port})
	cfg.Timeout = 50 * time.Millisecond
	err = newNotifier(t, cfg).Send(context.Background(), verifyEmail("en"))
	assert.ErrorIs(t, err, mailer.ErrConnection)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Contains(t, err.Error(), "timeout")
	assertNoSecrets(t, err)
}

func TestNewRefusesBadConfig(t *testing.T) {
	base := mailer.Config{Host: "smtp.acme.example", From: "no-reply@acme.example"}
	tests := []struct {
		name   string
		mutate func(c *mailer.Config)
	}{
		{"no host", func(c *mailer.Config) { c.Host = "" }},
		{"host with CRLF", func(c *mailer.Config) { c.Host = "smtp.acme.example\r\n" }},
		{"no from", func(c *mailer.Config) { c.From = "" }},
		{"from with CRLF", func(c *mailer.Config) { c.From = "no-reply@acme.example\r\nBcc: mallory@evil.example" }},
		{"from with LF in name", func(c *mailer.Config) { c.From = "Acme\n <no-reply@acme.example>" }},
		{"from not an address", func(c *mailer.Config) { c.From = "Acme" }},
		{"bad port", func(c *mailer.Config) { c.Port = 70000 }},
		{"unknown security", func(c *mailer.Config) { c.Security = 42 }},
		{"password without user", func(c *mailer.Config) { c.Password = "x" }},
		{"unknown auth", func(c *mailer.Config) { c.Username, c.Auth = "u", "CRAM-MD5" }},
		{"negative timeout", func(c *mailer.Config) { c.Timeout = -time.Second }},
		{"HELO with CRLF", func(c *mailer.Config) { c.HELO = "client\r\nMAIL FROM:<x@y>" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mutate(&cfg)
			n, err := mailer.New(renderer(t), cfg)
			require.Error(t, err)
			assert.Nil(t, n)
			assert.True(t, strings.HasPrefix(err.Error(), "smtp: "), err.Error())
		})
	}
	_, err := mailer.New(nil, base)
	assert.Error(t, err)
	n, err := mailer.New(renderer(t), base)
	require.NoError(t, err)
	assert.NotNil(t, n)
}
