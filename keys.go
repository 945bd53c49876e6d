package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
)

// mac returns HMAC-SHA-256 keyed by the secret over parts, each
// length-prefixed so that no two part lists share an input.
func (s *Service) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.secret)
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// key derives an opaque store key: kind, then 128 bits of MAC over parts.
// Store keys never hold phone numbers, addresses or user IDs in the clear.
func (s *Service) key(kind string, parts ...string) string {
	return kind + ":" + base64.RawURLEncoding.EncodeToString(s.mac(append([]string{"key", kind}, parts...)...)[:16])
}

// codeMAC is what a store keeps of a code: bound to its scope and
// destination, so a code is worthless outside them.
func (s *Service) codeMAC(scope, dest, code string) []byte {
	return s.mac("code", scope, dest, code)
}

// ticketID is what a store keeps of a flow handle or link token.
func (s *Service) ticketID(kind, handle string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("ticket", kind, handle))
}

// newCode returns a uniformly random decimal code of 6 digits, leading
// zeros kept, by rejection sampling (no modulo bias).
func (s *Service) newCode() (string, error) {
	const space = 1_000_000
	const limit = (1 << 32) / space * space
	var b [4]byte
	for {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return "", fmt.Errorf("security: random source: %w", err)
		}
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return fmt.Sprintf("%06d", v%space), nil
		}
	}
}

// newHandle returns 32 random bytes, base64url-encoded.
func (s *Service) newHandle() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("security: random source: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
