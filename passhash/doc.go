// Package passhash checks password hashes imported from other systems, so
// that users keep their passwords when their accounts move to acctsec: the
// core verifies the legacy hash at the next login, then replaces it with
// argon2id.
//
// # Use
//
// At import, turn each row into the one string the store keeps:
//
//	schemes := passhash.Default()
//	stored, err := schemes.Import(row.Hash, row.Salt, row.Scheme)
//
// For a self-describing hash (bcrypt, PHC, crypt(3), Django, Werkzeug,
// passlib, Spring's "{id}") pass an empty salt and scheme: the hash is
// checked and kept as it is. For a digest whose salt sat in a column of its
// own, name the scheme: the result is
//
//	$acctsec-legacy$<scheme>$<salt, base64url without padding>$<hex digest, lower case>
//
// ImportOnion does the same but wraps the cheap schemes (the salted digests,
// Spring's {MD5}, {SHA-1}, {SHA-256}, {sha256} and {noop}, md5crypt and apr1)
// in argon2id, so a leaked dump costs an attacker argon2id per guess:
//
//	$acctsec-onion$<scheme>$<parameters, base64url>$argon2id$v=19$m=...,t=...,p=...$<salt>$<key>
//
// At login, when IsNative(stored) is false, check the password with
// Verify(stored, password) and, on a match, store a new argon2id hash.
// Verify compares in constant time; its error is for a stored hash that is
// malformed, of an unknown scheme or over the cost ceilings, never for a
// wrong password, and no error text holds a hash, salt or password.
//
// # Schemes of Default
//
//	bcrypt              $2a$, $2b$, $2y$ (cost 4..14)
//	argon2id, argon2i   PHC strings, version 19, any parameters within the ceilings
//	scrypt              passlib's and RustCrypto's $scrypt$ln=16,r=8,p=1$<salt>$<hash>
//	werkzeug-scrypt     scrypt:32768:8:1$<salt>$<hex> (Werkzeug 3.1's default)
//	django-pbkdf2       pbkdf2_sha256$<iterations>$<salt>$<base64>, pbkdf2_sha1$...
//	werkzeug-pbkdf2     pbkdf2:sha256:<iterations>$<salt>$<hex> (sha1, sha256, sha512)
//	passlib-pbkdf2      $pbkdf2$ (SHA-1), $pbkdf2-sha256$, $pbkdf2-sha512$ <rounds>$<ab64 salt>$<ab64 key>
//	md5-crypt, apr1     $1$ and $apr1$ (PHK's md5crypt)
//	sha256-crypt, sha512-crypt  $5$ and $6$, with or without rounds=
//	spring-*            {bcrypt}, {argon2}, {argon2@SpringSecurity_v5_8}, {pbkdf2}
//	                    (defaultsForSpringSecurity_v5_5: SHA-1, 185000 iterations,
//	                    8-byte salt), {pbkdf2@SpringSecurity_v5_8} (SHA-256,
//	                    310000, 16-byte salt), {sha256} (StandardPasswordEncoder),
//	                    {MD5}, {SHA-1}, {SHA-256} (MessageDigestPasswordEncoder,
//	                    optional {salt}), {noop} (verified; Import refuses it)
//	md5, sha1, sha256   H(password), unsalted
//	<h>-pass-salt       H(password + salt)
//	<h>-salt-pass       H(salt + password) (Django's md5$ and sha1$ hashers)
//	<h>-<h>pass-salt    H(hex(H(password)) + salt) (Discuz!, ECShop)
//
// where <h> is md5, sha1 or sha256. Hex digits are read in either case, and
// the salted digests' Import also takes the digest in standard base64.
//
// # Cost ceilings
//
// A stored hash above the ceilings (MaxBcryptCost, MaxPBKDF2Iterations,
// MaxPBKDF2SHA512Iterations,
// MaxScryptMemory, MaxScryptWork, MaxShaCryptRounds, MaxArgon2Memory,
// MaxArgon2Time, MaxArgon2Threads) is refused on Import and Verify with
// ErrTooCostly, before any work, so a tampered record cannot hold a CPU or
// allocate gigabytes.
//
// # Own schemes
//
// A host adds a format by implementing Scheme (and Layered, to allow
// ImportOnion) and calling With, which returns a new set; there is no
// global registry. A scheme registered under a built-in name replaces it.
package passhash
