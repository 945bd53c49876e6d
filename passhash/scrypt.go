package passhash

import (
	"fmt"
	"math/bits"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// scryptPHC reads scrypt in passlib's format, which is also the PHC form the
// RustCrypto scrypt crate writes:
//
//	$scrypt$ln=16,r=8,p=1$<salt>$<hash>
//
// where N = 2^ln, and salt and hash are standard base64 without padding
// (the hash, usually 32 bytes, is as long as the derived key).
type scryptPHC struct{}

func (scryptPHC) Name() string { return "scrypt" }

func (scryptPHC) Identify(stored string) bool { return strings.HasPrefix(stored, "$scrypt$") }

func (s scryptPHC) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected("scrypt")
	}
	if _, err := parseScryptPHC(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (scryptPHC) Verify(stored, password string) (bool, error) {
	p, err := parseScryptPHC(stored)
	if err != nil {
		return false, err
	}
	return p.verify(password)
}

// scryptWerkzeug reads the scrypt hashes of Werkzeug (its default since
// 3.1), the salt a text string and the 64-byte key in hex:
//
//	scrypt:32768:8:1$<salt>$<hex>
type scryptWerkzeug struct{}

func (scryptWerkzeug) Name() string { return "werkzeug-scrypt" }

func (scryptWerkzeug) Identify(stored string) bool { return strings.HasPrefix(stored, "scrypt:") }

func (s scryptWerkzeug) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected("werkzeug-scrypt")
	}
	if _, err := parseScryptWerkzeug(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (scryptWerkzeug) Verify(stored, password string) (bool, error) {
	p, err := parseScryptWerkzeug(stored)
	if err != nil {
		return false, err
	}
	return p.verify(password)
}

// scryptHash is a parsed scrypt hash.
type scryptHash struct {
	n, r, p    int
	salt, hash []byte
}

func (h *scryptHash) verify(password string) (bool, error) {
	key, err := scrypt.Key([]byte(password), h.salt, h.n, h.r, h.p, len(h.hash))
	if err != nil {
		return false, fmt.Errorf("%w: scrypt parameters", ErrMalformed)
	}
	return equal(key, h.hash), nil
}

func parseScryptPHC(s string) (*scryptHash, error) {
	f := strings.Split(s, "$")
	if len(f) != 5 || f[0] != "" || f[1] != "scrypt" {
		return nil, fmt.Errorf("%w: scrypt: not parameters, salt and hash", ErrMalformed)
	}
	params := strings.Split(f[2], ",")
	if len(params) != 3 {
		return nil, fmt.Errorf("%w: scrypt: parameters must be ln, r, p", ErrMalformed)
	}
	var v [3]uint64
	for i, key := range []string{"ln=", "r=", "p="} {
		num, ok := strings.CutPrefix(params[i], key)
		n, okN := parseDecimal(num, 1<<32-1)
		if !ok || !okN || n == 0 {
			return nil, fmt.Errorf("%w: scrypt: parameters must be ln, r, p", ErrMalformed)
		}
		v[i] = n
	}
	if v[0] >= 64 {
		return nil, fmt.Errorf("%w: scrypt: ln=%d", ErrTooCostly, v[0])
	}
	salt, err1 := b64.DecodeString(f[3])
	hash, err2 := b64.DecodeString(f[4])
	if err1 != nil || err2 != nil || len(salt) > 1024 || len(hash) < 16 || len(hash) > 128 {
		return nil, fmt.Errorf("%w: scrypt: bad salt or hash encoding or length", ErrMalformed)
	}
	return checkScrypt(1<<v[0], v[1], v[2], salt, hash)
}

func parseScryptWerkzeug(s string) (*scryptHash, error) {
	f := strings.Split(s, "$")
	if len(f) != 3 {
		return nil, fmt.Errorf("%w: werkzeug-scrypt: not method, salt and hash", ErrMalformed)
	}
	m := strings.Split(f[0], ":")
	if len(m) != 4 || m[0] != "scrypt" {
		return nil, fmt.Errorf("%w: werkzeug-scrypt: the method must give N, r and p", ErrMalformed)
	}
	var v [3]uint64
	for i := range v {
		n, ok := parseDecimal(m[i+1], 1<<62)
		if !ok || n == 0 {
			return nil, fmt.Errorf("%w: werkzeug-scrypt: the method must give N, r and p", ErrMalformed)
		}
		v[i] = n
	}
	if f[1] == "" || len(f[1]) > 1024 {
		return nil, fmt.Errorf("%w: werkzeug-scrypt: bad salt", ErrMalformed)
	}
	hash, ok := decodeHex(f[2], 64)
	if !ok {
		return nil, fmt.Errorf("%w: werkzeug-scrypt: hash must be 128 hex digits", ErrMalformed)
	}
	return checkScrypt(v[0], v[1], v[2], []byte(f[1]), hash)
}

// checkScrypt checks N, r and p: N a power of two above 1, and the memory
// and work within the ceilings.
func checkScrypt(n, r, p uint64, salt, hash []byte) (*scryptHash, error) {
	if n < 2 || n&(n-1) != 0 || r == 0 || p == 0 {
		return nil, fmt.Errorf("%w: scrypt: N must be a power of two above 1, r and p positive", ErrMalformed)
	}
	hiMem, mem := bits.Mul64(128*n, r)
	hiWork, nr := bits.Mul64(n, r)
	hiWork2, work := bits.Mul64(nr, p)
	if n > 1<<40 || r > 1<<30 || p > 1<<30 || hiMem != 0 || hiWork != 0 || hiWork2 != 0 ||
		mem > MaxScryptMemory || work > MaxScryptWork {
		return nil, fmt.Errorf("%w: scrypt: N=%d r=%d p=%d (ceilings 128·N·r <= %d bytes, N·r·p <= %d)",
			ErrTooCostly, n, r, p, MaxScryptMemory, MaxScryptWork)
	}
	return &scryptHash{n: int(n), r: int(r), p: int(p), salt: salt, hash: hash}, nil
}
