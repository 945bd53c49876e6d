package security

import (
	"context"
	"strings"
)

// Imported hashes. A login password's hash may be in any format of
// Config.LegacyHashes (passhash.Default() unless set): it is checked with the
// password exactly as the user typed it, as the old system did, and replaced
// by argon2id of the normalised password on the first success. An imported
// pay-password hash is kept behind legacyPINPrefix, so that it can never be
// taken for a peppered PIN hash, and is re-peppered on the first success.

// legacyPINPrefix marks an imported pay-password hash: the rest is a
// passhash string of the bare PIN.
const legacyPINPrefix = "$acctsec-legacy-pin$"

// storedKind tells how a stored hash is checked.
type storedKind int

const (
	storedBad    storedKind = iota // unusable: never matches
	storedNative                   // argon2id PHC string of this Service
	storedLegacy                   // a format of Config.LegacyHashes
)

func (s *Service) kindOf(stored string) storedKind {
	switch {
	case validPHC(stored):
		return storedNative
	case stored != "" && s.legacy.Identify(stored) != "":
		return storedLegacy
	}
	return storedBad
}

// checkLegacy checks raw against an imported hash, holding a hashing slot
// like argon2id does (bcrypt, scrypt and PBKDF2 are slow too). A mismatch
// then also runs the decoy argon2id check, so a cheap legacy scheme (an MD5
// digest answers in microseconds) does not tell an imported account from
// one with an upgraded hash or from no account at all.
func (s *Service) checkLegacy(ctx context.Context, raw, stored string) (bool, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return false, err
	}
	match, err := s.legacy.Verify(stored, raw)
	release()
	if err != nil {
		return false, errBadHash
	}
	if !match {
		if _, _, err := s.checkSecret(ctx, raw, s.decoy); err != nil && err != errBadHash {
			return false, err
		}
	}
	return match, nil
}

// checkPasswordHash checks a login password against a stored hash of any
// kind: n is the NFKC-normalised password (what argon2id hashes are of), raw
// the password as typed (what legacy systems hashed). upgrade reports that
// the hash should be replaced by a new argon2id hash of n.
func (s *Service) checkPasswordHash(ctx context.Context, raw, n, stored string) (match, upgrade bool, err error) {
	switch s.kindOf(stored) {
	case storedNative:
		return s.checkSecret(ctx, n, stored)
	case storedLegacy:
		match, err := s.checkLegacy(ctx, raw, stored)
		return match, match, err
	}
	return false, false, errBadHash
}

// importPasswordHash validates an imported login-password hash and returns
// what the account keeps: a self-describing hash as it is, a digest with a
// separate salt in passhash's form, a cheap scheme wrapped in argon2id when
// onion is set.
func (s *Service) importPasswordHash(hash, salt, scheme string, onion bool) (string, error) {
	if scheme == "" && salt == "" && validPHC(hash) {
		return hash, nil
	}
	return s.importLegacy(hash, salt, scheme, onion)
}

// importPINHash is importPasswordHash for a pay password: the result is
// marked with legacyPINPrefix (even an argon2id PHC string, which was never
// peppered by this Service).
func (s *Service) importPINHash(hash, salt, scheme string, onion bool) (string, error) {
	h, err := s.importLegacy(hash, salt, scheme, onion)
	if err != nil {
		return "", err
	}
	return legacyPINPrefix + h, nil
}

// importLegacy checks an imported hash under Config.LegacyHashes and returns
// what is stored, wrapping a cheap scheme in argon2id when onion is set.
func (s *Service) importLegacy(hash, salt, scheme string, onion bool) (string, error) {
	if onion {
		return s.legacy.ImportOnion(hash, salt, scheme, *s.hash.argon2())
	}
	return s.legacy.Import(hash, salt, scheme)
}

// legacyPIN returns the passhash string of an imported pay-password hash.
func legacyPIN(stored string) (string, bool) {
	return strings.CutPrefix(stored, legacyPINPrefix)
}
