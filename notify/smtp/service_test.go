package smtp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	mailer "github.com/acctsec/security/notify/smtp"
	"github.com/acctsec/security/securitytest"
)

// The addresses of the Service tests: the account has svcAddr; the member
// adds newAddr; no account has strangerAddr.
const (
	svcUser      = "u1"
	svcAddr      = "alice@example.com"
	newAddr      = "bob@example.com"
	strangerAddr = "nobody@example.com"
	svcLinkBase  = "https://acme.example/verify"
)

// failMode is how the failing server treats a message.
type failMode int

const (
	acceptAll       failMode = iota // the control: every message is accepted
	refuseRecipient                 // 550 to RCPT TO: the body never leaves
	refuseAfterData                 // reads the body, then answers 554
	dropAfterData                   // reads the body, then closes the connection
)

// failingServer is an SMTP server (emersion/go-smtp, plain text, no AUTH)
// on 127.0.0.1:0 that records every body it reads, accepted or not.
type failingServer struct {
	port int
	mode failMode

	mu     sync.Mutex
	bodies [][]byte
}

func startFailingServer(t *testing.T, mode failMode) *failingServer {
	t.Helper()
	fs := &failingServer{mode: mode}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &failingSession{fs: fs, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fs.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return fs
}

func (fs *failingServer) received() [][]byte {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([][]byte(nil), fs.bodies...)
}

type failingSession struct {
	fs   *failingServer
	conn *smtp.Conn
}

func (s *failingSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *failingSession) Rcpt(string, *smtp.RcptOptions) error {
	if s.fs.mode == refuseRecipient {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	return nil
}

func (s *failingSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.fs.mu.Lock()
	s.fs.bodies = append(s.fs.bodies, b)
	s.fs.mu.Unlock()
	switch s.fs.mode {
	case refuseAfterData:
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message refused"}
	case dropAfterData:
		_ = s.conn.Conn().Close()
		return errors.New("dropped")
	}
	return nil
}

func (s *failingSession) Reset()        {}
func (s *failingSession) Logout() error { return nil }

// sent is a code and link as the Service handed them to the notifier.
type sent struct{ code, link string }

// mailRig is a Service on memstore whose notifier is the SMTP notifier
// pointed at a failingServer; tapped records what the Service asked it to
// send, so a refused recipient (the body never leaves) can be checked too.
type mailRig struct {
	svc    *security.Service
	server *failingServer

	mu     sync.Mutex
	tapped []sent
	events securitytest.Events
	logs   securitytest.Logs
}

func newMailRig(t *testing.T, mode failMode) *mailRig {
	t.Helper()
	r := &mailRig{server: startFailingServer(t, mode)}
	n, err := mailer.New(renderer(t), mailer.Config{
		Host: "127.0.0.1", Port: r.server.port, Security: mailer.InsecurePlaintext,
		From: "Acme Security <no-reply@acme.example>", HELO: "client.test",
		Timeout: time.Minute, Now: func() time.Time { return sentAt },
	})
	require.NoError(t, err)
	tap := security.NotifierFunc(func(ctx context.Context, m security.Message) error {
		if m.Code != "" {
			r.mu.Lock()
			r.tapped = append(r.tapped, sent{m.Code, m.Link})
			r.mu.Unlock()
		}
		return n.Send(ctx, m)
	})
	now := func() time.Time { return sentAt }
	store := memstore.New(memstore.WithClock(now), memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	svc, err := security.New(store, tap, security.Config{
		Secret:      []byte("DSJyBcS3nhzI9xVHIKW+jvXjOepLCMOHwvoCgBMaCMQ="),
		LinkBaseURL: svcLinkBase,
		Now:         now,
		Logger:      slog.New(slog.NewTextHandler(&r.logs, nil)),
		OnEvent:     r.events.Add,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	r.svc = svc
	require.NoError(t, store.CreateAccount(context.Background(), &security.Account{UserID: svcUser, Email: svcAddr}))
	return r
}

var (
	sixDigitCode = regexp.MustCompile(`\b[0-9]{6}\b`)
	svcLink      = regexp.MustCompile(regexp.QuoteMeta(svcLinkBase) + `\?token=[A-Za-z0-9_%.~-]+`)
)

// fromWire reads the code and link from a message body the server read.
func fromWire(t *testing.T, body []byte) sent {
	t.Helper()
	p := parseMessage(t, body)
	links := svcLink.FindAllString(p.Text, -1)
	require.NotEmpty(t, links, "the text part has the link")
	for _, l := range links[1:] {
		require.Equal(t, links[0], l)
	}
	codes := sixDigitCode.FindAllString(strings.ReplaceAll(p.Text, links[0], ""), -1)
	require.Len(t, codes, 1, "one code in the text part")
	assert.Contains(t, p.HTML, codes[0])
	return sent{codes[0], links[0]}
}

// nth returns the code and link of the n-th message the Service sent: read
// from the wire when the server got the body, else from the tap.
func (r *mailRig) nth(t *testing.T, n int) sent {
	t.Helper()
	r.mu.Lock()
	tapped := append([]sent(nil), r.tapped...)
	r.mu.Unlock()
	require.Greater(t, len(tapped), n)
	if bodies := r.server.received(); len(bodies) > n {
		w := fromWire(t, bodies[n])
		require.Equal(t, tapped[n], w, "the wire carries what the Service sent")
		return w
	}
	require.NotEqual(t, refuseAfterData, r.server.mode)
	require.NotEqual(t, dropAfterData, r.server.mode)
	return tapped[n]
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("token")
	require.NotEmpty(t, tok)
	return tok
}

func (r *mailRig) failedEvents() []security.Event {
	var out []security.Event
	for _, e := range r.events.Of(security.EventDeliveryFailed) {
		if e.Purpose == security.PurposeVerifyEmail {
			out = append(out, e)
		}
	}
	return out
}

func (r *mailRig) assertLogsClean(t *testing.T, s sent, addr string) {
	t.Helper()
	assert.Contains(t, r.logs.String(), "delivery failed")
	for _, x := range []string{s.code, tokenOf(t, s.link), addr} {
		assert.NotContains(t, r.logs.String(), x)
	}
}

// TestServiceDeliveryFailures wires a Service to the SMTP notifier and a
// server that fails, and checks that the failure surfaces as
// security.ErrDeliveryFailed for a member, leaves neither the code nor the
// link usable, and does not change the public answer.
func TestServiceDeliveryFailures(t *testing.T) {
	ctx := context.Background()

	// The control: against a server that accepts, the code and link read
	// from the wire work, so the checks below can fail.
	t.Run("delivered", func(t *testing.T) {
		r := newMailRig(t, acceptAll)
		require.NoError(t, r.svc.SendPublicEmailVerification(ctx, svcAddr))
		require.NoError(t, r.svc.Close(ctx))
		require.NoError(t, r.svc.VerifyPublicEmailCode(ctx, svcAddr, r.nth(t, 0).code))

		require.NoError(t, r.svc.SendEmailVerification(ctx, svcUser, newAddr))
		require.NoError(t, r.svc.VerifyEmailToken(ctx, svcUser, tokenOf(t, r.nth(t, 1).link)))
		st, err := r.svc.Status(ctx, svcUser)
		require.NoError(t, err)
		assert.True(t, st.EmailVerified)
		assert.Equal(t, security.Mask(newAddr), st.Email)
		assert.Empty(t, r.failedEvents())
	})

	tests := []struct {
		name string
		mode failMode
		want error
	}{
		{"recipient refused (550)", refuseRecipient, mailer.ErrRejected},
		{"message refused after DATA (554)", refuseAfterData, mailer.ErrRejected},
		{"connection dropped after DATA", dropAfterData, mailer.ErrConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Run("member", func(t *testing.T) {
				r := newMailRig(t, tt.mode)
				err := r.svc.SendEmailVerification(ctx, svcUser, newAddr)
				require.ErrorIs(t, err, security.ErrDeliveryFailed)
				assert.ErrorIs(t, err, tt.want)
				s := r.nth(t, 0)
				assert.NotContains(t, err.Error(), s.code)
				assert.NotContains(t, err.Error(), tokenOf(t, s.link))

				assert.ErrorIs(t, r.svc.VerifyEmailCode(ctx, svcUser, newAddr, s.code), security.ErrInvalidCode)
				assert.ErrorIs(t, r.svc.VerifyEmailToken(ctx, svcUser, tokenOf(t, s.link)), security.ErrInvalidCode)
				assert.ErrorIs(t, r.svc.SendEmailVerification(ctx, svcUser, newAddr), security.ErrRateLimited,
					"the failed send counts")
				assert.Len(t, r.failedEvents(), 1)
				r.assertLogsClean(t, s, newAddr)

				st, err := r.svc.Status(ctx, svcUser)
				require.NoError(t, err)
				assert.False(t, st.EmailVerified)
				assert.Equal(t, security.Mask(svcAddr), st.Email)
			})

			t.Run("public", func(t *testing.T) {
				r := newMailRig(t, tt.mode)
				errKnown := r.svc.SendPublicEmailVerification(ctx, svcAddr)
				errUnknown := r.svc.SendPublicEmailVerification(ctx, strangerAddr)
				require.NoError(t, errKnown, "a failing server does not show")
				require.NoError(t, errUnknown)

				require.NoError(t, r.svc.Close(ctx))
				s := r.nth(t, 0)
				r.mu.Lock()
				assert.Len(t, r.tapped, 1, "only the address with an account gets a message")
				r.mu.Unlock()

				assert.ErrorIs(t, r.svc.VerifyPublicEmailCode(ctx, svcAddr, s.code), security.ErrInvalidCode)
				assert.ErrorIs(t, r.svc.VerifyPublicEmailToken(ctx, tokenOf(t, s.link)), security.ErrInvalidCode)
				assert.ErrorIs(t, r.svc.VerifyPublicEmailCode(ctx, strangerAddr, s.code), security.ErrInvalidCode,
					"the same answer as for an address no account has")
				ev := r.failedEvents()
				require.Len(t, ev, 1)
				assert.Equal(t, svcUser, ev[0].UserID)
				assert.Equal(t, security.Mask(svcAddr), ev[0].Destination)
				r.assertLogsClean(t, s, svcAddr)

				st, err := r.svc.Status(ctx, svcUser)
				require.NoError(t, err)
				assert.False(t, st.EmailVerified)
			})
		})
	}
}
