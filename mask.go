package security

import (
	"strings"
	"unicode/utf8"
)

// Mask hides most of a phone number or email address for logs and status
// pages: "+8613800138000" becomes "+86138****8000", "alice@example.com"
// becomes "a***@example.com". Anything else keeps only its first rune.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	if at := strings.LastIndexByte(s, '@'); at > 0 {
		r, _ := utf8.DecodeRuneInString(s)
		return string(r) + "***" + s[at:]
	}
	if strings.HasPrefix(s, "+") && len(s) >= 9 {
		digits := s[1:]
		tail := 4
		head := len(digits) - 8
		if strings.HasPrefix(digits, "86") && len(digits) == 13 {
			head = 5 // +86 138****8000
		}
		if head < 1 {
			head = 1
		}
		return "+" + digits[:head] + strings.Repeat("*", len(digits)-head-tail) + digits[len(digits)-tail:]
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "***"
}
