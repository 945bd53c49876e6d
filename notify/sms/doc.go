// Package sms delivers [security.Message]s by SMS through Aliyun
// (dysmsapi SendSms, ACS3-HMAC-SHA256), Tencent Cloud (SMS SendSms
// 2021-01-11, TC3-HMAC-SHA256) and Twilio (Programmable Messaging). Each
// client is a small signed HTTP client on the standard library; no vendor
// SDK is pulled in.
//
// Aliyun and Tencent send templates the host has registered and had
// approved: map every purpose to a [Template] (ID and parameter order).
// Twilio sends text, rendered by a func the host provides or by
// [DefaultText].
//
// Errors say what went wrong without the code, the text, the signature or
// a secret: test them with errors.Is against [ErrThrottled],
// [ErrInvalidNumber], [ErrRejected], [ErrAuth], [ErrUnavailable] and
// [ErrNoTemplate], and read the provider's code with errors.As and
// [*ProviderError].
//
// SendSms is not idempotent at any of the three providers: a request that
// may have reached the provider is never retried, so a user never gets two
// codes for one request. Only a request that provably never left (the
// connection could not be established: refused, DNS failure, unreachable)
// is retried, once.
package sms
