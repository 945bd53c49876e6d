package passhash_test

import (
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/acctsec/security/passhash"
)

// BenchmarkVerify runs Verify once per scheme family on a vector of
// testdata, with the right password.
func BenchmarkVerify(b *testing.B) {
	s := passhash.Default()
	vs := loadVectors(b)
	pick := func(prefix, scheme string) vector {
		for _, v := range vs {
			if strings.HasPrefix(v.hash, prefix) && v.scheme == scheme && v.password == "password" {
				return v
			}
		}
		b.Fatalf("no vector %q %q", prefix, scheme)
		return vector{}
	}
	families := []struct {
		name string
		v    vector
	}{
		{"bcrypt-5", pick("$2b$05$", "")},
		{"argon2id-4MiB", pick("$argon2id$v=19$m=4096,t=2,p=1$", "")},
		{"scrypt-2^10", pick("$scrypt$ln=10", "")},
		{"pbkdf2-sha256-1000", pick("pbkdf2_sha256$1000$", "")},
		{"md5-crypt", pick("$1$saltsalt$", "")},
		{"sha512-crypt-5000", pick("$6$saltsalt$", "")},
		{"spring-sha256", pick("{sha256}", "")},
		{"md5-md5pass-salt", pick("", "md5-md5pass-salt")},
	}
	for _, f := range families {
		stored, err := s.Import(f.v.hash, f.v.salt, f.v.scheme)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if ok, err := s.Verify(stored, "password"); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
	onion, err := s.ImportOnion(pick("", "md5-md5pass-salt").hash, "a1B2c3", "md5-md5pass-salt", argon2id.Params{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("onion-md5-default-argon2id", func(b *testing.B) {
		for b.Loop() {
			if ok, err := s.Verify(onion, "password"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
