package passhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Spring Security's DelegatingPasswordEncoder stores "{id}" followed by the
// encoded password of the encoder registered under id. The schemes below
// read the ids PasswordEncoderFactories registers, with the defaults it
// registers them with:
//
//	{bcrypt}                       BCryptPasswordEncoder: a bcrypt hash
//	{argon2}, {argon2@SpringSecurity_v5_8}
//	                               Argon2PasswordEncoder: an argon2 PHC string
//	{pbkdf2}                       Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_5
//	                               (the only {pbkdf2} before 5.8): hex of an
//	                               8-byte salt and a 32-byte PBKDF2-HMAC-SHA1
//	                               key, 185000 iterations, empty secret
//	{pbkdf2@SpringSecurity_v5_8}   defaultsForSpringSecurity_v5_8: hex of a
//	                               16-byte salt and a 32-byte
//	                               PBKDF2-HMAC-SHA256 key, 310000 iterations
//	{sha256}                       StandardPasswordEncoder: hex of an 8-byte
//	                               salt and SHA-256 applied 1024 times to
//	                               salt + secret + password, empty secret
//	{MD5}, {SHA-1}, {SHA-256}      MessageDigestPasswordEncoder: an optional
//	                               "{salt}", then the hex digest of
//	                               password + "{salt}" (of the password alone
//	                               without a salt), one iteration
//	{noop}                         NoOpPasswordEncoder: the password itself
//
// A Pbkdf2PasswordEncoder built with other settings, a secret, or base64
// output writes a hash these cannot check; {scrypt} (Spring's own encoding)
// and {ldap}/{MD4} are not supported. The defaults are those of
// Pbkdf2PasswordEncoder.java, StandardPasswordEncoder.java and
// MessageDigestPasswordEncoder.java in spring-security's
// crypto/src/main/java/org/springframework/security/crypto/password/, and
// PasswordEncoderFactories.java registers {pbkdf2} with the v5_5 defaults
// in every version since 5.8, so one id means one format.

// springWrapped is an id whose encoded password is in a format another
// scheme reads (bcrypt, argon2).
type springWrapped struct {
	name, id string
	inner    []Scheme
}

func (w springWrapped) Name() string { return w.name }

func (w springWrapped) Identify(stored string) bool { return strings.HasPrefix(stored, w.id) }

func (w springWrapped) unwrap(stored string) (Scheme, string, error) {
	rest := strings.TrimPrefix(stored, w.id)
	for _, in := range w.inner {
		if in.Identify(rest) {
			return in, rest, nil
		}
	}
	return nil, "", fmt.Errorf("%w: %s: not in the format of the id", ErrMalformed, w.name)
}

func (w springWrapped) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(w.name)
	}
	in, rest, err := w.unwrap(hash)
	if err != nil {
		return "", err
	}
	if _, err := in.Import(rest, ""); err != nil {
		return "", err
	}
	return hash, nil
}

func (w springWrapped) Verify(stored, password string) (bool, error) {
	in, rest, err := w.unwrap(stored)
	if err != nil {
		return false, err
	}
	return in.Verify(rest, password)
}

// springPBKDF2 is Pbkdf2PasswordEncoder with one set of defaults: hex of
// salt || key.
type springPBKDF2 struct {
	name, id string
	newHash  func() hash.Hash
	saltLen  int
	iter     int
}

const springPBKDF2KeyLen = 32 // hashWidth 256 bits

func (s springPBKDF2) Name() string { return s.name }

func (s springPBKDF2) Identify(stored string) bool { return strings.HasPrefix(stored, s.id) }

func (s springPBKDF2) parse(stored string) (salt, key []byte, err error) {
	b, ok := decodeHex(strings.TrimPrefix(stored, s.id), s.saltLen+springPBKDF2KeyLen)
	if !s.Identify(stored) || !ok {
		return nil, nil, fmt.Errorf("%w: %s: must be %d hex digits after the id", ErrMalformed, s.name,
			2*(s.saltLen+springPBKDF2KeyLen))
	}
	return b[:s.saltLen], b[s.saltLen:], nil
}

func (s springPBKDF2) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(s.name)
	}
	if _, _, err := s.parse(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (s springPBKDF2) Verify(stored, password string) (bool, error) {
	salt, key, err := s.parse(stored)
	if err != nil {
		return false, err
	}
	h := &pbkdf2Hash{newHash: s.newHash, iter: s.iter, salt: salt, hash: key}
	return h.verify(password)
}

// springStandard is StandardPasswordEncoder ({sha256}) with its empty
// secret: hex of an 8-byte salt and SHA-256 iterated 1024 times.
type springStandard struct{}

const springStandardIterations = 1024

func (springStandard) Name() string { return "spring-sha256" }

func (springStandard) Identify(stored string) bool { return strings.HasPrefix(stored, "{sha256}") }

func (s springStandard) parse(stored string) (salt, sum []byte, err error) {
	b, ok := decodeHex(strings.TrimPrefix(stored, "{sha256}"), 8+sha256.Size)
	if !s.Identify(stored) || !ok {
		return nil, nil, fmt.Errorf("%w: spring-sha256: must be 80 hex digits after the id", ErrMalformed)
	}
	return b[:8], b[8:], nil
}

func (s springStandard) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(s.Name())
	}
	if _, _, err := s.parse(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (s springStandard) Verify(stored, password string) (bool, error) {
	salt, want, err := s.parse(stored)
	if err != nil {
		return false, err
	}
	return equal(s.sum(salt, password), want), nil
}

func (s springStandard) sum(salt []byte, password string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	d := h.Sum(nil)
	for range springStandardIterations - 1 {
		h.Reset()
		h.Write(d)
		d = h.Sum(d[:0])
	}
	return d
}

// Peel: the parameters are the salt in hex, the digest the sum in hex.
func (s springStandard) Peel(hash, salt string) (params, digest string, err error) {
	if _, err := s.Import(hash, salt); err != nil {
		return "", "", err
	}
	sl, sum, _ := s.parse(hash)
	return hex.EncodeToString(sl), hex.EncodeToString(sum), nil
}

func (s springStandard) Digest(params, password string) (string, error) {
	sl, ok := decodeHex(params, 8)
	if !ok {
		return "", fmt.Errorf("%w: spring-sha256: bad salt", ErrMalformed)
	}
	return hex.EncodeToString(s.sum(sl, password)), nil
}

// springDigest is MessageDigestPasswordEncoder under {MD5}, {SHA-1} or
// {SHA-256}: "{salt}" (optional) then the hex digest of password+"{salt}".
type springDigest struct {
	name, id string
	newHash  func() hash.Hash
}

func (s springDigest) Name() string { return s.name }

func (s springDigest) Identify(stored string) bool { return strings.HasPrefix(stored, s.id) }

// parse returns the salt (without braces) and the digest.
func (s springDigest) parse(stored string) (salt string, sum []byte, err error) {
	bad := fmt.Errorf("%w: %s: must be an optional salt in braces and %d hex digits", ErrMalformed, s.name, 2*s.newHash().Size())
	rest, ok := strings.CutPrefix(stored, s.id)
	if !ok {
		return "", nil, bad
	}
	if strings.HasPrefix(rest, "{") {
		var found bool
		salt, rest, found = strings.Cut(rest[1:], "}")
		if !found || len(salt) > 1024 {
			return "", nil, bad
		}
	}
	sum, ok = decodeHex(rest, s.newHash().Size())
	if !ok {
		return "", nil, bad
	}
	return salt, sum, nil
}

func (s springDigest) sum(salt, password string) []byte {
	h := s.newHash()
	h.Write([]byte(password))
	if salt != "" {
		h.Write([]byte("{" + salt + "}"))
	}
	return h.Sum(nil)
}

func (s springDigest) Import(hash, salt string) (string, error) {
	if salt != "" {
		return "", errSaltNotExpected(s.name)
	}
	if _, _, err := s.parse(hash); err != nil {
		return "", err
	}
	return hash, nil
}

func (s springDigest) Verify(stored, password string) (bool, error) {
	salt, want, err := s.parse(stored)
	if err != nil {
		return false, err
	}
	return equal(s.sum(salt, password), want), nil
}

// Peel: the parameters are the salt, the digest the hex digest.
func (s springDigest) Peel(hash, salt string) (params, digest string, err error) {
	if salt != "" {
		return "", "", errSaltNotExpected(s.name)
	}
	sl, sum, err := s.parse(hash)
	if err != nil {
		return "", "", err
	}
	return sl, hex.EncodeToString(sum), nil
}

func (s springDigest) Digest(params, password string) (string, error) {
	if strings.Contains(params, "}") || len(params) > 1024 {
		return "", fmt.Errorf("%w: %s: bad salt", ErrMalformed, s.name)
	}
	return hex.EncodeToString(s.sum(params, password)), nil
}

// springNoop is NoOpPasswordEncoder: the password in clear. Import refuses
// it; ImportOnion stores argon2id of it; Verify still checks one that was
// stored, in constant time.
type springNoop struct{}

func (springNoop) Name() string { return "spring-noop" }

func (springNoop) Identify(stored string) bool { return strings.HasPrefix(stored, "{noop}") }

func (springNoop) Import(hash, salt string) (string, error) {
	return "", ErrPlaintext
}

func (springNoop) Verify(stored, password string) (bool, error) {
	// Compare digests so the time does not depend on where they differ or
	// on the stored length.
	a, b := sha256.Sum256([]byte(strings.TrimPrefix(stored, "{noop}"))), sha256.Sum256([]byte(password))
	return equal(a[:], b[:]), nil
}

func (n springNoop) Peel(hash, salt string) (params, digest string, err error) {
	if salt != "" {
		return "", "", errSaltNotExpected(n.Name())
	}
	if !n.Identify(hash) {
		return "", "", fmt.Errorf("%w: spring-noop: not a plaintext password", ErrMalformed)
	}
	return "", strings.TrimPrefix(hash, "{noop}"), nil
}

func (springNoop) Digest(params, password string) (string, error) {
	if params != "" {
		return "", fmt.Errorf("%w: spring-noop: unexpected parameters", ErrMalformed)
	}
	return password, nil
}

// springSchemes returns the Spring schemes.
func springSchemes() []Scheme {
	argon := []Scheme{argon2Scheme{"argon2id"}, argon2Scheme{"argon2i"}}
	return []Scheme{
		springWrapped{name: "spring-bcrypt", id: "{bcrypt}", inner: []Scheme{bcryptScheme{}}},
		springWrapped{name: "spring-argon2", id: "{argon2}", inner: argon},
		springWrapped{name: "spring-argon2@v5.8", id: "{argon2@SpringSecurity_v5_8}", inner: argon},
		springPBKDF2{name: "spring-pbkdf2", id: "{pbkdf2}", newHash: sha1.New, saltLen: 8, iter: 185000},
		springPBKDF2{name: "spring-pbkdf2@v5.8", id: "{pbkdf2@SpringSecurity_v5_8}", newHash: sha256.New, saltLen: 16, iter: 310000},
		springStandard{},
		springDigest{name: "spring-md5", id: "{MD5}", newHash: md5.New},
		springDigest{name: "spring-sha1", id: "{SHA-1}", newHash: sha1.New},
		springDigest{name: "spring-sha256-digest", id: "{SHA-256}", newHash: sha256.New},
		springNoop{},
	}
}
