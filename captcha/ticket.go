package captcha

import (
	"context"
	"fmt"
	"log/slog"
)

// Limits on a ticket's parts, checked before any provider is called: a
// ticket is printable ASCII (Aliyun's is a JSON string, Tencent's a
// URL-safe token), so nothing else can reach the provider.
const (
	MaxTicketLen  = 8192
	MaxRandstrLen = 128
)

// Ticket is what the captcha widget handed the client after a solved
// challenge. It is a single-use bearer proof: the provider accepts it once,
// within minutes.
//
// Ticket's String, GoString and LogValue hide both fields, so a ticket
// printed or logged by mistake shows nothing of its value.
type Ticket struct {
	// Value is Aliyun's captchaVerifyParam, or Tencent's ticket.
	Value string
	// Randstr is Tencent's random string (randstr). Aliyun has none.
	Randstr string
}

// String hides the ticket.
func (Ticket) String() string { return "captcha.Ticket{REDACTED}" }

// GoString hides the ticket from %#v.
func (t Ticket) GoString() string { return t.String() }

// LogValue hides the ticket from log/slog.
func (t Ticket) LogValue() slog.Value { return slog.StringValue(t.String()) }

// check refuses a ticket that no provider could have issued: empty, too
// long, or holding anything but printable ASCII. randstr says whether the
// provider needs Randstr.
func (t Ticket) check(randstr bool) error {
	switch {
	case t.Value == "":
		return fmt.Errorf("%w: empty ticket", ErrRejected)
	case len(t.Value) > MaxTicketLen:
		return fmt.Errorf("%w: ticket longer than %d bytes", ErrRejected, MaxTicketLen)
	case !printable(t.Value):
		return fmt.Errorf("%w: ticket holds bytes outside printable ASCII", ErrRejected)
	case randstr && t.Randstr == "":
		return fmt.Errorf("%w: randstr required", ErrRejected)
	case len(t.Randstr) > MaxRandstrLen:
		return fmt.Errorf("%w: randstr longer than %d bytes", ErrRejected, MaxRandstrLen)
	case !printable(t.Randstr):
		return fmt.Errorf("%w: randstr holds bytes outside printable ASCII", ErrRejected)
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type ticketKey struct{}

// WithTicket returns a copy of ctx carrying t, for the Veto that runs
// inside the Service call made with that context.
func WithTicket(ctx context.Context, t Ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

// TicketFrom returns the ticket ctx carries, and whether it carries one
// with a Value.
func TicketFrom(ctx context.Context) (Ticket, bool) {
	t, _ := ctx.Value(ticketKey{}).(Ticket)
	return t, t.Value != ""
}
