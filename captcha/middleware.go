package captcha

import "net/http"

// Default request headers FromRequest reads.
const (
	DefaultTicketHeader  = "X-Captcha-Ticket"
	DefaultRandstrHeader = "X-Captcha-Randstr"
)

// Headers names the request headers that carry a ticket. Zero fields mean
// the defaults.
type Headers struct {
	// Ticket carries Ticket.Value (Aliyun's captchaVerifyParam, Tencent's
	// ticket). Default DefaultTicketHeader.
	Ticket string
	// Randstr carries Tencent's Ticket.Randstr. Default
	// DefaultRandstrHeader.
	Randstr string
}

// FromRequest returns a middleware that moves a ticket from the request's
// headers into its context (WithTicket), for the Veto run by the Service
// call the wrapped handler makes. Mount it around httpadapter's handler;
// the adapter needs no change.
//
// Headers, not parameters, carry the ticket because httpadapter answers
// "400" to any parameter a route does not take, and the send routes' are
// fixed by the legacy API. A browser client sends them with fetch or XHR;
// a cross-origin front end must list them in its CORS
// Access-Control-Allow-Headers.
//
// A header given more than once carries no ticket (the send is then
// refused as without one). The headers are removed from the request the
// wrapped handler sees, so that nothing downstream logs them.
func FromRequest(h Headers) func(http.Handler) http.Handler {
	if h.Ticket == "" {
		h.Ticket = DefaultTicketHeader
	}
	if h.Randstr == "" {
		h.Randstr = DefaultRandstrHeader
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tv, rv := r.Header.Values(h.Ticket), r.Header.Values(h.Randstr)
			if len(tv) == 0 && len(rv) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			if len(tv) == 1 && len(rv) <= 1 {
				t := Ticket{Value: tv[0]}
				if len(rv) == 1 {
					t.Randstr = rv[0]
				}
				ctx = WithTicket(ctx, t)
			}
			r = r.WithContext(ctx)
			r.Header = r.Header.Clone()
			r.Header.Del(h.Ticket)
			r.Header.Del(h.Randstr)
			next.ServeHTTP(w, r)
		})
	}
}
