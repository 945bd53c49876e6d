package passhash

import (
	"crypto/md5"
	"fmt"
	"strings"
)

// md5Crypt reads Poul-Henning Kamp's md5crypt ($1$, FreeBSD, glibc,
// `openssl passwd -1`) and Apache's variant of it ($apr1$, htpasswd -m),
// which differs only in the magic string:
//
//	$1$<salt, up to 8>$<22 characters>
//	$apr1$<salt, up to 8>$<22 characters>
//
// Implemented here from PHK's reference (FreeBSD lib/libcrypt/crypt-md5.c)
// and checked against openssl passwd, htpasswd and libxcrypt. The Go
// library for it, github.com/GehirnInc/crypt, has no tagged release and no
// commit since 2023, and registers its schemes in a global table from
// init(); the root module stays on the standard library and x/crypto.
type md5Crypt struct {
	name, magic string
}

func (m md5Crypt) Name() string { return m.name }

func (m md5Crypt) Identify(stored string) bool { return strings.HasPrefix(stored, m.magic) }

func (m md5Crypt) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(m.name)
	}
	if _, _, err := m.parse(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (m md5Crypt) Verify(stored, password string) (bool, error) {
	salt, sum, err := m.parse(stored)
	if err != nil {
		return false, err
	}
	return equal(m.sum(password, salt), []byte(sum)), nil
}

// Peel makes md5crypt a Layered scheme: the parameters are the salt, the
// digest the 22 characters after it.
func (m md5Crypt) Peel(hash, salt string) (params, digest string, err error) {
	if salt != "" {
		return "", "", errSaltNotExpected(m.name)
	}
	return m.parse(hash)
}

func (m md5Crypt) Digest(params, password string) (string, error) {
	if len(params) > 8 || !isCryptSalt(params) {
		return "", fmt.Errorf("%w: %s: bad salt", ErrMalformed, m.name)
	}
	return string(m.sum(password, params)), nil
}

// parse splits a hash into its salt and its 22-character sum.
func (m md5Crypt) parse(s string) (salt, sum string, err error) {
	rest, ok := strings.CutPrefix(s, m.magic)
	salt, sum, ok2 := strings.Cut(rest, "$")
	if !ok || !ok2 || len(salt) > 8 || !isCryptSalt(salt) || len(sum) != 22 || !isCryptSalt(sum) {
		return "", "", fmt.Errorf("%w: %s: not a salt of up to 8 characters and a 22-character sum", ErrMalformed, m.name)
	}
	return salt, sum, nil
}

// sum computes the 22 characters md5crypt stores after the salt.
func (m md5Crypt) sum(password, salt string) []byte {
	pw := []byte(password)

	// The alternate sum: password, salt, password.
	alt := md5.New()
	alt.Write(pw)
	alt.Write([]byte(salt))
	alt.Write(pw)
	altSum := alt.Sum(nil)

	h := md5.New()
	h.Write(pw)
	h.Write([]byte(m.magic))
	h.Write([]byte(salt))
	// As many bytes of the alternate sum as the password is long.
	for n := len(pw); n > 0; n -= 16 {
		h.Write(altSum[:min(n, 16)])
	}
	// For each bit of the length, low bit first: a zero byte for a one,
	// the password's first byte for a zero.
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(pw[:1])
		}
	}
	final := h.Sum(nil)

	// 1000 rounds to slow it down.
	for i := range 1000 {
		r := md5.New()
		if i&1 != 0 {
			r.Write(pw)
		} else {
			r.Write(final)
		}
		if i%3 != 0 {
			r.Write([]byte(salt))
		}
		if i%7 != 0 {
			r.Write(pw)
		}
		if i&1 != 0 {
			r.Write(final)
		} else {
			r.Write(pw)
		}
		final = r.Sum(final[:0])
	}

	out := make([]byte, 0, 22)
	out = cryptB64(out, final[0], final[6], final[12], 4)
	out = cryptB64(out, final[1], final[7], final[13], 4)
	out = cryptB64(out, final[2], final[8], final[14], 4)
	out = cryptB64(out, final[3], final[9], final[15], 4)
	out = cryptB64(out, final[4], final[10], final[5], 4)
	out = cryptB64(out, 0, 0, final[11], 2)
	return out
}
