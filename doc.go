// Package security implements the flows of an account-security page for
// Go services: change the login password, send SMS codes, bind a phone,
// set, change, reset and verify a 6-digit pay password (支付密码), a
// two-step forgot-password flow, and email verification by code or link.
//
// A Service runs the flows on a Store (durable accounts plus short-lived
// codes, tickets and counters) and a Notifier (SMS and email delivery). It
// owns the password and PIN hashes (argon2id, the PIN peppered), every
// throttle and lockout, and code hygiene: codes come from crypto/rand, are
// stored only as HMACs bound to their scope and destination, are single use
// and consumed atomically, and die after a few wrong tries.
//
// The package never imports net/http: httpadapter serves the documented
// HTTP API on top of a Service; memstore, pgstore and redisstore are
// stores; notify, notify/smtp and notify/sms are notifiers.
//
// # Contexts
//
// Every method's context bounds the call: its deadline and cancellation
// apply to store calls, to a signed-in send's delivery, and to the wait for
// a hashing slot (ErrBusy). Background deliveries do not inherit them. The
// request's client travels in the context too (WithClient), and each
// method's doc names what it uses of it:
//   - Client.IP: the per-IP throttle of sends and the requester of a
//     signed-out check (without it that throttle is off, or the send is
//     refused under Config.RequireClientIP); copied into events.
//   - Client.Locale: the language of the code, link or notice the call
//     sends (default Config.DefaultLocale).
//   - Client.UserAgent: copied into events.
//   - Client.DeviceToken: a device the account's owner signed in on
//     (SignIn), which keeps the owner's own allowance apart from
//     strangers'.
//
// Errors are sentinels for errors.Is, with *RateLimitError, *LockedError
// and *PolicyError carrying data.
package security
