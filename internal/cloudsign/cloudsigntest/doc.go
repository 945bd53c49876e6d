// Package cloudsigntest checks signatures the way the providers do, for
// the test servers that stand in for Aliyun and Tencent Cloud in the tests
// of notify/sms and captcha.
//
// VerifyACS3 and VerifyTC3 rebuild the canonical request from what a
// server received, following each provider's document, with code of their
// own (url.QueryEscape-based encoding, no call into cloudsign), so a
// mistake in the signer is not repeated by its check.
package cloudsigntest
