package passhash

import (
	"fmt"
	"strings"

	"github.com/alexedwards/argon2id"
)

// onionPrefix starts the form ImportOnion returns for a cheap scheme:
//
//	$acctsec-onion$<scheme>$<params>$argon2id$v=19$m=...,t=...,p=...$<salt>$<key>
//
// <scheme> is the Layered scheme's name, <params> its public parameters
// (Peel) in base64url without padding, and what follows is the argon2id PHC
// string of the legacy digest (the lower-case hex of a salted digest, the
// 22 characters of md5crypt, the password itself for {noop}).
const onionPrefix = "$acctsec-onion$"

// defaultOnionParams are the argon2id parameters ImportOnion uses when given
// the zero Params: the core's defaults.
var defaultOnionParams = argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// ImportOnion is Import, except that a hash of a cheap scheme (a Layered
// one: the salted digests, Spring's {MD5}, {SHA-1}, {SHA-256} and {sha256},
// md5crypt, apr1, and {noop}) is stored wrapped in argon2id: whoever
// reads a dump of the store then pays argon2id for every guess, before the
// user's next login upgrades the hash. Verify computes the legacy digest from
// the password and checks it against the argon2id hash.
//
// p are the argon2id parameters (the zero value means the core's defaults:
// m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte key),
// within the ceilings, with salt and key of 16 bytes or more. Each call runs
// argon2id once: budget for it in a bulk import.
func (s *Schemes) ImportOnion(hash, salt, scheme string, p argon2id.Params) (string, error) {
	if p == (argon2id.Params{}) {
		p = defaultOnionParams
	}
	if p.Memory > MaxArgon2Memory || p.Iterations > MaxArgon2Time || p.Parallelism > MaxArgon2Threads ||
		p.Iterations == 0 || p.Parallelism == 0 || p.Memory < 8*uint32(p.Parallelism) ||
		p.SaltLength < 16 || p.KeyLength < 16 || p.SaltLength > 1024 || p.KeyLength > 1024 {
		return "", fmt.Errorf("passhash: ImportOnion parameters outside m<=%d KiB, t<=%d, p<=%d, salt and key 16 to 1024 bytes",
			MaxArgon2Memory, MaxArgon2Time, MaxArgon2Threads)
	}
	if strings.HasPrefix(hash, onionPrefix) && scheme == "" {
		return s.Import(hash, salt, scheme)
	}
	sch, err := s.pick(hash, salt, scheme)
	if err != nil {
		return "", err
	}
	layered, ok := sch.(Layered)
	if !ok {
		return sch.Import(hash, salt)
	}
	params, digest, err := layered.Peel(hash, salt)
	if err != nil {
		return "", err
	}
	phc, err := argon2id.CreateHash(digest, &p)
	if err != nil {
		return "", fmt.Errorf("passhash: argon2id: %w", err)
	}
	return onionPrefix + sch.Name() + "$" + b64Salt.EncodeToString([]byte(params)) + phc, nil
}

// onion is a parsed onion form.
type onion struct {
	scheme Layered
	params string
	inner  *argon2Hash
}

func (o *onion) verify(password string) (bool, error) {
	digest, err := o.scheme.Digest(o.params, password)
	if err != nil {
		return false, err
	}
	return o.inner.verify(digest), nil
}

// parseOnion reads an onion form: a Layered scheme of s, its parameters, and
// an argon2id hash within the ceilings.
func (s *Schemes) parseOnion(stored string) (*onion, error) {
	rest := strings.TrimPrefix(stored, onionPrefix)
	name, rest, ok1 := strings.Cut(rest, "$")
	p64, rest, ok2 := strings.Cut(rest, "$")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: onion: not a scheme, parameters and an argon2id hash", ErrMalformed)
	}
	layered, ok := s.byName(name).(Layered)
	if !ok {
		return nil, fmt.Errorf("%w: onion: not a registered layered scheme", ErrUnknownScheme)
	}
	params, err := b64Salt.DecodeString(p64)
	if err != nil {
		return nil, fmt.Errorf("%w: onion: bad parameters", ErrMalformed)
	}
	inner, err := parseArgon2("$"+rest, "argon2id")
	if err != nil {
		return nil, err
	}
	if len(inner.salt) < 16 || len(inner.hash) < 16 {
		return nil, fmt.Errorf("%w: onion: argon2id salt or key shorter than 16 bytes", ErrMalformed)
	}
	return &onion{scheme: layered, params: string(params), inner: inner}, nil
}
