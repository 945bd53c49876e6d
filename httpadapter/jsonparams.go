package httpadapter

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSONObject reads a body that must be exactly one JSON object whose
// values are strings or numbers (a number is taken as its literal text,
// "123456" and 123456 are the same PIN). Nested objects and arrays, true,
// false and null, invalid UTF-8, lone surrogates, and anything after the
// object are malformed. Keys are unescaped before they are matched, so a
// duplicate cannot hide behind an escape.
func parseJSONObject(p *params, b []byte) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return malformed()
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return jsonEnd(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return malformed()
		}
		key, next, ok := jsonString(b, i)
		if !ok {
			return malformed()
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return malformed()
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return malformed()
		}
		var val string
		switch c := b[i]; {
		case c == '"':
			val, next, ok = jsonString(b, i)
		case c == '-' || ('0' <= c && c <= '9'):
			if next, ok = jsonNumber(b, i); ok {
				val = string(b[i:next])
			}
		default:
			return malformed()
		}
		if !ok {
			return malformed()
		}
		if err := p.set(key, val); err != nil {
			return err
		}
		i = skipSpace(b, next)
		if i >= len(b) {
			return malformed()
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return jsonEnd(b, i+1)
		default:
			return malformed()
		}
	}
}

// malformed is the error of a body that is not a flat JSON object. It is
// built only on failure, so a well-formed body allocates no error.
func malformed() error { return &argError{kind: argMalformed} }

// jsonEnd accepts only whitespace after the object.
func jsonEnd(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return malformed()
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// jsonString decodes the string starting at b[i] == '"'. It returns the
// value and the index after the closing quote.
func jsonString(b []byte, i int) (string, int, bool) {
	i++
	start := i
	// Fast path: no escapes, plain UTF-8.
	for i < len(b) {
		c := b[i]
		if c == '"' {
			if !utf8.Valid(b[start:i]) {
				return "", 0, false
			}
			return string(b[start:i]), i + 1, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
		i++
	}
	var sb strings.Builder
	sb.Grow(i - start + 16)
	sb.Write(b[start:i])
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s := sb.String()
			if !utf8.ValidString(s) {
				return "", 0, false
			}
			return s, i + 1, true
		case c < 0x20:
			return "", 0, false
		case c != '\\':
			sb.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return "", 0, false
		}
		switch b[i+1] {
		case '"', '\\', '/':
			sb.WriteByte(b[i+1])
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := hex4(b, i+2)
			if !ok {
				return "", 0, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || i+1 >= len(b) || b[i] != '\\' || b[i+1] != 'u' {
					return "", 0, false
				}
				r2, ok := hex4(b, i+2)
				if !ok {
					return "", 0, false
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", 0, false
				}
				i += 6
			}
			sb.WriteRune(r)
			continue
		default:
			return "", 0, false
		}
		i += 2
	}
	return "", 0, false
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// jsonNumber checks the JSON number grammar from b[i] and returns the index
// after it.
func jsonNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return 0, false
		}
	}
	return i, true
}
