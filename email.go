package security

import (
	"fmt"
	"net/mail"
	"strings"
)

// NormalizeEmail trims raw, checks it is one plain address (no display
// name, no comments, no CR or LF, at most 254 bytes) and returns it with
// ASCII letters lower-cased, the form every lookup and throttle uses. Only
// ASCII is folded, so look-alike Unicode never matches another address.
func NormalizeEmail(raw string) (string, error) {
	a := strings.TrimSpace(raw)
	if a == "" || len(a) > 254 || strings.ContainsAny(a, "\r\n\x00<>\"(),;: \t\\") {
		return "", fmt.Errorf("%w", ErrInvalidEmail)
	}
	parsed, err := mail.ParseAddress(a)
	if err != nil || parsed.Name != "" || parsed.Address != a {
		return "", fmt.Errorf("%w", ErrInvalidEmail)
	}
	at := strings.LastIndexByte(a, '@')
	if at < 1 || at == len(a)-1 || at > 64 || !strings.Contains(a[at+1:], ".") ||
		strings.HasPrefix(a[at+1:], ".") || strings.HasSuffix(a, ".") || strings.Contains(a[at+1:], "..") {
		return "", fmt.Errorf("%w", ErrInvalidEmail)
	}
	return asciiLower(a), nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
