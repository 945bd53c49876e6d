package messages

import (
	"strconv"
	"strings"
)

// Supported locales.
const (
	// LocaleZhCN is Simplified Chinese, as written in mainland China.
	LocaleZhCN = "zh-CN"
	// LocaleZhTW is Traditional Chinese with Taiwan usage (簡訊, 帳戶, 手機).
	LocaleZhTW = "zh-TW"
	// LocaleZhHK is Traditional Chinese with Hong Kong usage (短訊, 賬戶,
	// 手提電話, 電郵).
	LocaleZhHK = "zh-HK"
	LocaleEn   = "en"
)

// Locales returns every supported locale, in the order the README lists
// them.
func Locales() []string {
	return []string{LocaleZhCN, LocaleZhTW, LocaleZhHK, LocaleEn}
}

// maxAcceptLanguage bounds the work MatchLocale does on a hostile header.
const (
	maxAcceptLanguage = 4096
	maxLanguageRanges = 32
)

// NormalizeLocale maps a language tag to a supported locale, and anything
// else (including "") to def unchanged. Subtags may be separated by "-" or
// "_" and in any case. Any "en" tag ("en", "en-US", "en_GB") gives LocaleEn.
// A "zh" tag gives Traditional Chinese when it asks for the Hant script or a
// region that writes it: "zh-Hant", "zh-TW" and "zh-Hant-TW" give LocaleZhTW,
// "zh-HK", "zh-MO", "zh-Hant-HK" and "zh-Hant-MO" give LocaleZhHK. Every
// other "zh" tag ("zh", "zh-CN", "zh-SG", "zh-Hans", "zh-Hans-HK") gives
// LocaleZhCN: an explicit Hans script wins over the region.
func NormalizeLocale(tag, def string) string {
	if l, ok := supported(tag); ok {
		return l
	}
	return def
}

// supported returns the locale tag belongs to, if any.
func supported(tag string) (string, bool) {
	tag = strings.TrimSpace(tag)
	primary, rest, _ := cutSubtag(tag)
	switch strings.ToLower(primary) {
	case "en":
		return LocaleEn, true
	case "zh":
		return chinese(rest), true
	}
	return "", false
}

// chinese picks the Chinese locale from the subtags after "zh": the first
// script subtag (four letters) and the first region subtag (two letters).
func chinese(subtags string) string {
	var script, region string
	for subtags != "" {
		var s string
		s, subtags, _ = cutSubtag(subtags)
		switch {
		case len(s) == 4 && script == "" && region == "":
			script = strings.ToLower(s)
		case len(s) == 2 && region == "":
			region = strings.ToUpper(s)
		}
	}
	hk := region == "HK" || region == "MO"
	switch {
	case script == "hans":
		return LocaleZhCN
	case hk:
		return LocaleZhHK
	case script == "hant" || region == "TW":
		return LocaleZhTW
	}
	return LocaleZhCN
}

// cutSubtag splits tag at its first "-" or "_".
func cutSubtag(tag string) (first, rest string, found bool) {
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		return tag[:i], tag[i+1:], true
	}
	return tag, "", false
}

// MatchLocale picks the supported locale the client prefers most from an
// HTTP Accept-Language header ("zh-CN,zh;q=0.9,en;q=0.8", or
// "zh-TW,zh;q=0.9" which gives LocaleZhTW: see NormalizeLocale), honouring
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
