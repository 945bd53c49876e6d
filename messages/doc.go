// Package messages renders the texts of security.Message values: the SMS
// text, and the email subject, plain-text body and HTML body, in Simplified
// Chinese (zh-CN), Traditional Chinese as written in Taiwan (zh-TW) and in
// Hong Kong (zh-HK), and English (en).
//
// Every default text names the product asking (Options.AppName), says how
// long a code stays valid and that nobody, staff included, will ever ask for
// it. Codes and links never appear in a subject: subjects are rendered from
// data that holds neither. Security notices say what changed, when, and what
// to do if it was not the account holder; they carry no code or link.
//
// Hosts replace any text with their own text/template (SMS, subject, text)
// or html/template (HTML) source through Options.Overrides. New parses and
// trial-renders every template, so a broken override, or one that drops the
// code, fails at start-up rather than when a user waits for a code.
//
// MatchLocale picks the locale from an Accept-Language header. zh-HK differs
// from zh-TW where Hong Kong usage does (短訊, 賬戶, 手提電話, 電郵), not only
// in characters.
package messages
