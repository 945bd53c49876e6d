package cloudsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// HexSHA256 is the lower-case hex SHA-256 of b, the payload hash both
// algorithms use.
func HexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
