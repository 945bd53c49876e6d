package phonenum

import (
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// DefaultRegion is the region Parse uses when defaultRegion is "".
const DefaultRegion = "CN"

// MaxInputBytes is the longest input Parse reads, in bytes before
// normalisation. Real numbers with generous formatting fit in half of it.
const MaxInputBytes = 64

// Limits of E.164 numbers, counting calling code and NSN digits together.
const (
	MinDigits = 8
	MaxDigits = 15
)

// maxScanDigits bounds the digits Parse collects: MaxDigits plus the
// longest international prefix ("0011").
const maxScanDigits = MaxDigits + 4

// ErrInvalid is wrapped by every error Parse returns. The errors never
// contain the input.
var ErrInvalid = errors.New("phonenum: invalid phone number")

// invalidError is an ErrInvalid with the reason.
type invalidError string

func (e invalidError) Error() string { return ErrInvalid.Error() + ": " + string(e) }
func (e invalidError) Unwrap() error { return ErrInvalid }

// Parse normalises raw to E.164 ("+8613800138000") and returns its country
// calling code without "+" ("86"). Numbers written without "+" or an
// international prefix are read as national numbers of defaultRegion (an ISO
// 3166-1 alpha-2 code of the small table, see CallingCode; "" means
// DefaultRegion). Numbers written with "+" or "00" may be of any country
// with an assigned geographic calling code.
//
// Accepted forms, all giving "+8613800138000" with defaultRegion "CN":
// "13800138000", "013800138000" (trunk 0), "86 13800138000",
// "+86 138-0013-8000", "+86 138 0013 8000", "(+86)13800138000",
// "+86(0)13800138000", "008613800138000", "＋８６ １３８００１３８０００".
//
// Refused, with an error wrapping ErrInvalid: empty input, more than
// MaxInputBytes bytes, invalid UTF-8, control characters (NUL, CR, LF, TAB
// ...), letters, any character other than digits, "+", spaces, dashes, dots
// and brackets, a "+" not in front, unbalanced brackets, fewer than
// MinDigits or more than MaxDigits digits, unknown calling codes, and
// numbers that do not fit their region's pattern (in mainland China only
// mobile numbers, 1[3-9] and nine more digits, are valid: landlines cannot
// receive an SMS).
//
// Parse is idempotent: parsing a returned e164 gives it back unchanged.
func Parse(raw, defaultRegion string) (e164, countryCode string, err error) {
	if len(raw) > MaxInputBytes {
		return "", "", invalidError("input too long")
	}
	if !utf8.ValidString(raw) {
		return "", "", invalidError("not valid UTF-8")
	}
	for _, r := range raw {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return "", "", invalidError("control character")
		}
	}
	plus, digits, err := scan(norm.NFKC.String(raw))
	if err != nil {
		return "", "", err
	}
	if plus {
		return international(digits)
	}
	if defaultRegion == "" {
		defaultRegion = DefaultRegion
	}
	reg, ok := regions[upperASCII(defaultRegion)]
	if !ok {
		return "", "", invalidError("unknown default region")
	}
	for _, p := range reg.intl {
		if rest, ok := strings.CutPrefix(digits, p); ok {
			return international(rest)
		}
	}
	if rest, ok := strings.CutPrefix(digits, "00"); ok {
		return international(rest)
	}
	return national(reg, digits)
}

// isDash reports whether r is a dash Parse skips besides "-" (the Unicode
// hyphens and dashes U+2010 to U+2015, which NFKC leaves alone).
func isDash(r rune) bool { return r >= 0x2010 && r <= 0x2015 }

// scan returns whether s starts with "+" and its digits, skipping
// separators and checking that nothing else is there.
func scan(s string) (plus bool, digits string, err error) {
	var b [maxScanDigits]byte
	n, depth := 0, 0
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			if n == len(b) {
				return false, "", invalidError("too many digits")
			}
			b[n] = byte(r)
			n++
		case r == '+':
			if plus || n > 0 {
				return false, "", invalidError("misplaced +")
			}
			plus = true
		case r == ' ' || r == '-' || r == '.' || isDash(r):
		case r == '(':
			if depth++; depth > 1 {
				return false, "", invalidError("nested brackets")
			}
		case r == ')':
			if depth--; depth < 0 {
				return false, "", invalidError("unbalanced brackets")
			}
		default:
			return false, "", invalidError("unexpected character")
		}
	}
	if depth != 0 {
		return false, "", invalidError("unbalanced brackets")
	}
	if n == 0 {
		return false, "", invalidError("no digits")
	}
	return plus, string(b[:n]), nil
}

// international reads digits that follow "+" or an international prefix.
func international(digits string) (string, string, error) {
	code, nsn, ok := splitCallingCode(digits)
	if !ok {
		return "", "", invalidError("unknown country calling code")
	}
	if reg, known := byCode[code]; known {
		// "+44 (0)20 ...", "+86 0138 ...": a trunk 0 after the calling
		// code is a common way of writing; drop one.
		if reg.trunk == "0" {
			nsn = strings.TrimPrefix(nsn, "0")
		}
		if !reg.nsn.MatchString(nsn) {
			return "", "", invalidError("not a valid number for its country")
		}
	}
	return finish(code, nsn)
}

// national reads digits as a national number of reg: an NSN, an NSN after
// the trunk prefix, or (a common way of writing without "+") an NSN after
// the calling code.
func national(reg region, digits string) (string, string, error) {
	nsn := digits
	if reg.trunk != "" {
		nsn = strings.TrimPrefix(nsn, reg.trunk)
	}
	if !reg.nsn.MatchString(nsn) {
		rest, ok := strings.CutPrefix(digits, reg.code)
		if !ok || !reg.nsn.MatchString(rest) {
			return "", "", invalidError("not a valid national number")
		}
		nsn = rest
	}
	return finish(reg.code, nsn)
}

// finish checks the E.164 length and builds the result.
func finish(code, nsn string) (string, string, error) {
	switch n := len(code) + len(nsn); {
	case n < MinDigits:
		return "", "", invalidError("too few digits")
	case n > MaxDigits:
		return "", "", invalidError("too many digits")
	}
	return "+" + code + nsn, code, nil
}
