// Package smtp is a security.Notifier that delivers email over SMTP with
// github.com/wneessen/go-mail: STARTTLS (required by default, or
// opportunistic), implicit TLS, or plaintext for local development; PLAIN or
// LOGIN authentication; timeouts and context cancellation; multipart text
// and HTML bodies rendered by package messages.
//
// Recipient, sender and subject are checked for CR, LF and other control
// characters before anything is sent. Errors wrap ErrInvalidMessage,
// ErrAuth, ErrConnection or ErrRejected, and security.ErrDeliveryFailed;
// they never contain the code, the link or the full recipient address.
package smtp
