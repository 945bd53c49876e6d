package httpadapter

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/acctsec/security"
	"github.com/acctsec/security/messages"
)

// DefaultMaxBodyBytes is the default cap on a request body (and, separately,
// on the query string).
const DefaultMaxBodyBytes = 16 << 10

// FlowHeader is the request and response header that carries the
// forgot-password flow handle, for clients that do not keep cookies.
const FlowHeader = "X-Security-Flow"

// Default names of the forgot-password flow cookie. The __Host- prefix makes
// browsers accept the cookie only when it is Secure, set by this host (no
// Domain) for Path=/, so a sibling subdomain or a plain-HTTP response cannot
// plant or overwrite it.
const (
	DefaultFlowCookieName         = "__Host-acctsec_flow"
	DefaultInsecureFlowCookieName = "acctsec_flow"
)

// flowCookieMaxAge is the longest flow lifetime security.Limits allows
// (FlowTTL up to 30 minutes); the Service enforces the configured one.
const flowCookieMaxAge = 30 * 60

// Options configure a Handler. The zero value serves the documented routes
// at the root with no signed-in users.
type Options struct {
	// UserID returns the signed-in user of a request. Without it, or when
	// it returns false or "", member routes answer "401" before reading the
	// body or calling the Service. The acting user only ever comes from
	// here, never from a parameter.
	UserID func(r *http.Request) (userID string, ok bool)

	// TrustedProxies are the networks of reverse proxies whose
	// ClientIPHeader is believed. By default the client IP is the
	// connection's address and every forwarding header is ignored. When the
	// connection comes from a trusted proxy, the right-most address of
	// ClientIPHeader that is not itself trusted is the client.
	TrustedProxies []netip.Prefix

	// ClientIPHeader names the one header the trusted proxies set to the
	// client's address, and the only one read: "X-Forwarded-For" (the
	// default), "X-Real-IP", "CF-Connecting-IP", "X-Client-IP", ... Name the
	// header your proxy writes itself. A proxy that sets X-Real-IP but
	// passes the client's X-Forwarded-For through (nginx with
	// proxy_set_header X-Real-IP $remote_addr and no X-Forwarded-For line)
	// needs "X-Real-IP": with the default, the client would pick its own
	// address. Ignored without TrustedProxies.
	ClientIPHeader string

	// PathPrefix is the part of the request path before the documented
	// routes, e.g. "/api" serves "/api/member/userservice/security". Set it
	// when the router hands the handler the full path: net/http's ServeMux,
	// chi's Mount (which leaves r.URL.Path alone), gin and echo. Leave it
	// empty when an outer handler removes the prefix (http.StripPrefix).
	PathPrefix string

	// AlwaysHTTP200 makes every HTTP status 200, for legacy clients that
	// read only the envelope's code. By default the HTTP status mirrors it.
	AlwaysHTTP200 bool

	// InsecureCookies drops the Secure attribute of the flow cookie, and
	// with it the __Host- prefix of its default name, for development over
	// plain HTTP. Never set it in production.
	InsecureCookies bool

	// FlowCookieName is the name of the forgot-password flow cookie.
	// Default DefaultFlowCookieName ("__Host-acctsec_flow"), or
	// DefaultInsecureFlowCookieName ("acctsec_flow") with InsecureCookies.
	// The cookie always has Path=/ and no Domain, wherever the handler is
	// mounted. Only this name is read: a flow started under another name
	// (the Path=/web/userservice/security "acctsec_flow" of earlier
	// versions) is started again, which costs a user at most one restart
	// within the 30 minutes a flow lives. A name with the __Host- or
	// __Secure- prefix needs Secure, so not with InsecureCookies.
	FlowCookieName string

	// MaxBodyBytes caps the request body and, separately, the query string.
	// Default DefaultMaxBodyBytes (16 KiB). Larger requests answer "413".
	MaxBodyBytes int64

	// IgnoreParams names extra parameters that gateways and middleware add
	// ("sign", "timestamp", "nonce", "csrf_token"): every route, and
	// Handler.Params, accepts and ignores them like "_", instead of
	// answering "400" for an unknown parameter. Names match exactly (case
	// included); "" is skipped; a name a route takes is still read by that
	// route. Ignored parameters still count toward MaxBodyBytes, may be
	// repeated (their values are never read), and must be well-formed
	// (percent-encoding, a JSON string or number, a multipart field).
	IgnoreParams []string

	// DefaultLocale is the locale when Accept-Language names no supported
	// language: "zh-CN", "zh-TW", "zh-HK" or "en" (other tags are
	// normalized with messages.NormalizeLocale). Default "": English
	// response texts, and the Service's Config.DefaultLocale for SMS and
	// email.
	DefaultLocale string

	// Logger receives one record per response: Debug for answers below 500,
	// Error (with the error's text) for 5xx. Parameters, URLs, cookies and
	// flow handles are never logged. Default slog.Default().
	Logger *slog.Logger

	// DeviceToken returns the device token the host keeps for the client of
	// r, if any: the one Service.SignIn (or SignInWithLoginCode) issued when
	// the client last signed in, typically read from a long-lived, HttpOnly,
	// Secure cookie of the host's own. The Service gets it in
	// security.Client.DeviceToken: it tells the owner's devices from
	// strangers, so a stranger's wrong passwords never lock the owner's
	// devices, and the owner's own sends (a forgot-password start from a
	// known device) have a budget strangers cannot spend. Without it every
	// client is a stranger.
	DeviceToken func(r *http.Request) string

	// OnLogin starts the host's session for userID after the SMS login
	// route (POST /web/userservice/security/loginCode) checked the code:
	// set the session cookie on w, or whatever the host's sessions need,
	// with a new session identifier (never one the request brought, so a
	// planted session cannot be fixed onto the user). An error answers "500" internal (logged, never shown). Without it
	// the SMS login routes are not mounted ("404"): checking a code is
	// only half a sign-in, and a client must never be left to treat the
	// user ID in the answer as proof of anything.
	OnLogin func(w http.ResponseWriter, r *http.Request, userID string) error

	// CrossOrigin checks state-changing requests (every route except the
	// status and the email-link GETs, including the GET routes that send
	// an SMS). Default: a fresh http.CrossOriginProtection, which refuses
	// browser requests from other origins using Sec-Fetch-Site and Origin
	// and lets non-browser clients through. Configure one with
	// AddTrustedOrigin to admit a separate front-end origin.
	CrossOrigin *http.CrossOriginProtection
	// DisableCrossOriginProtection turns the check off. Only do so when
	// the host checks origins or CSRF tokens itself: with cookie sessions,
	// any site a signed-in user visits could otherwise drive these routes.
	DisableCrossOriginProtection bool
}

// Handler serves the account-security routes on a Service. It is safe for
// concurrent use.
type Handler struct {
	svc        *security.Service
	userID     func(*http.Request) (string, bool)
	trusted    []netip.Prefix
	ipHeader   string
	prefix     string
	always200  bool
	secure     bool
	cookieName string
	max        int64
	ignore     []string
	locale     string
	log        *slog.Logger
	cop        *http.CrossOriginProtection
	routes     map[string]*resource
	onLogin    func(http.ResponseWriter, *http.Request, string) error
	device     func(*http.Request) string
}

// New returns a Handler serving the routes of the account-security API on
// svc. It panics if svc is nil.
func New(svc *security.Service, opts Options) *Handler {
	if svc == nil {
		panic("httpadapter: nil *security.Service")
	}
	h := &Handler{
		svc:        svc,
		userID:     opts.UserID,
		trusted:    append([]netip.Prefix(nil), opts.TrustedProxies...),
		ipHeader:   http.CanonicalHeaderKey(strings.TrimSpace(opts.ClientIPHeader)),
		prefix:     strings.TrimSuffix(opts.PathPrefix, "/"),
		always200:  opts.AlwaysHTTP200,
		secure:     !opts.InsecureCookies,
		cookieName: opts.FlowCookieName,
		max:        opts.MaxBodyBytes,
		locale:     opts.DefaultLocale,
		log:        opts.Logger,
		cop:        opts.CrossOrigin,
		routes:     routeTable(),
		onLogin:    opts.OnLogin,
		device:     opts.DeviceToken,
	}
	if h.onLogin == nil {
		delete(h.routes, pathLoginCode)
	}
	if h.prefix != "" && h.prefix[0] != '/' {
		h.prefix = "/" + h.prefix
	}
	for i, p := range h.trusted {
		h.trusted[i] = p.Masked()
	}
	if h.ipHeader == "" {
		h.ipHeader = "X-Forwarded-For"
	}
	if h.cookieName == "" {
		h.cookieName = DefaultFlowCookieName
		if !h.secure {
			h.cookieName = DefaultInsecureFlowCookieName
		}
	}
	if h.max <= 0 {
		h.max = DefaultMaxBodyBytes
	}
	for _, name := range opts.IgnoreParams {
		if name != "" {
			h.ignore = append(h.ignore, name)
		}
	}
	if h.locale != "" {
		h.locale = messages.NormalizeLocale(h.locale, "")
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if opts.DisableCrossOriginProtection {
		h.cop = nil
	} else if h.cop == nil {
		h.cop = http.NewCrossOriginProtection()
	}
	return h
}

// call is one request on its way through a route.
type call struct {
	ctx    context.Context
	w      http.ResponseWriter
	r      *http.Request
	userID string
	p      params
	// data, when set, is the raw JSON data of a success (the status route).
	data []byte
	// written is set by an endpoint that wrote its own response (a page).
	written bool
}

// ServeHTTP routes r to its endpoint.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	locale := h.localeOf(r)
	ml := langOf(locale)
	path, ok := h.strip(r.URL.Path)
	res := h.routes[path]
	if !ok || res == nil {
		h.fail(w, r, ml, "", ErrNotFound)
		return
	}
	if res.noReferrer {
		w.Header().Set("Referrer-Policy", "no-referrer")
	}
	ep := res.find(r.Method)
	if ep == nil {
		w.Header().Set("Allow", res.allow)
		h.fail(w, r, ml, "", ErrMethodNotAllowed)
		return
	}
	fail := func(err error) { h.fail(w, r, ml, ep.name, err) }
	if ep.page != nil && ep.page(r) {
		// An HTML page asked for: errors get the page too.
		fail = func(err error) { h.failPage(w, r, ep.name, err) }
	}
	if !ep.safe && h.cop != nil {
		if err := h.crossOriginCheck(r); err != nil {
			fail(errCrossOrigin)
			return
		}
	}
	c := &call{w: w, r: r}
	if ep.member || ep.optionalUser {
		if h.userID != nil {
			if id, ok := h.userID(r); ok && id != "" {
				c.userID = id
			}
		}
		if ep.member && c.userID == "" {
			fail(ErrUnauthenticated)
			return
		}
	}
	c.p.names = ep.names
	if err := h.decode(r, &c.p); err != nil {
		fail(err)
		return
	}
	if err := ep.check(&c.p); err != nil {
		fail(err)
		return
	}
	if err := r.Context().Err(); err != nil {
		// The client is gone or out of time: do no work for it.
		fail(err)
		return
	}
	c.ctx = security.WithClient(r.Context(), h.client(r, locale))
	if err := ep.serve(h, c); err != nil {
		fail(err)
		return
	}
	if c.written {
		h.logResult(r, ep.name, ep.success, "success", nil)
		return
	}
	data := c.data
	if data == nil {
		data = successData
	}
	h.write(w, r, ep.success, "success", data)
	h.logResult(r, ep.name, ep.success, "success", nil)
}

// strip removes the PathPrefix from path.
func (h *Handler) strip(path string) (string, bool) {
	if h.prefix == "" {
		return path, true
	}
	rest, ok := strings.CutPrefix(path, h.prefix)
	if !ok || rest == "" || rest[0] != '/' {
		return "", false
	}
	return rest, true
}

// crossOriginCheck applies the CrossOriginProtection to every endpoint that
// changes state, including the documented GET routes that send an SMS:
// http.CrossOriginProtection lets GET through, so those are checked as if
// they were POSTs.
func (h *Handler) crossOriginCheck(r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return h.cop.Check(r)
	}
	r2 := *r
	r2.Method = http.MethodPost
	return h.cop.Check(&r2)
}

func (h *Handler) decode(r *http.Request, p *params) error {
	var body = r.Body
	if body == http.NoBody {
		body = nil
	}
	p.ignore = h.ignore
	return decodeParams(p, r.URL.RawQuery, r.Header.Get("Content-Type"), r.ContentLength, body, h.max)
}

// localeOf matches the request's Accept-Language to a locale of the
// messages package, falling back to Options.DefaultLocale; "" leaves the
// choice to the Service's Config.DefaultLocale (msg is then English).
func (h *Handler) localeOf(r *http.Request) string {
	al := r.Header.Get("Accept-Language")
	if al == "" {
		return h.locale
	}
	return messages.MatchLocale(al, h.locale)
}

// maxUserAgent bounds the User-Agent handed to the Service.
const maxUserAgent = 256

// client describes the caller of r to the Service; locale is the request's,
// already matched by ServeHTTP.
func (h *Handler) client(r *http.Request, locale string) security.Client {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	c := security.Client{IP: clientIP(r, h.trusted, h.ipHeader), Locale: locale, UserAgent: ua}
	if h.device != nil {
		c.DeviceToken = h.device(r)
	}
	return c
}

// flowHandle returns the flow handle of a forgot-password step: the
// X-Security-Flow header if present, else the flow cookie.
func (h *Handler) flowHandle(r *http.Request) string {
	if v := r.Header.Get(FlowHeader); v != "" {
		return v
	}
	if c, err := r.Cookie(h.cookieName); err == nil {
		return c.Value
	}
	return ""
}

func (h *Handler) flowCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     h.cookieName,
		Value:    value,
		Path:     "/", // required by __Host-, and right under any mount
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

func (h *Handler) logResult(r *http.Request, route, code, key string, err error) {
	ctx := r.Context()
	if err != nil && code >= "500" {
		h.log.LogAttrs(ctx, slog.LevelError, "httpadapter: request failed",
			slog.String("route", route), slog.String("method", r.Method),
			slog.String("code", code), slog.String("data", key), slog.String("error", err.Error()))
		return
	}
	if !h.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	h.log.LogAttrs(ctx, slog.LevelDebug, "httpadapter: request",
		slog.String("route", route), slog.String("method", r.Method),
		slog.String("code", code), slog.String("data", key))
}
