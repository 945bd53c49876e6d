// Package cloudsign signs requests to the Aliyun and Tencent Cloud APIs
// without a vendor SDK: Aliyun's signature method V3 (ACS3-HMAC-SHA256) and
// Tencent Cloud's TC3-HMAC-SHA256. notify/sms (SendSms) and captcha
// (VerifyIntelligentCaptcha, DescribeCaptchaResult) share it, so each
// algorithm is written once and checked once against the providers'
// documented examples.
//
// The package is internal to github.com/acctsec/security: Go's rule is by
// import path, so the nested modules below the root may import it.
//
// Nothing here logs, and no function returns an error that could carry a
// key: a signature is a pure function of its inputs.
package cloudsign
