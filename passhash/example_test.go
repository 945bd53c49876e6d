package passhash_test

import (
	"fmt"

	"github.com/alexedwards/argon2id"

	"github.com/acctsec/security/passhash"
)

// A Discuz! table keeps md5(md5(password) + salt) and the salt apart. The
// import stores one self-describing string; at login a legacy hash is
// checked with Verify, then replaced with argon2id.
func Example() {
	schemes := passhash.Default()

	// Rows as exported: digest, salt, and the scheme the host knows they use
	// (the digest by printf %s "$(printf %s password | openssl dgst -md5 -r | cut -c1-32)a1B2c3" | openssl dgst -md5).
	stored, err := schemes.Import("F678F0F5CC52BC5B6963A17EB945D4E8", "a1B2c3", "md5-md5pass-salt")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stored)

	// At login:
	if !passhash.IsNative(stored) {
		ok, err := schemes.Verify(stored, "password")
		fmt.Println(ok, err)
		// on ok: hash the password with argon2id and store that instead.
	}
	// Output:
	// $acctsec-legacy$md5-md5pass-salt$YTFCMmMz$f678f0f5cc52bc5b6963a17eb945d4e8
	// true <nil>
}

// Wrapping a cheap hash in argon2id at import.
func ExampleSchemes_ImportOnion() {
	schemes := passhash.Default()
	// {MD5} from Spring's MessageDigestPasswordEncoder, salt "mysalt"
	// (printf %s 'password{mysalt}' | openssl dgst -md5).
	stored, err := schemes.ImportOnion("{MD5}{mysalt}"+"30f8015eaabdb5a80ce37e1dd93509a7", "", "", argon2id.Params{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(schemes.Identify(stored))
	// Output:
	// onion:spring-md5
}
