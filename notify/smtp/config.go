package smtp

import (
	"crypto/tls"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
)

// Security is how the connection to the server is protected.
type Security int

// Security modes. The zero value, StartTLS, is the safe default.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS before
	// anything else; a server without STARTTLS is an error. Port 587.
	StartTLS Security = iota
	// StartTLSOpportunistic upgrades with STARTTLS when the server offers
	// it and otherwise goes on in plain text (credentials are then only
	// sent to localhost). Port 587.
	StartTLSOpportunistic
	// ImplicitTLS speaks TLS from the first byte ("SMTPS"). Port 465.
	ImplicitTLS
	// InsecurePlaintext never uses TLS. For a local development server
	// only (credentials are only sent to localhost). Port 25.
	InsecurePlaintext
)

// String names s as in the README.
func (s Security) String() string {
	switch s {
	case StartTLS:
		return "starttls"
	case StartTLSOpportunistic:
		return "starttls-opportunistic"
	case ImplicitTLS:
		return "implicit-tls"
	case InsecurePlaintext:
		return "insecure-plaintext"
	}
	return "unknown"
}

// AuthMethod is the SASL mechanism used to log in.
type AuthMethod string

// Authentication mechanisms.
const (
	AuthPlain AuthMethod = "PLAIN"
	AuthLogin AuthMethod = "LOGIN"
)

// Config configures a Notifier. Host and From are required; every other
// zero value means the documented default.
type Config struct {
	// Host is the server's name, also used to verify its certificate.
	Host string
	// Port defaults to 587 (StartTLS, StartTLSOpportunistic), 465
	// (ImplicitTLS) or 25 (InsecurePlaintext).
	Port int
	// Security defaults to StartTLS.
	Security Security
	// TLSConfig is cloned; ServerName defaults to Host and MinVersion to
	// TLS 1.2. Set RootCAs to trust a private CA.
	TLSConfig *tls.Config
	// Username and Password log in; no authentication when Username is "".
	Username string
	Password string
	// Auth is the mechanism when Username is set. Default AuthPlain.
	Auth AuthMethod
	// From is the sender, "no-reply@acme.example" or
	// "Acme <no-reply@acme.example>". Its domain names Message-IDs.
	From string
	// HELO is the name given in EHLO. Default: the machine's host name.
	HELO string
	// Timeout bounds the connection and each SMTP command. Default 30s.
	// The Send context can end delivery sooner.
	Timeout time.Duration
	// Now gives the Date header. Default time.Now.
	Now func() time.Time
}

// Renderer turns a Message into its texts; *messages.Renderer is one.
type Renderer interface {
	Render(m security.Message) (messages.Rendered, error)
}

// RendererFunc adapts a function to Renderer.
type RendererFunc func(m security.Message) (messages.Rendered, error)

// Render calls f(m).
func (f RendererFunc) Render(m security.Message) (messages.Rendered, error) { return f(m) }
