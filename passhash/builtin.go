package passhash

// builtin lists the schemes of Default, the later tried first (their
// prefixes do not overlap, so the order only matters for hosts' additions).
func builtin() []Scheme {
	s := []Scheme{
		bcryptScheme{},
		argon2Scheme{"argon2id"},
		argon2Scheme{"argon2i"},
		scryptPHC{},
		scryptWerkzeug{},
		djangoPBKDF2,
		werkzeugPBKDF2,
		passlibPBKDF2,
		md5Crypt{name: "md5-crypt", magic: "$1$"},
		md5Crypt{name: "apr1", magic: "$apr1$"},
		sha256Crypt,
		sha512Crypt,
	}
	s = append(s, springSchemes()...)
	return append(s, saltedDigests()...)
}
