// Package security implements the flows of an account-security page for
// Go services: change the login password, send SMS codes, bind a phone,
// set, update, reset and verify a 6-digit pay password (支付密码), a
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
// Client metadata (IP for the per-IP throttle, locale for messages) travels
// in the context: see WithClient. Errors are sentinels for errors.Is, with
// *RateLimitError, *LockedError and *PolicyError carrying data.
package security
