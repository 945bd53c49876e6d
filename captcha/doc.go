// Package captcha checks a captcha ticket with Aliyun Captcha 2.0 or
// Tencent Cloud Captcha before a code is sent, as a Config.SendVeto of the
// acctsec Service. Chinese hosts put a captcha in front of every SMS send:
// without one, anybody can make the service send (and pay for) SMS to any
// number, a practice called SMS bombing (短信轰炸).
//
// Three pieces:
//
//   - a Verifier per provider: NewAliyun (VerifyIntelligentCaptcha) and
//     NewTencent (DescribeCaptchaResult), on the standard library, signed
//     with the same code as notify/sms;
//   - the ticket's way to the veto: WithTicket puts it in the request's
//     context, and FromRequest is an http middleware that reads it from
//     request headers (X-Captcha-Ticket, X-Captcha-Randstr);
//   - Veto, which turns a Verifier into the func(ctx, SendRequest) error
//     that security.Config.SendVeto takes.
//
// A missing or failed ticket refuses the send with an error wrapping
// security.ErrSendRefused (httpadapter answers "403" send_refused). A
// provider that cannot be reached refuses it too, unless Options.FailOpen
// is set. Tickets, keys and the provider's message text never appear in an
// error or a log.
package captcha
