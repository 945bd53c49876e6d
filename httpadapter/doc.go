// Package httpadapter serves the documented account-security HTTP API on a
// [security.Service]. It uses only the standard library, so the Handler
// mounts in net/http, chi, gin (gin.WrapH) and echo (echo.WrapHandler):
//
//	h := httpadapter.New(svc, httpadapter.Options{
//		UserID: func(r *http.Request) (string, bool) { return session.UserID(r) },
//	})
//	mux.Handle("/", h)
//
// # Routes
//
// The documented routes, with their documented parameter names, plus the
// additions marked +:
//
//	GET  /member/userservice/security                    phone                                      "200" send SMS code
//	PUT  /member/userservice/security                    oldPassword, newPasswordFirst, +newPasswordSecond  "201" change password
//	PUT  /member/userservice/security/bindingPhone       message, phone, +oldMessage                "201" bind or change phone
//	PUT  /member/userservice/security/payPassword        payPasswordFirst, +payPasswordSecond       "201" set pay password
//	PUT  /member/userservice/security/resetPayPassword   phone, +message, +payPasswordFirst, +payPasswordSecond "201"
//	PUT  /member/userservice/security/updatePayPassword  oldPassword (the old PIN), payPasswordFirst, +payPasswordSecond "201"
//	+GET /member/userservice/security/status             -                                          "200", data: the status object
//	+GET /web/userservice/security                       phone                                      "200" forgot password: start
//	POST /web/userservice/security                       message                                    "201" forgot password: step 1
//	PUT  /web/userservice/security                       phone, passwordFirst, +passwordSecond      "201" forgot password: step 2
//	POST /web/userservice/security/sendMail              email                                      "200"
//	+GET /web/userservice/security/verifyMail            token                                      the email link: a confirmation page, or "200"
//	+POST /web/userservice/security/verifyMail           +token, or email and message               "201" the link's token, or the email code
//	+PUT /member/userservice/security/setPassword        phone, message, passwordFirst, +passwordSecond "201" first password
//	+GET /web/userservice/security/loginCode             phone                                      "200" SMS login: send (with OnLogin)
//	+POST /web/userservice/security/loginCode            phone, message                             "201" SMS login, data: {"userId": ...}
//
// setPassword gives an account created without a password (an SMS or
// WeChat sign-up) its first one, proved by the code the send route sent to
// the bound phone; the change route answers "409" password_not_set for
// such an account. The SMS login routes exist only when Options.OnLogin is
// set: the POST calls it with the user the code signed in, and the host
// starts its session there. Like the forgot-password start, the send
// answers "200" whether or not an account has the phone.
//
// Member routes act for the user Options.UserID returns and answer "401"
// without one, before the body is read or the Service called; the acting
// user never comes from a parameter. sendMail and the verifyMail POST are
// public, but pass the signed-in user when there is one, so that verifying
// binds the address to that user (a code belongs to the address and the
// account it verifies for, so it works signed in or out for that account's
// user; a link requested signed in must be confirmed by that user, signed
// in: posted signed out it answers "401" and stays usable).
// resetPayPassword needs the SMS code sent to the bound phone (GET
// /member/userservice/security with that phone) and the new PIN,
// payPasswordFirst, in the same call: without proof of the phone a stolen
// session could reset the PIN, and a reset that only cleared it would let
// a stolen session set its own right after.
// bindingPhone binds a first phone with message, the code sent to it; to
// change a bound phone it also needs oldMessage, a code sent to the phone
// bound now, so a stolen session cannot move the account to another phone.
// A *Second parameter, where given, must equal its first.
//
// The forgot-password start hands the flow handle back twice: as the
// HttpOnly, SameSite=Lax cookie "__Host-acctsec_flow" (Secure, Path=/, no
// Domain; "acctsec_flow", still Path=/, with Options.InsecureCookies;
// Max-Age 30 minutes, the longest flow the Service allows; the Service
// enforces the configured lifetime) and in the X-Security-Flow response
// header. Steps 1 and 2 take the X-Security-Flow request header when
// present, else the cookie. A successful step 1 replaces the handle (a new
// cookie and X-Security-Flow) and voids the old one, so a handle planted in
// a browser or copied from it cannot finish the flow: header clients must
// send step 2 the handle step 1 returned. A successful step 2 clears the
// cookie. The start answers "200" identically, apart from the random
// handle, whether or not an account has the phone; sendMail likewise.
//
// The emailed link changes nothing when opened, because mail scanners and
// link previews open every link. Its GET (and HEAD) answers a small page
// in the request's language (text/html, inline style only, a strict
// Content-Security-Policy, X-Frame-Options: DENY, Cache-Control: no-store)
// that says what confirming does and what to do if the reader did not ask
// for it, with a form that POSTs the token, in a hidden field, to the same
// path. A client whose Accept names application/json and not text/html
// gets "200" instead, and POSTs the token itself. The GET neither checks
// nor spends the token, and reads no state. The POST takes token, or email
// and message, never both; it passes the cross-origin check like every
// state-changing route (the page's own form is same-origin), and when it
// comes from the page's form (a urlencoded body, Accept naming text/html)
// it answers a result page instead of the envelope. Responses on the
// verifyMail path carry Referrer-Policy: no-referrer, so the token in the
// link does not leak to other sites.
//
// # Parameters
//
// Parameters are read from the query string and from the body, which may
// be application/x-www-form-urlencoded, multipart/form-data (fields only) or
// a JSON object whose values are strings or numbers (a number is taken as
// its literal text, so {"payPasswordFirst":123456} works; nested values,
// true, false and null are refused). A body of another type, or any body
// without a Content-Type, is refused. A parameter given twice, in one place
// or in both the query and the body, and a parameter the route does not
// take, answer "400" invalid_argument: a client cannot smuggle a field in.
// The msg of an unknown parameter names it (Unknown parameter: "sign"),
// when the name is plain ASCII of at most 64 bytes. "_" is accepted
// everywhere and ignored (a cache-buster), and so are the names in
// Options.IgnoreParams, for what gateways and CSRF middleware add ("sign",
// "timestamp", "nonce"): matched exactly, still counted in the size cap,
// allowed to repeat since their values are never read. Values are used
// exactly as sent, never trimmed; they must be valid UTF-8. Bodies over
// Options.MaxBodyBytes (default 16 KiB), and query strings over the same
// size, answer "413" before anything is hashed or stored.
//
// # Responses
//
// Every response but the email link's pages, success or error, 404 and 405
// included, is application/json; charset=utf-8 with Cache-Control: no-store and
// X-Content-Type-Options: nosniff, and its body is exactly
// {"code":"<string>","msg":"<string>","data":...}. The HTTP status equals
// the code unless Options.AlwaysHTTP200. A success has the documented code,
// msg "success" and data "success" (the status route: the status object).
// An error has a stable data key and a human msg in the language
// Accept-Language prefers (q-values honoured): Traditional Chinese for
// zh-TW and zh-Hant, with Hong Kong wording for zh-HK and zh-MO,
// Simplified Chinese for any other zh tag, English otherwise
// (Options.DefaultLocale applies when it names none of them):
//
//	"400" invalid_argument      missing, malformed, unknown or repeated parameter; bad JSON; unsupported body type; mismatched confirmation
//	"400" invalid_phone / invalid_email
//	"400" invalid_code          wrong, expired, used or voided code or token
//	"401" unauthenticated       member route without a signed-in user; an email link a signed-in user asked for, confirmed signed out
//	"403" wrong_password / wrong_pay_password
//	"403" phone_mismatch        not the account's bound phone, or the account has no bound phone
//	"403" phone_proof_required  (addition) changing a bound phone without oldMessage, the code sent to the phone bound now
//	"403" send_refused          (addition) Config.SendVeto refused the send with an error wrapping security.ErrSendRefused
//	"403" flow_required         forgot step 1 or 2 without the flow, or step 2 before step 1
//	"403" no_account            (addition) a signed-in user without a security record: the host never called CreateAccount
//	"403" cross_origin          (addition) a browser request from another origin (see below)
//	"404" not_found / "405" method_not_allowed (with Allow)
//	"409" phone_taken / email_taken / pay_password_set / pay_password_not_set
//	"409" account_exists        (addition, host routes only) the user already has a record
//	"409" password_set / password_not_set (addition) setPassword when a password exists / the change route without one
//	"413" body_too_large
//	"422" weak_password / weak_pay_password (msg says why)
//	"423" locked                msg says until when, or until a reset
//	"429" rate_limited          with Retry-After in whole seconds, rounded up
//	"429" too_many_attempts     the code was voided by too many wrong tries
//	"502" delivery_failed       the Notifier failed (member routes; public routes send in the background)
//	"503" unavailable           (addition) no hashing slot before the deadline, delivery queue full, Service closed, request cancelled
//	"500" internal              anything else; the error's text is logged, never sent
//
// A Config.SendVeto error is answered by this table too: wrap
// security.ErrSendRefused to refuse a send with "403" send_refused (a
// captcha to solve), security.ErrRateLimited (or return a
// *security.RateLimitError) for "429"; any other error answers "500".
//
// Give every request a deadline with Timeout, e.g.
// httpadapter.Timeout(10*time.Second)(h): a request that cannot get a
// hashing slot, or whose store call hangs, then answers "503" unavailable
// when its time is up instead of waiting as long as the client does.
//
// # Client metadata
//
// Each request's context carries a [security.Client] (security.WithClient):
// the client IP for the per-IP throttle, the locale (from Accept-Language,
// so SMS and email go out in the user's language) and the User-Agent. The
// IP is the connection's address. Only when that address is in
// Options.TrustedProxies is one forwarding header read,
// Options.ClientIPHeader (default X-Forwarded-For), and then its right-most
// entry that is not a trusted proxy is the client, so a client cannot
// choose its own throttle bucket. Name the header your proxy sets: behind
// an nginx that sets X-Real-IP and passes X-Forwarded-For through, the
// default would believe the client's own X-Forwarded-For.
//
// # Cross-origin requests
//
// The flow cookie, and the host's own session cookie, are sent by browsers
// on requests other sites trigger. So every state-changing endpoint, the
// GET routes that send an SMS included, passes an
// [http.CrossOriginProtection] check (Sec-Fetch-Site, then Origin against
// Host); refused requests answer "403" cross_origin. Requests without those
// headers (curl, server-to-server, old browsers on same-origin requests)
// pass. Only the status read and the email link's GET (opened from a mail
// client, so cross-site by nature, and changing nothing) skip it. Options.CrossOrigin admits
// other origins; Options.DisableCrossOriginProtection turns it off for
// hosts that protect themselves.
//
// # Logging
//
// One record per response to Options.Logger: route name, method, code and
// data key; 5xx records add the error's text. Parameters, URLs and query
// strings, cookies, headers and flow handles are never logged.
package httpadapter
