package passhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// legacyPrefix starts the canonical form of a digest whose salt the legacy
// system kept in a column of its own:
//
//	$acctsec-legacy$<scheme>$<salt>$<hex digest>
//
// <scheme> is the name given to Import (such as "md5-salt-pass"), <salt>
// the salt's bytes in base64url without padding (empty for an unsalted
// digest), <hex digest> the digest in lower-case hex.
const legacyPrefix = "$acctsec-legacy$"

// Shapes of a salted digest: how the password and salt are fed to it.
const (
	shapePass        = iota // H(password)
	shapePassSalt           // H(password + salt)
	shapeSaltPass           // H(salt + password)
	shapeHexPassSalt        // H(hex(H(password)) + salt), Discuz!, ECShop
	numShapes
)

// shapeSuffix names each shape after the digest's name: "md5",
// "md5-pass-salt", "md5-salt-pass", "md5-md5pass-salt".
func shapeSuffix(shape int, digest string) string {
	return [...]string{"", "-pass-salt", "-salt-pass", "-" + digest + "pass-salt"}[shape]
}

// saltedDigest is a fast digest of the password and a salt stored apart, as
// PHP and Java shops built them; the caller names the scheme on Import.
type saltedDigest struct {
	name    string
	newHash func() hash.Hash
	shape   int
}

// saltedDigests returns the built-in salted digests: each shape of MD5,
// SHA-1 and SHA-256.
func saltedDigests() []Scheme {
	var out []Scheme
	for _, d := range []struct {
		name    string
		newHash func() hash.Hash
	}{{"md5", md5.New}, {"sha1", sha1.New}, {"sha256", sha256.New}} {
		for shape := range numShapes {
			out = append(out, saltedDigest{name: d.name + shapeSuffix(shape, d.name), newHash: d.newHash, shape: shape})
		}
	}
	return out
}

func (d saltedDigest) Name() string { return d.name }

func (d saltedDigest) Identify(stored string) bool {
	return strings.HasPrefix(stored, legacyPrefix+d.name+"$")
}

// Import takes the digest in hex (either case) or standard base64 (as Java
// code often stored it; the lengths tell them apart) and the salt as the
// legacy system stored it, or the canonical form with an empty salt.
func (d saltedDigest) Import(hash, salt string) (string, error) {
	params, digest, err := d.Peel(hash, salt)
	if err != nil {
		return "", err
	}
	return legacyPrefix + d.name + "$" + b64Salt.EncodeToString([]byte(params)) + "$" + digest, nil
}

func (d saltedDigest) Verify(stored, password string) (bool, error) {
	salt, want, err := d.parse(stored)
	if err != nil {
		return false, err
	}
	return equal(d.sum(password, salt), want), nil
}

// Peel returns the salt and the lower-case hex digest.
func (d saltedDigest) Peel(hash, salt string) (params, digest string, err error) {
	if d.Identify(hash) && salt == "" {
		s, sum, err := d.parse(hash)
		if err != nil {
			return "", "", err
		}
		return s, hex.EncodeToString(sum), nil
	}
	sum, ok := decodeDigest(hash, d.newHash().Size())
	if !ok {
		return "", "", fmt.Errorf("%w: %s: the digest must be %d hex digits or its base64", ErrMalformed, d.name,
			2*d.newHash().Size())
	}
	if err := d.checkSalt(salt); err != nil {
		return "", "", err
	}
	return salt, hex.EncodeToString(sum), nil
}

func (d saltedDigest) Digest(params, password string) (string, error) {
	if err := d.checkSalt(params); err != nil {
		return "", err
	}
	return hex.EncodeToString(d.sum(password, params)), nil
}

// checkSalt requires a salt for the salted shapes and none for the plain
// digest: an import that forgot the salt column fails here, not at login.
func (d saltedDigest) checkSalt(salt string) error {
	switch {
	case d.shape == shapePass && salt != "":
		return fmt.Errorf("%w: %s takes no salt", ErrMalformed, d.name)
	case d.shape != shapePass && salt == "":
		return fmt.Errorf("%w: %s needs the salt", ErrMalformed, d.name)
	case len(salt) > 1024:
		return fmt.Errorf("%w: %s: salt longer than 1024 bytes", ErrMalformed, d.name)
	}
	return nil
}

// parse reads the canonical form.
func (d saltedDigest) parse(stored string) (salt string, sum []byte, err error) {
	bad := fmt.Errorf("%w: %s: not the canonical legacy form", ErrMalformed, d.name)
	rest, ok := strings.CutPrefix(stored, legacyPrefix+d.name+"$")
	s64, hx, ok2 := strings.Cut(rest, "$")
	if !ok || !ok2 {
		return "", nil, bad
	}
	s, err1 := b64Salt.DecodeString(s64)
	sum, ok3 := decodeHex(hx, d.newHash().Size())
	if err1 != nil || !ok3 || d.checkSalt(string(s)) != nil {
		return "", nil, bad
	}
	return string(s), sum, nil
}

// sum computes the digest of password and salt in the scheme's shape.
func (d saltedDigest) sum(password, salt string) []byte {
	h := d.newHash()
	switch d.shape {
	case shapePass:
		h.Write([]byte(password))
	case shapePassSalt:
		h.Write([]byte(password))
		h.Write([]byte(salt))
	case shapeSaltPass:
		h.Write([]byte(salt))
		h.Write([]byte(password))
	case shapeHexPassSalt:
		inner := d.newHash()
		inner.Write([]byte(password))
		h.Write([]byte(hex.EncodeToString(inner.Sum(nil))))
		h.Write([]byte(salt))
	}
	return h.Sum(nil)
}

// decodeDigest reads a digest of n bytes in hex or in standard base64, with
// or without padding. For n of 16, 20 and 32 bytes the encodings' lengths
// differ (32/24, 40/28, 64/44 characters), so no string reads as both.
func decodeDigest(s string, n int) ([]byte, bool) {
	if b, ok := decodeHex(s, n); ok {
		return b, true
	}
	for _, enc := range []*base64.Encoding{b64Pad, b64} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == n {
			return b, true
		}
	}
	return nil, false
}
