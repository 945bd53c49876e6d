package passhash

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// pbkdf2Hash is a parsed PBKDF2-HMAC hash.
type pbkdf2Hash struct {
	newHash    func() hash.Hash
	iter       int
	salt, hash []byte
}

func (h *pbkdf2Hash) verify(password string) (bool, error) {
	key, err := pbkdf2.Key(h.newHash, password, h.salt, h.iter, len(h.hash))
	if err != nil {
		return false, fmt.Errorf("%w: pbkdf2 parameters", ErrMalformed)
	}
	return equal(key, h.hash), nil
}

// pbkdf2Digests maps the digest names the formats use to the hash and its
// output size, which is the derived key's length in every format here (a
// longer key would multiply the work, so no other length is read).
var pbkdf2Digests = map[string]pbkdf2Digest{
	"sha1":   {sha1.New, sha1.Size, MaxPBKDF2Iterations},
	"sha256": {sha256.New, sha256.Size, MaxPBKDF2Iterations},
	"sha512": {sha512.New, sha512.Size, MaxPBKDF2SHA512Iterations},
}

// pbkdf2Digest is a digest PBKDF2 runs on, with its ceiling.
type pbkdf2Digest struct {
	newHash func() hash.Hash
	size    int
	maxIter uint64
}

// checkIterations reads an iteration count and applies the digest's
// ceiling.
func (d pbkdf2Digest) checkIterations(s, scheme string) (int, error) {
	n, ok := parseDecimal(s, 1<<62)
	if !ok || n == 0 {
		return 0, fmt.Errorf("%w: %s: bad iteration count", ErrMalformed, scheme)
	}
	if n > d.maxIter {
		return 0, fmt.Errorf("%w: %s: %d iterations (ceiling %d)", ErrTooCostly, scheme, n, d.maxIter)
	}
	return int(n), nil
}

// pbkdf2Scheme is one PBKDF2 format; parse reads and checks a hash of it.
type pbkdf2Scheme struct {
	name   string
	prefix []string
	parse  func(string) (*pbkdf2Hash, error)
}

func (p pbkdf2Scheme) Name() string { return p.name }

func (p pbkdf2Scheme) Identify(stored string) bool {
	for _, pre := range p.prefix {
		if strings.HasPrefix(stored, pre) {
			return true
		}
	}
	return false
}

func (p pbkdf2Scheme) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(p.name)
	}
	if _, err := p.parse(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (p pbkdf2Scheme) Verify(stored, password string) (bool, error) {
	h, err := p.parse(stored)
	if err != nil {
		return false, err
	}
	return h.verify(password)
}

// djangoPBKDF2 reads Django's PBKDF2PasswordHasher and
// PBKDF2SHA1PasswordHasher: the salt a text string, the key standard
// base64 with padding.
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64>
//	pbkdf2_sha1$<iterations>$<salt>$<base64>
var djangoPBKDF2 = pbkdf2Scheme{
	name:   "django-pbkdf2",
	prefix: []string{"pbkdf2_sha256$", "pbkdf2_sha1$"},
	parse: func(s string) (*pbkdf2Hash, error) {
		const name = "django-pbkdf2"
		f := strings.Split(s, "$")
		if len(f) != 4 {
			return nil, fmt.Errorf("%w: %s: not algorithm, iterations, salt and hash", ErrMalformed, name)
		}
		d, ok := pbkdf2Digests[strings.TrimPrefix(f[0], "pbkdf2_")]
		if !ok || f[0] == "pbkdf2_sha512" {
			return nil, fmt.Errorf("%w: %s: unknown algorithm", ErrMalformed, name)
		}
		iter, err := d.checkIterations(f[1], name)
		if err != nil {
			return nil, err
		}
		key, err := b64Pad.DecodeString(f[3])
		if f[2] == "" || len(f[2]) > 1024 || err != nil || len(key) != d.size {
			return nil, fmt.Errorf("%w: %s: bad salt or hash", ErrMalformed, name)
		}
		return &pbkdf2Hash{newHash: d.newHash, iter: iter, salt: []byte(f[2]), hash: key}, nil
	},
}

// werkzeugPBKDF2 reads Werkzeug's generate_password_hash with a pbkdf2
// method: the salt a text string, the key in hex.
//
//	pbkdf2:sha256:600000$<salt>$<hex>
var werkzeugPBKDF2 = pbkdf2Scheme{
	name:   "werkzeug-pbkdf2",
	prefix: []string{"pbkdf2:"},
	parse: func(s string) (*pbkdf2Hash, error) {
		const name = "werkzeug-pbkdf2"
		f := strings.Split(s, "$")
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: %s: not method, salt and hash", ErrMalformed, name)
		}
		m := strings.Split(f[0], ":")
		if len(m) != 3 || m[0] != "pbkdf2" {
			return nil, fmt.Errorf("%w: %s: the method must give a digest and iterations", ErrMalformed, name)
		}
		d, ok := pbkdf2Digests[m[1]]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown digest", ErrMalformed, name)
		}
		iter, err := d.checkIterations(m[2], name)
		if err != nil {
			return nil, err
		}
		key, ok := decodeHex(f[2], d.size)
		if f[1] == "" || len(f[1]) > 1024 || !ok {
			return nil, fmt.Errorf("%w: %s: bad salt or hash", ErrMalformed, name)
		}
		return &pbkdf2Hash{newHash: d.newHash, iter: iter, salt: []byte(f[1]), hash: key}, nil
	},
}

// passlibPBKDF2 reads passlib's pbkdf2_sha1 ($pbkdf2$), pbkdf2_sha256 and
// pbkdf2_sha512, salt and key in passlib's adapted base64 ("." for "+",
// no padding).
//
//	$pbkdf2-sha256$<rounds>$<salt>$<key>
var passlibPBKDF2 = pbkdf2Scheme{
	name:   "passlib-pbkdf2",
	prefix: []string{"$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$"},
	parse: func(s string) (*pbkdf2Hash, error) {
		const name = "passlib-pbkdf2"
		f := strings.Split(s, "$")
		if len(f) != 5 || f[0] != "" {
			return nil, fmt.Errorf("%w: %s: not identifier, rounds, salt and checksum", ErrMalformed, name)
		}
		digest := "sha1"
		if f[1] != "pbkdf2" {
			digest = strings.TrimPrefix(f[1], "pbkdf2-")
		}
		d, ok := pbkdf2Digests[digest]
		if !ok || digest == "sha1" && f[1] != "pbkdf2" {
			return nil, fmt.Errorf("%w: %s: unknown digest", ErrMalformed, name)
		}
		iter, err := d.checkIterations(f[2], name)
		if err != nil {
			return nil, err
		}
		salt, ok1 := decodeAB64(f[3])
		key, ok2 := decodeAB64(f[4])
		if !ok1 || !ok2 || len(salt) > 1024 || len(key) != d.size {
			return nil, fmt.Errorf("%w: %s: bad salt or checksum", ErrMalformed, name)
		}
		return &pbkdf2Hash{newHash: d.newHash, iter: iter, salt: salt, hash: key}, nil
	},
}
