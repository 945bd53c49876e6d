// Package notify holds generic [security.Notifier] implementations that need
// only the standard library:
//
//   - [Webhook] POSTs each message as signed JSON to a URL the host runs
//     (the host then delivers it however it likes); [VerifyWebhook] checks
//     the signature and timestamp on the receiving side.
//   - [Fallback] tries notifiers in order until one succeeds.
//   - [Router] sends SMS to one notifier and email to another, with
//     optional per-purpose overrides.
//   - [Writer] and [Stdout] print each message as one JSON line, codes
//     included, for development.
//
// Provider clients live in their own modules: notify/sms (Aliyun, Tencent
// Cloud, Twilio) and notify/smtp.
package notify
