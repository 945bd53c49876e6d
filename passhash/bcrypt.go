package passhash

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptScheme reads bcrypt hashes of the $2a$, $2b$ and $2y$ variants
// (they compute the same for passwords up to 72 bytes, which is all bcrypt
// reads), cost 4 to MaxBcryptCost:
//
//	$2b$12$<22 characters of salt><31 characters of hash>
//
// $2x$ (crypt_blowfish's bug-compatible mode) and the original $2$ are
// refused.
type bcryptScheme struct{}

func (bcryptScheme) Name() string { return "bcrypt" }

func (bcryptScheme) Identify(stored string) bool {
	return strings.HasPrefix(stored, "$2a$") || strings.HasPrefix(stored, "$2b$") || strings.HasPrefix(stored, "$2y$")
}

func (b bcryptScheme) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected("bcrypt")
	}
	if err := checkBcrypt(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (bcryptScheme) Verify(stored, password string) (bool, error) {
	if err := checkBcrypt(stored); err != nil {
		return false, err
	}
	// bcrypt reads the first 72 bytes of the password; the systems that
	// wrote these hashes did the same, so a longer password is cut there
	// rather than refused (x/crypto refuses it).
	pw := []byte(password)
	if len(pw) > 72 {
		pw = pw[:72]
	}
	err := bcrypt.CompareHashAndPassword([]byte(stored), pw)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: bcrypt", ErrMalformed)
	}
}

// checkBcrypt checks the shape and cost of a bcrypt hash without running it.
func checkBcrypt(h string) error {
	const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if len(h) != 60 || !(bcryptScheme{}).Identify(h) || h[6] != '$' {
		return fmt.Errorf("%w: bcrypt: not a 60-character bcrypt hash", ErrMalformed)
	}
	cost, ok := parseDecimal(strings.TrimPrefix(h[4:6], "0"), 99)
	if !ok || h[4] < '0' || h[4] > '9' || cost < uint64(bcrypt.MinCost) {
		return fmt.Errorf("%w: bcrypt: bad cost", ErrMalformed)
	}
	if cost > MaxBcryptCost {
		return fmt.Errorf("%w: bcrypt: cost %d (ceiling %d)", ErrTooCostly, cost, MaxBcryptCost)
	}
	for i := 7; i < 60; i++ {
		if strings.IndexByte(alphabet, h[i]) < 0 {
			return fmt.Errorf("%w: bcrypt: bad character", ErrMalformed)
		}
	}
	return nil
}
