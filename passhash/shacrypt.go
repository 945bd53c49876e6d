package passhash

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// shaCrypt reads Ulrich Drepper's SHA-crypt, as glibc, `openssl passwd -5`
// and `-6`, and passlib write it:
//
//	$5$<salt, up to 16>$<43 characters>
//	$6$rounds=656000$<salt, up to 16>$<86 characters>
//
// Without "rounds=" the rounds are 5000. Rounds below 1000 are refused as
// malformed: the tools clamp them to 1000 and write the clamped value.
// Implemented here from the specification
// (https://www.akkadia.org/drepper/SHA-crypt.txt).
type shaCrypt struct {
	name, magic string
	newHash     func() hash.Hash
	// order lists the bytes of the final sum in the order the spec
	// encodes them, three at a time.
	order []byte
}

var sha256Crypt = shaCrypt{
	name: "sha256-crypt", magic: "$5$", newHash: sha256.New,
	order: []byte{
		0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14,
		15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29,
	},
}

var sha512Crypt = shaCrypt{
	name: "sha512-crypt", magic: "$6$", newHash: sha512.New,
	order: []byte{
		0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4,
		47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51,
		31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35,
		15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19,
		62, 20, 41,
	},
}

func (c shaCrypt) Name() string { return c.name }

func (c shaCrypt) Identify(stored string) bool { return strings.HasPrefix(stored, c.magic) }

func (c shaCrypt) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(c.name)
	}
	if _, _, _, err := c.parse(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (c shaCrypt) Verify(stored, password string) (bool, error) {
	rounds, salt, sum, err := c.parse(stored)
	if err != nil {
		return false, err
	}
	return equal(c.sum(password, salt, rounds), []byte(sum)), nil
}

// sumLen is the length of the encoded sum: 43 or 86 characters.
func (c shaCrypt) sumLen() int { return (c.newHash().Size()*8 + 5) / 6 }

// parse reads the rounds, salt and encoded sum of a hash.
func (c shaCrypt) parse(s string) (rounds int, salt, sum string, err error) {
	bad := fmt.Errorf("%w: %s: not optional rounds, a salt of up to 16 characters and the sum", ErrMalformed, c.name)
	rest, ok := strings.CutPrefix(s, c.magic)
	if !ok {
		return 0, "", "", bad
	}
	rounds = 5000
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, ok := strings.Cut(r, "$")
		n, okN := parseDecimal(num, 999_999_999)
		if !ok || !okN || n < 1000 {
			return 0, "", "", bad
		}
		if n > MaxShaCryptRounds {
			return 0, "", "", fmt.Errorf("%w: %s: %d rounds (ceiling %d)", ErrTooCostly, c.name, n, MaxShaCryptRounds)
		}
		rounds, rest = int(n), after
	}
	salt, sum, ok = strings.Cut(rest, "$")
	if !ok || len(salt) > 16 || !isCryptSalt(salt) || len(sum) != c.sumLen() || !isCryptSalt(sum) {
		return 0, "", "", bad
	}
	return rounds, salt, sum, nil
}

// sum computes the encoded sum, following the numbered steps of the spec.
func (c shaCrypt) sum(password, salt string, rounds int) []byte {
	pw, sl := []byte(password), []byte(salt)
	size := c.newHash().Size()

	// Steps 4-8: digest B of password, salt, password.
	b := c.newHash()
	b.Write(pw)
	b.Write(sl)
	b.Write(pw)
	sumB := b.Sum(nil)

	// Steps 1-3, 9-12: digest A.
	a := c.newHash()
	a.Write(pw)
	a.Write(sl)
	for n := len(pw); n > 0; n -= size {
		a.Write(sumB[:min(n, size)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(sumB)
		} else {
			a.Write(pw)
		}
	}
	sumA := a.Sum(nil)

	// Steps 13-16: byte sequence P, from the password repeated.
	dp := c.newHash()
	for range len(pw) {
		dp.Write(pw)
	}
	p := repeatTo(dp.Sum(nil), len(pw))

	// Steps 17-20: byte sequence S, from the salt repeated 16 + A[0] times.
	ds := c.newHash()
	for range 16 + int(sumA[0]) {
		ds.Write(sl)
	}
	s := repeatTo(ds.Sum(nil), len(sl))

	// Step 21: the rounds.
	sumC := sumA
	for i := range rounds {
		h := c.newHash()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(sumC)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(sumC)
		} else {
			h.Write(p)
		}
		sumC = h.Sum(sumC[:0])
	}

	// Step 22: encode, three bytes at a time, then the remainder.
	out := make([]byte, 0, c.sumLen())
	o := c.order
	for i := 0; i+2 < len(o); i += 3 {
		out = cryptB64(out, sumC[o[i]], sumC[o[i+1]], sumC[o[i+2]], 4)
	}
	if size == sha256.Size {
		out = cryptB64(out, 0, sumC[31], sumC[30], 3)
	} else {
		out = cryptB64(out, 0, 0, sumC[63], 2)
	}
	return out
}

// repeatTo returns n bytes of d repeated.
func repeatTo(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, d[:min(len(d), n-len(out))]...)
	}
	return out
}
