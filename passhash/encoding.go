package passhash

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// b64 is the base64 of PHC strings and passlib's scrypt: standard alphabet,
// no padding, no stray bits.
var b64 = base64.RawStdEncoding.Strict()

// b64Pad is standard base64 with padding (Django).
var b64Pad = base64.StdEncoding.Strict()

// b64Salt encodes the salt of the canonical $acctsec-legacy$ and
// $acctsec-onion$ forms: URL alphabet, no padding, so it holds no "$".
var b64Salt = base64.RawURLEncoding.Strict()

// decodeAB64 decodes passlib's "adapted base64": the standard alphabet with
// "." for "+", no padding.
func decodeAB64(s string) ([]byte, bool) {
	if strings.Contains(s, "+") {
		return nil, false
	}
	b, err := b64.DecodeString(strings.ReplaceAll(s, ".", "+"))
	return b, err == nil
}

// decodeHex decodes a hex string of exactly n bytes, in either case.
func decodeHex(s string, n int) ([]byte, bool) {
	if len(s) != 2*n {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// parseDecimal reads a decimal number of at most max, without sign, spaces
// or leading zeros. It reports false for anything else, including a number
// above max, so callers check the ceiling separately when they want
// ErrTooCostly rather than ErrMalformed: they pass a large max here.
func parseDecimal(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= max
}

// equal compares two byte slices in constant time (for equal lengths).
func equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// cryptAlphabet is the base64 alphabet of crypt(3), bcrypt excepted.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// isCryptSalt reports whether s is made of crypt(3) base64 characters only.
// md5crypt and SHA-crypt accept any byte but "$" in a salt; the tools that
// write them draw from this alphabet, and refusing the rest keeps control
// characters and separators out.
func isCryptSalt(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(cryptAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// cryptB64 appends the crypt(3) encoding of the 24-bit group b2 b1 b0,
// low six bits first, n characters long.
func cryptB64(dst []byte, b2, b1, b0 byte, n int) []byte {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for ; n > 0; n-- {
		dst = append(dst, cryptAlphabet[w&0x3f])
		w >>= 6
	}
	return dst
}
