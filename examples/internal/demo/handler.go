package demo

import (
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// Options are what the examples vary in the handler.
type Options struct {
	// Logger receives the adapter's records (default slog.Default()).
	Logger *slog.Logger
	// TrustedProxies and ClientIPHeader are passed to the adapter.
	TrustedProxies []netip.Prefix
	// UserID names the member of a request (default MemberID).
	UserID func(*http.Request) (string, bool)
	// Routes, when set, adds an example's own routes to the mux, with the
	// adapter for their parameters and answers.
	Routes func(mux *http.ServeMux, ad *httpadapter.Handler)
	// ClientIPHeader names the one header the trusted proxies set.
	ClientIPHeader string
}

// NewHandler returns the examples' routes on svc: POST /demo/register,
// behind cross-origin protection, opts.Routes, and every route of an
// httpadapter whose members are named by opts.UserID (default MemberID) and
// whose flow cookie works over plain HTTP.
func NewHandler(svc *security.Service, opts Options) http.Handler {
	userID := opts.UserID
	if userID == nil {
		userID = MemberID
	}
	ad := httpadapter.New(svc, httpadapter.Options{
		UserID:          userID,
		TrustedProxies:  opts.TrustedProxies,
		ClientIPHeader:  opts.ClientIPHeader,
		InsecureCookies: true,
		Logger:          opts.Logger,
	})
	mux := http.NewServeMux()
	mux.Handle("/demo/register", http.NewCrossOriginProtection().Handler(register(svc, ad)))
	if opts.Routes != nil {
		opts.Routes(mux, ad)
	}
	mux.Handle("/", ad)
	return mux
}

// MemberID trusts the X-User-ID header. DEMO ONLY: a real host reads its
// session here.
func MemberID(r *http.Request) (string, bool) {
	id := r.Header.Get("X-User-ID")
	return id, id != ""
}

// register serves POST /demo/register (userId, password, optional phone
// and email): it creates the security record and answers "201", through
// ad's envelope. DEMO ONLY: a real host creates the record in its own
// sign-up.
func register(svc *security.Service, ad *httpadapter.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			ad.WriteError(w, r, httpadapter.ErrMethodNotAllowed)
			return
		}
		p, err := ad.Params(r, "userId", "password", "phone", "email")
		if err != nil {
			ad.WriteError(w, r, err)
			return
		}
		for _, name := range []string{"userId", "password"} {
			if p[name] == "" {
				ad.WriteError(w, r, httpadapter.MissingParam(name))
				return
			}
		}
		err = svc.CreateAccount(r.Context(), security.NewAccount{
			UserID: p["userId"], Password: p["password"], Phone: p["phone"], Email: p["email"],
		})
		if err != nil {
			ad.WriteError(w, r, err)
			return
		}
		ad.WriteSuccess(w, r, "201")
	})
}
