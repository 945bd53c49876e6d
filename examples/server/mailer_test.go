package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demotest"
)

// gotMail is one message the test SMTP server accepted.
type gotMail struct {
	from string
	to   []string
	data []byte
}

// mailServer is a tiny SMTP server on 127.0.0.1:0 (net/textproto): no TLS,
// no AUTH, every message accepted except to addresses starting with
// "refuse", which get a 550 that echoes the address.
type mailServer struct {
	port     int
	silent   bool // accept connections and never answer
	accepted chan struct{}
	conns    atomic.Int64

	mu  sync.Mutex
	got []gotMail
}

func startMailServer(t *testing.T, silent bool) *mailServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &mailServer{port: l.Addr().(*net.TCPAddr).Port, silent: silent, accepted: make(chan struct{}, 16)}
	var wg sync.WaitGroup
	var live sync.Map
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			live.Store(c, true)
			s.accepted <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer live.Delete(c)
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(time.Minute)) // hang guard only
				if !s.silent {
					s.serve(textproto.NewConn(c))
				} else {
					_, _ = io.Copy(io.Discard, c)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		live.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return s
}

func (s *mailServer) serve(tp *textproto.Conn) {
	var cur gotMail
	_ = tp.PrintfLine("220 localhost test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			_ = tp.PrintfLine("250-localhost")
			_ = tp.PrintfLine("250 8BITMIME")
		case "MAIL":
			cur = gotMail{from: angled(arg)}
			_ = tp.PrintfLine("250 OK")
		case "RCPT":
			to := angled(arg)
			if strings.HasPrefix(to, "refuse") {
				_ = tp.PrintfLine("550 5.1.1 <%s> no such user", to)
				continue
			}
			cur.to = append(cur.to, to)
			_ = tp.PrintfLine("250 OK")
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = data
			s.mu.Lock()
			s.got = append(s.got, cur)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 OK queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 OK")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 not implemented")
		}
	}
}

// angled returns the path between < and > of a MAIL or RCPT argument
// ("FROM:<a@b.example> BODY=8BITMIME").
func angled(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	path, _, _ := strings.Cut(rest, ">")
	return path
}

func (s *mailServer) messages() []gotMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotMail(nil), s.got...)
}

// readMail takes a received message apart: headers and the decoded text
// and HTML parts of its multipart/alternative body.
func readMail(t *testing.T, data []byte) (h mail.Header, subject, text, html string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, "quoted-printable", part.Header.Get("Content-Transfer-Encoding"))
		b, err := io.ReadAll(quotedprintable.NewReader(part))
		require.NoError(t, err)
		switch part.Header.Get("Content-Type") {
		case "text/plain; charset=utf-8":
			text = string(b)
		case "text/html; charset=utf-8":
			html = string(b)
		default:
			t.Fatalf("unexpected part %q", part.Header.Get("Content-Type"))
		}
	}
	return msg.Header, subject, text, html
}

var (
	baseRE = regexp.MustCompile(`DEMO server on (http://\S+)`)
	codeRE = regexp.MustCompile(`\b[0-9]{6}\b`)
)

// TestRunSendsEmailOverSMTP runs the demo with SMTP flags: the email goes
// to the SMTP server and is not printed; SMS is still printed.
func TestRunSendsEmailOverSMTP(t *testing.T) {
	ms := startMailServer(t, false)
	stdout := &demotest.Output{}
	args := []string{"-addr", "127.0.0.1:0", "-smtp-host", "127.0.0.1", "-smtp-port", strconv.Itoa(ms.port),
		"-smtp-tls", "none", "-smtp-from", "acctsec demo <no-reply@demo.example>"}
	stderr, stop := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
		return run(ctx, args, stdout, stderr)
	})
	usage := stderr.String()
	m := baseRE.FindStringSubmatch(usage)
	require.NotNil(t, m, usage)
	assert.Contains(t, usage, "Email is sent over SMTP")
	d := &harness{t: t, base: m[1], client: &http.Client{}}
	form := demotest.Form
	const user, addr = "alice", "alice@example.com"

	d.call(http.MethodPost, "/demo/register", "", form("userId", user, "password", "Plover-Orchid-71", "email", addr), "201")
	d.call(http.MethodPost, "/web/userservice/security/sendMail", user, form("email", addr), "200")

	got := ms.messages()
	require.Len(t, got, 1, "a member's email is sent before the answer")
	assert.Equal(t, "no-reply@demo.example", got[0].from)
	assert.Equal(t, []string{addr}, got[0].to)
	h, subject, text, html := readMail(t, got[0].data)
	to, err := h.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 1)
	assert.Equal(t, addr, to[0].Address)
	from, err := mail.ParseAddress(h.Get("From"))
	require.NoError(t, err)
	assert.Equal(t, "acctsec demo", from.Name)
	_, err = h.Date()
	require.NoError(t, err)
	assert.Regexp(t, `^<[a-z2-7]{26}@demo\.example>$`, h.Get("Message-ID"))
	assert.Contains(t, subject, "acctsec demo")

	link := regexp.MustCompile(regexp.QuoteMeta(d.base+"/web/userservice/security/verifyMail?token=") + `[A-Za-z0-9_%-]+`).FindString(text)
	require.NotEmpty(t, link, text)
	codes := codeRE.FindAllString(strings.ReplaceAll(text, link, ""), -1)
	require.Len(t, codes, 1, text)
	code := codes[0]
	assert.Contains(t, html, code)
	assert.Contains(t, html, `href="`+link+`"`)
	assert.NotContains(t, subject, code)

	out := stdout.String()
	assert.NotContains(t, out, "verify_email")
	assert.NotContains(t, out, code)
	assert.NotContains(t, out, link)
	assert.NotContains(t, out, addr)

	// SMS still prints, and the emailed code verifies the address.
	d.call(http.MethodGet, "/member/userservice/security", user, form("phone", "13800138000"), "200")
	assert.Contains(t, stdout.String(), `"channel":"sms"`)
	d.call(http.MethodPost, "/web/userservice/security/verifyMail", user, form("email", addr, "message", code), "201")
	assert.Len(t, ms.messages(), 1, "nothing else went by email")

	require.NoError(t, stop())
}

func newTestMailer(t *testing.T, port int, mode string) *smtpMailer {
	t.Helper()
	m, err := newDemoMailer(smtpConfig{Host: "127.0.0.1", Port: port, TLS: mode, From: "demo <no-reply@demo.example>"})
	require.NoError(t, err)
	return m
}

func verifyMessage(to string) security.Message {
	return security.Message{Channel: security.ChannelEmail, To: to, Purpose: security.PurposeVerifyEmail,
		Code: "480213", Link: "https://demo.example/verify?token=tok-Zq81", TTL: 5 * time.Minute, Locale: "en"}
}

func TestMailerFailures(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		to       string
		want     string
		connects bool
	}{
		{"STARTTLS required but not offered", tlsStartTLS, "alice@example.com", "STARTTLS", true},
		{"recipient refused", tlsNone, "refuse@example.com", "550", true},
		{"CR LF in the recipient", tlsNone, "alice@example.com\r\nBcc: eve@example.com", "CR or LF", false},
		{"not a plain address", tlsNone, "Alice <alice@example.com>", "plain address", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := startMailServer(t, false)
			err := newTestMailer(t, ms.port, tt.mode).Send(context.Background(), verifyMessage(tt.to))
			require.ErrorIs(t, err, security.ErrDeliveryFailed)
			assert.Contains(t, err.Error(), tt.want)
			for _, secret := range []string{"480213", "tok-Zq81", "@example.com"} {
				assert.NotContains(t, err.Error(), secret)
			}
			assert.Empty(t, ms.messages())
			assert.Equal(t, tt.connects, ms.conns.Load() > 0)
		})
	}
}

// TestMailerCancelled: ending the context closes a connection the server
// never answers.
func TestMailerCancelled(t *testing.T) {
	ms := startMailServer(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- newTestMailer(t, ms.port, tlsNone).Send(ctx, verifyMessage("alice@example.com")) }()
	<-ms.accepted
	cancel()
	err := <-done
	require.ErrorIs(t, err, security.ErrDeliveryFailed)
}

func TestRunRefusesBadSMTPFlags(t *testing.T) {
	t.Setenv(passwordEnv, "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown TLS mode", []string{"-smtp-host", "127.0.0.1", "-smtp-from", "a@b.example", "-smtp-tls", "ssl"}, "-smtp-tls"},
		{"no sender", []string{"-smtp-host", "127.0.0.1"}, "-smtp-from"},
		{"CR LF in the sender", []string{"-smtp-host", "127.0.0.1", "-smtp-from", "a@b.example\r\nBcc: c@d.example"}, "CR or LF"},
		{"user without password", []string{"-smtp-host", "127.0.0.1", "-smtp-from", "a@b.example", "-smtp-user", "u"}, "ACCTSEC_SMTP_PASSWORD"},
		{"SMTP flag without host", []string{"-smtp-from", "a@b.example"}, "-smtp-host"},
		{"bad port", []string{"-smtp-host", "127.0.0.1", "-smtp-from", "a@b.example", "-smtp-port", "0"}, "-smtp-port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, tt.args...), io.Discard, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
