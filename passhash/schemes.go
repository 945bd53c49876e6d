package passhash

import (
	"fmt"
	"slices"
	"strings"
)

// Scheme is one password-hash format. Implementations must be safe for
// concurrent use, must not run the hash in Identify or Import, and must never
// put the hash, salt or password in an error.
type Scheme interface {
	// Name identifies the scheme to Import and inside the canonical forms
	// ($acctsec-legacy$, $acctsec-onion$): lower-case letters, digits and
	// "-", "_", ".", "@".
	Name() string
	// Identify reports whether stored is in this scheme's format, from its
	// prefix alone.
	Identify(stored string) bool
	// Import checks hash (and salt, for a scheme that keeps it apart; for a
	// self-describing one salt must be empty) and returns the string to
	// store, which Identify recognises. It refuses malformed and over-cost
	// hashes with ErrMalformed or ErrTooCostly.
	Import(hash, salt string) (string, error)
	// Verify reports whether password matches stored, comparing in
	// constant time. The error is for a malformed or over-cost stored hash
	// only; a wrong password is (false, nil).
	Verify(stored, password string) (bool, error)
}

// Layered is a Scheme cheap enough to be worth wrapping in argon2id
// (ImportOnion): a fast digest of the password under public parameters.
type Layered interface {
	Scheme
	// Peel checks hash and salt as Import does and splits them into the
	// public parameters (such as the salt) and the digest the password
	// gives under them. Peel accepts what Import returns, too.
	Peel(hash, salt string) (params, digest string, err error)
	// Digest computes the digest password gives under params, so that
	// Digest(params, pw) equals the digest Peel returned exactly when
	// Verify of the imported hash would report a match.
	Digest(params, password string) (string, error)
}

// Schemes is an immutable set of schemes that Import and Verify choose from.
// Build it with Default and With; the zero value and nil hold no scheme.
type Schemes struct {
	list []Scheme
}

// Default returns the built-in schemes, listed in the package documentation.
func Default() *Schemes {
	s := &Schemes{}
	for _, sch := range builtin() {
		s = s.With(sch)
	}
	return s
}

// With returns a copy of s that also holds sch, replacing a scheme of the
// same name; s is unchanged. A scheme added later is tried first by Verify
// and by Import without a scheme name. With panics if sch is nil or its name
// is not valid, which is a programming error.
func (s *Schemes) With(sch Scheme) *Schemes {
	if sch == nil || !validName(sch.Name()) {
		panic("passhash: With needs a scheme with a valid name")
	}
	out := &Schemes{}
	if s != nil {
		out.list = slices.DeleteFunc(slices.Clone(s.list), func(x Scheme) bool { return x.Name() == sch.Name() })
	}
	out.list = append(out.list, sch)
	return out
}

// Names lists the names of the schemes in s, in the order Verify tries them.
func (s *Schemes) Names() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.list))
	for i := len(s.list) - 1; i >= 0; i-- {
		names = append(names, s.list[i].Name())
	}
	return names
}

// Import checks a hash exported from another system and returns the one
// string to store for it (in Account.PasswordHash), without running it.
//
// With scheme empty, hash must be self-describing (bcrypt, PHC, crypt(3),
// Django, Werkzeug, passlib, a Spring "{id}" prefix, or a form Import
// returned before) and salt empty; it is returned as it is. With scheme
// named, the hash is read as that scheme: for the salted digests ("md5",
// "md5-salt-pass", ...) hash is the hex digest and salt the salt column, and
// the result is the canonical $acctsec-legacy$ form.
//
// Hashes over the cost ceilings give ErrTooCostly, malformed ones
// ErrMalformed, unrecognised ones ErrUnknownScheme, and {noop} plaintext
// ErrPlaintext (use ImportOnion).
func (s *Schemes) Import(hash, salt, scheme string) (string, error) {
	if strings.HasPrefix(hash, onionPrefix) && scheme == "" {
		if salt != "" {
			return "", fmt.Errorf("%w: a salt was given with a self-describing hash", ErrMalformed)
		}
		o, err := s.parseOnion(hash)
		if err != nil {
			return "", err
		}
		// The parameters must suit the scheme: Digest checks them (the
		// layered schemes are cheap by definition).
		if _, err := o.scheme.Digest(o.params, ""); err != nil {
			return "", err
		}
		return hash, nil
	}
	sch, err := s.pick(hash, salt, scheme)
	if err != nil {
		return "", err
	}
	return sch.Import(hash, salt)
}

// Verify reports whether password matches stored, a string Import or
// ImportOnion returned (or any hash they accept). The comparison is in
// constant time. The error is for a stored hash that is malformed
// (ErrMalformed), of no scheme in s (ErrUnknownScheme) or over the cost
// ceilings (ErrTooCostly); a wrong password is (false, nil), and so is a
// password longer than MaxPasswordBytes.
//
// The password is used exactly as given: the legacy system hashed the bytes
// the user typed, so do not normalise it first.
func (s *Schemes) Verify(stored, password string) (bool, error) {
	if strings.HasPrefix(stored, onionPrefix) {
		o, err := s.parseOnion(stored)
		if err != nil {
			return false, err
		}
		if len(password) > MaxPasswordBytes {
			return false, nil
		}
		return o.verify(password)
	}
	sch := s.identify(stored)
	if sch == nil {
		return false, ErrUnknownScheme
	}
	if len(password) > MaxPasswordBytes {
		return false, nil
	}
	return sch.Verify(stored, password)
}

// Identify returns the name of the scheme stored is in ("onion:" and the
// name for an onion form), or "" if none of s recognises it. It reads the
// prefix only: the hash may still be malformed.
func (s *Schemes) Identify(stored string) string {
	if o, ok := strings.CutPrefix(stored, onionPrefix); ok {
		name, _, _ := strings.Cut(o, "$")
		return "onion:" + name
	}
	if sch := s.identify(stored); sch != nil {
		return sch.Name()
	}
	return ""
}

// pick finds the scheme to import hash with: the one named, or the one that
// identifies it.
func (s *Schemes) pick(hash, salt, scheme string) (Scheme, error) {
	if scheme != "" {
		sch := s.byName(scheme)
		if sch == nil {
			return nil, ErrUnknownScheme
		}
		return sch, nil
	}
	if salt != "" {
		return nil, fmt.Errorf("%w: a separate salt needs the scheme named", ErrMalformed)
	}
	sch := s.identify(hash)
	if sch == nil {
		return nil, ErrUnknownScheme
	}
	return sch, nil
}

func (s *Schemes) identify(stored string) Scheme {
	if s == nil {
		return nil
	}
	for i := len(s.list) - 1; i >= 0; i-- {
		if s.list[i].Identify(stored) {
			return s.list[i]
		}
	}
	return nil
}

func (s *Schemes) byName(name string) Scheme {
	if s == nil {
		return nil
	}
	for _, sch := range s.list {
		if sch.Name() == name {
			return sch
		}
	}
	return nil
}

// validName reports whether name can sit between two "$" of a canonical
// form and be read back.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.ContainsRune("-_.@", c)) {
			return false
		}
	}
	return true
}
