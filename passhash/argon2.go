package passhash

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Scheme reads PHC strings of argon2id or argon2i, version 19 (0x13),
// with any parameters within the ceilings:
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
//
// Salt and hash are base64 without padding. Version 16 (the string without
// "v=") is refused: x/crypto implements version 19 only.
type argon2Scheme struct {
	variant string // "argon2id" or "argon2i"
}

func (a argon2Scheme) Name() string { return a.variant }

func (a argon2Scheme) Identify(stored string) bool {
	return strings.HasPrefix(stored, "$"+a.variant+"$")
}

func (a argon2Scheme) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(a.variant)
	}
	if _, err := parseArgon2(hash, a.variant); err != nil {
		return "", err
	}
	return hash, nil
}

func (a argon2Scheme) Verify(stored, password string) (bool, error) {
	p, err := parseArgon2(stored, a.variant)
	if err != nil {
		return false, err
	}
	return p.verify(password), nil
}

// argon2Hash is a parsed argon2 PHC string.
type argon2Hash struct {
	variant    string
	memory     uint32 // KiB
	time       uint32
	threads    uint8
	salt, hash []byte
}

func (p *argon2Hash) verify(password string) bool {
	pw, n := []byte(password), uint32(len(p.hash))
	var key []byte
	if p.variant == "argon2i" {
		key = argon2.Key(pw, p.salt, p.time, p.memory, p.threads, n)
	} else {
		key = argon2.IDKey(pw, p.salt, p.time, p.memory, p.threads, n)
	}
	return equal(key, p.hash)
}

// parseArgon2 reads an argon2 PHC string of the given variant and checks it
// against the ceilings, without running it.
func parseArgon2(s, variant string) (*argon2Hash, error) {
	// "", variant, "v=19", "m=..,t=..,p=..", salt, hash
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != variant {
		return nil, fmt.Errorf("%w: %s: not a PHC string", ErrMalformed, variant)
	}
	if f[2] != "v=19" {
		return nil, fmt.Errorf("%w: %s: only version 19 is supported", ErrMalformed, variant)
	}
	var mtp [3]uint64
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return nil, fmt.Errorf("%w: %s: parameters must be m, t, p", ErrMalformed, variant)
	}
	for i, key := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], key)
		n, okN := parseDecimal(v, 1<<32-1)
		if !ok || !okN || n == 0 {
			return nil, fmt.Errorf("%w: %s: parameters must be m, t, p", ErrMalformed, variant)
		}
		mtp[i] = n
	}
	if mtp[0] > MaxArgon2Memory || mtp[1] > MaxArgon2Time || mtp[2] > MaxArgon2Threads {
		return nil, fmt.Errorf("%w: %s: m=%d t=%d p=%d (ceilings m<=%d t<=%d p<=%d)", ErrTooCostly, variant,
			mtp[0], mtp[1], mtp[2], MaxArgon2Memory, MaxArgon2Time, MaxArgon2Threads)
	}
	if mtp[0] < 8*mtp[2] {
		return nil, fmt.Errorf("%w: %s: m below 8 KiB per lane", ErrMalformed, variant)
	}
	salt, err1 := b64.DecodeString(f[4])
	hash, err2 := b64.DecodeString(f[5])
	// libargon2's minima: an 8-byte salt and a 4-byte hash.
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 1024 || len(hash) < 4 || len(hash) > 1024 {
		return nil, fmt.Errorf("%w: %s: bad salt or hash encoding or length", ErrMalformed, variant)
	}
	return &argon2Hash{variant: variant, memory: uint32(mtp[0]), time: uint32(mtp[1]), threads: uint8(mtp[2]),
		salt: salt, hash: hash}, nil
}

// errSaltNotExpected is the error of a self-describing scheme given a
// separate salt.
func errSaltNotExpected(name string) error {
	return fmt.Errorf("%w: %s: the salt is inside the hash; pass an empty salt", ErrMalformed, name)
}
