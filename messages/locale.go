package messages

import (
	"strconv"
	"strings"
)

// Supported locales.
const (
	LocaleZhCN = "zh-CN"
	LocaleEn   = "en"
)

// maxAcceptLanguage bounds the work MatchLocale does on a hostile header.
const (
	maxAcceptLanguage = 4096
	maxLanguageRanges = 32
)

// NormalizeLocale maps a language tag to a supported locale: any tag whose
// primary language is "zh" ("zh", "zh-CN", "zh-Hans", "zh_CN", "ZH-cn") gives
// LocaleZhCN, any "en" tag ("en", "en-US", "en_GB") gives LocaleEn, and
// anything else (including "") gives def unchanged.
func NormalizeLocale(tag, def string) string {
	if l, ok := supported(tag); ok {
		return l
	}
	return def
}

// supported returns the locale tag belongs to, if any.
func supported(tag string) (string, bool) {
	tag = strings.TrimSpace(tag)
	primary := tag
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		primary = tag[:i]
	}
	switch strings.ToLower(primary) {
	case "zh":
		return LocaleZhCN, true
	case "en":
		return LocaleEn, true
	}
	return "", false
}

// MatchLocale picks the supported locale the client prefers most from an
// HTTP Accept-Language header ("zh-CN,zh;q=0.9,en;q=0.8"), honouring
// q-values (a range with q=0 is never picked; among equal weights the first
// listed wins). It returns def when the header is empty, malformed, or names no
// supported language ("*" alone also gives def). Only the first 4096 bytes
// and 32 ranges are read.
func MatchLocale(acceptLanguage, def string) string {
	if len(acceptLanguage) > maxAcceptLanguage {
		acceptLanguage = acceptLanguage[:maxAcceptLanguage]
	}
	best, bestQ := def, 0.0
	for i, part := range strings.SplitN(acceptLanguage, ",", maxLanguageRanges+1) {
		if i == maxLanguageRanges {
			break
		}
		tag, params, _ := strings.Cut(part, ";")
		q, ok := quality(params)
		if !ok || q <= bestQ { // q=0 is never picked; the first of equals wins
			continue
		}
		if locale, ok := supported(tag); ok {
			best, bestQ = locale, q
		}
	}
	return best
}

// quality parses the parameters after a language range and returns its
// q-value (1 when absent). ok is false when a q parameter is malformed.
func quality(params string) (q float64, ok bool) {
	q = 1
	for _, p := range strings.Split(params, ";") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, value, found := strings.Cut(p, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || v < 0 || v > 1 {
			return 0, false
		}
		q = v
	}
	return q, true
}
