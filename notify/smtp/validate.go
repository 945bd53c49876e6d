package smtp

import (
	"errors"
	netmail "net/mail"
	"strings"
	"unicode"
)

// validAddress accepts one plain address ("alice@example.com"): no display
// name, no CR, LF or other control characters, at most 254 bytes.
func validAddress(a string) error {
	switch {
	case a == "":
		return errors.New("empty address")
	case hasControl(a):
		return errors.New("address contains CR, LF or another control character")
	case len(a) > 254:
		return errors.New("address too long")
	}
	parsed, err := netmail.ParseAddress(a)
	if err != nil || parsed.Name != "" || parsed.Address != a || strings.ContainsAny(a, "<>\" ,;") {
		return errors.New("not a plain email address")
	}
	at := strings.LastIndexByte(a, '@')
	if at < 1 || at == len(a)-1 {
		return errors.New("not a plain email address")
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' })
}
