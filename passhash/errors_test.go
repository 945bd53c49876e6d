package passhash_test

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/acctsec/security/passhash"
)

const secretPassword = "hunter2-Secret"

// noLeak fails if err's text holds the password, the salt or the hash (its
// last 12 characters, which no format description shares).
func noLeak(t *testing.T, err error, hash, salt string) {
	t.Helper()
	msg := err.Error()
	for _, s := range []string{secretPassword, salt, hash, hash[max(0, len(hash)-12):]} {
		if len(s) >= 3 && strings.Contains(msg, s) {
			t.Errorf("error %q contains %q", msg, s)
		}
	}
}

var (
	bcryptTail = "abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu" // 53 characters
	argonSalt  = "c29tZXNhbHRzb21lc2FsdA"                                // 16 bytes
	argonKey   = "lG/cnaXw5KP4qHRYQWDXfLqCsmvEU3tIafNAN+WUBB8"           // 32 bytes
	hex32      = strings.Repeat("ab", 32)
	hex64      = strings.Repeat("cd", 64)
	sum43      = strings.Repeat("a", 43)
	sum86      = strings.Repeat("b", 86)
	md5hex     = "5f4dcc3b5aa765d61d8327deb882cf99"
)

// badHashes are hashes Import and Verify must refuse with the error given,
// without running them: several would need terabytes or hours if run.
var badHashes = []struct {
	name, hash string
	want       error
}{
	{"empty", "", passhash.ErrUnknownScheme},
	{"plain text", "hunter2-Secret-not-a-hash", passhash.ErrUnknownScheme},
	{"spring scrypt", "{scrypt}$e0801$8bWJaSu2IKSn9Z9kM+TPXfOc/9bdYSrN1oD9qfVThWEwdRTnO7re7Ei+fUZRJ68k9lTyuTeUp4of4g24hHnazw==$OAOec05+bXxvuu/1qZ6NUR+xQYvYv7BeL1QxwRpY5Pc=", passhash.ErrUnknownScheme},
	{"bcrypt 2x", "$2x$05$" + bcryptTail, passhash.ErrUnknownScheme},
	{"yescrypt", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7", passhash.ErrUnknownScheme},
	{"django md5", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", passhash.ErrUnknownScheme},
	{"upper-case prefix", "$2B$05$" + bcryptTail, passhash.ErrUnknownScheme},

	{"bcrypt short", "$2b$05$abcdefghij", passhash.ErrMalformed},
	{"bcrypt bad char", "$2b$05$" + bcryptTail[:52] + "!", passhash.ErrMalformed},
	{"bcrypt cost 3", "$2b$03$" + bcryptTail, passhash.ErrMalformed},
	{"bcrypt cost letters", "$2b$1a$" + bcryptTail, passhash.ErrMalformed},
	{"bcrypt long", "$2b$05$" + bcryptTail + "a", passhash.ErrMalformed},
	{"bcrypt 15", "$2b$15$" + bcryptTail, passhash.ErrTooCostly},
	{"bcrypt 31", "$2y$31$" + bcryptTail, passhash.ErrTooCostly},
	{"spring bcrypt 20", "{bcrypt}$2a$20$" + bcryptTail, passhash.ErrTooCostly},
	{"spring bcrypt not bcrypt", "{bcrypt}" + md5hex, passhash.ErrMalformed},

	{"argon2 no version", "$argon2id$m=4096,t=2,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 version 16", "$argon2id$v=16$m=4096,t=2,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 order", "$argon2id$v=19$t=2,m=4096,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 m=0", "$argon2id$v=19$m=0,t=2,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 p=0", "$argon2i$v=19$m=4096,t=2,p=0$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 m<8p", "$argon2id$v=19$m=8,t=1,p=2$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 short salt", "$argon2id$v=19$m=4096,t=2,p=1$c2FsdA$" + argonKey, passhash.ErrMalformed},
	{"argon2 padded", "$argon2id$v=19$m=4096,t=2,p=1$" + argonSalt + "==$" + argonKey, passhash.ErrMalformed},
	{"argon2 extra field", "$argon2id$v=19$m=4096,t=2,p=1$" + argonSalt + "$" + argonKey + "$", passhash.ErrMalformed},
	{"argon2 leading zero", "$argon2id$v=19$m=04096,t=2,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"argon2 4 GiB", "$argon2id$v=19$m=4194304,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"argon2 m max", "$argon2i$v=19$m=4294967295,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"argon2 t=11", "$argon2id$v=19$m=4096,t=11,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"argon2 p=17", "$argon2id$v=19$m=4096,t=1,p=17$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"spring argon2 1 GiB", "{argon2}$argon2id$v=19$m=1048576,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},

	{"scrypt ln=0", "$scrypt$ln=0,r=8,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"scrypt r=0", "$scrypt$ln=10,r=0,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"scrypt order", "$scrypt$r=8,ln=10,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"scrypt short key", "$scrypt$ln=10,r=8,p=1$" + argonSalt + "$c2FsdA", passhash.ErrMalformed},
	{"scrypt ab64", "$scrypt$ln=10,r=8,p=1$" + argonSalt + "$lG.cnaXw5KP4qHRYQWDXfLqCsmvEU3tIafNAN.WUBB8", passhash.ErrMalformed},
	{"scrypt 128 GiB", "$scrypt$ln=30,r=8,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"scrypt ln=63", "$scrypt$ln=63,r=8,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"scrypt ln=64", "$scrypt$ln=64,r=8,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"scrypt work", "$scrypt$ln=14,r=8,p=64$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"scrypt r huge", "$scrypt$ln=1,r=4294967295,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
	{"werkzeug scrypt N not 2^k", "scrypt:1000:8:1$saltsalt$" + hex64, passhash.ErrMalformed},
	{"werkzeug scrypt no salt", "scrypt:1024:8:1$$" + hex64, passhash.ErrMalformed},
	{"werkzeug scrypt short hex", "scrypt:1024:8:1$saltsalt$" + hex32, passhash.ErrMalformed},
	{"werkzeug scrypt 1 TiB", "scrypt:1073741824:8:1$saltsalt$" + hex64, passhash.ErrTooCostly},
	{"werkzeug scrypt p huge", "scrypt:1024:8:100000$saltsalt$" + hex64, passhash.ErrTooCostly},

	{"django no fields", "pbkdf2_sha256$30000$seasalt", passhash.ErrMalformed},
	{"django sha1 short key", "pbkdf2_sha1$30000$seasalt2$pMzU1zNPcydf6wjnJFbiVKwg", passhash.ErrMalformed},
	{"django iterations 0", "pbkdf2_sha256$0$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=", passhash.ErrMalformed},
	{"django iterations sign", "pbkdf2_sha256$+30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=", passhash.ErrMalformed},
	{"django unpadded", "pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY", passhash.ErrMalformed},
	{"django no salt", "pbkdf2_sha256$30000$$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=", passhash.ErrMalformed},
	{"django 3000001", "pbkdf2_sha256$3000001$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=", passhash.ErrTooCostly},
	{"django huge", "pbkdf2_sha1$99999999999999$seasalt2$pMzU1zNPcydf6wjnJFbiVKwgULc=", passhash.ErrTooCostly},
	{"werkzeug no iterations", "pbkdf2:sha256$ceRl7IbD$" + hex32, passhash.ErrMalformed},
	{"werkzeug md5", "pbkdf2:md5:1000$ceRl7IbD$" + hex32[:32], passhash.ErrMalformed},
	{"werkzeug wrong length", "pbkdf2:sha512:1000$ceRl7IbD$" + hex32, passhash.ErrMalformed},
	{"werkzeug not hex", "pbkdf2:sha256:1000$ceRl7IbD$" + strings.Repeat("zz", 32), passhash.ErrMalformed},
	{"werkzeug 10M", "pbkdf2:sha256:10000000$ceRl7IbD$" + hex32, passhash.ErrTooCostly},
	{"werkzeug sha512 2M", "pbkdf2:sha512:2000000$ceRl7IbD$" + hex64, passhash.ErrTooCostly},
	{"passlib sha512 2M", "$pbkdf2-sha512$2000000$0ZrzXitFSGltTQnBWOsdAw$" + strings.Repeat("a", 86), passhash.ErrTooCostly},
	{"passlib plus sign", "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9+", passhash.ErrMalformed},
	{"passlib sha1 named", "$pbkdf2-sha1$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M", passhash.ErrUnknownScheme},
	{"passlib wrong length", "$pbkdf2-sha512$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M", passhash.ErrMalformed},
	{"passlib 5M", "$pbkdf2$5000000$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoY", passhash.ErrTooCostly},

	{"md5crypt 9-char salt", "$1$saltsalt9$qjXMvbEw8oaL.CzflDtaK/", passhash.ErrMalformed},
	{"md5crypt short", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK", passhash.ErrMalformed},
	{"md5crypt bad char", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK!", passhash.ErrMalformed},
	{"md5crypt no sum", "$1$saltsalt", passhash.ErrMalformed},
	{"apr1 salt with $", "$apr1$a$b$yAAkm4libquA.ZWLHbSBq/", passhash.ErrMalformed},
	{"sha-crypt rounds 999", "$5$rounds=999$saltsalt$" + sum43, passhash.ErrMalformed},
	{"sha-crypt rounds text", "$6$rounds=abc$saltsalt$" + sum86, passhash.ErrMalformed},
	{"sha-crypt rounds zero", "$6$rounds=01000$saltsalt$" + sum86, passhash.ErrMalformed},
	{"sha-crypt long salt", "$5$0123456789abcdefX$" + sum43, passhash.ErrMalformed},
	{"sha-crypt short sum", "$6$saltsalt$" + sum86[1:], passhash.ErrMalformed},
	{"sha-crypt 256 with 512 sum", "$5$saltsalt$" + sum86, passhash.ErrMalformed},
	{"sha-crypt rounds over", "$6$rounds=1000001$saltsalt$" + sum86, passhash.ErrTooCostly},
	{"sha-crypt rounds max", "$5$rounds=999999999$saltsalt$" + sum43, passhash.ErrTooCostly},

	{"spring pbkdf2 short", "{pbkdf2}" + hex32, passhash.ErrMalformed},
	{"spring pbkdf2 v5.8 not hex", "{pbkdf2@SpringSecurity_v5_8}" + strings.Repeat("g", 96), passhash.ErrMalformed},
	{"spring sha256 short", "{sha256}" + hex32, passhash.ErrMalformed},
	{"spring MD5 unclosed", "{MD5}{salt" + md5hex, passhash.ErrMalformed},
	{"spring MD5 sha1 length", "{MD5}" + hex32[:40], passhash.ErrMalformed},
	{"spring SHA-256 short", "{SHA-256}{s}" + md5hex, passhash.ErrMalformed},

	{"legacy no hex", "$acctsec-legacy$md5$$", passhash.ErrMalformed},
	{"legacy wrong length", "$acctsec-legacy$md5$$" + hex32, passhash.ErrMalformed},
	{"legacy bad salt", "$acctsec-legacy$md5-salt-pass$!!$" + md5hex, passhash.ErrMalformed},
	{"legacy missing salt", "$acctsec-legacy$md5-salt-pass$$" + md5hex, passhash.ErrMalformed},
	{"legacy salt on md5", "$acctsec-legacy$md5$c2FsdA$" + md5hex, passhash.ErrMalformed},
	{"legacy unknown", "$acctsec-legacy$crc32$$abcd1234", passhash.ErrUnknownScheme},

	{"onion truncated", "$acctsec-onion$md5", passhash.ErrMalformed},
	{"onion not layered", "$acctsec-onion$bcrypt$$argon2id$v=19$m=64,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrUnknownScheme},
	{"onion unknown", "$acctsec-onion$crc32$$argon2id$v=19$m=64,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrUnknownScheme},
	{"onion argon2i", "$acctsec-onion$md5$$argon2i$v=19$m=64,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"onion short salt", "$acctsec-onion$md5$$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$" + argonKey, passhash.ErrMalformed},
	{"onion bad params", "$acctsec-onion$md5-salt-pass$!!$argon2id$v=19$m=64,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"onion salt on md5", "$acctsec-onion$md5$c2FsdA$argon2id$v=19$m=64,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"onion long md5crypt salt", "$acctsec-onion$md5-crypt$MTIzNDU2Nzg5$argon2id$v=19$m=64,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrMalformed},
	{"onion 4 GiB", "$acctsec-onion$md5$$argon2id$v=19$m=4194304,t=1,p=1$" + argonSalt + "$" + argonKey, passhash.ErrTooCostly},
}

func TestBadHashes(t *testing.T) {
	s := passhash.Default()
	for _, c := range badHashes {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Import(c.hash, "", "")
			if !errors.Is(err, c.want) {
				t.Fatalf("Import: %v, want %v", err, c.want)
			}
			noLeak(t, err, c.hash, "")
			ok, err := s.Verify(c.hash, secretPassword)
			if ok || !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, %v, want %v", ok, err, c.want)
			}
			noLeak(t, err, c.hash, "")
			if _, err := s.ImportOnion(c.hash, "", "", cheapOnion); !errors.Is(err, c.want) {
				t.Fatalf("ImportOnion: %v, want %v", err, c.want)
			}
			if passhash.IsNative(c.hash) {
				t.Errorf("IsNative of a refused hash")
			}
		})
	}
}

func TestImportArguments(t *testing.T) {
	s := passhash.Default()
	bcryptHash := "$2b$05$" + bcryptTail
	cases := []struct {
		name, hash, salt, scheme string
		want                     error
	}{
		{"salted digest without salt", md5hex, "", "md5-salt-pass", passhash.ErrMalformed},
		{"plain digest with salt", md5hex, "a1B2c3", "md5", passhash.ErrMalformed},
		{"digest too short", md5hex[:30], "a1B2c3", "md5-pass-salt", passhash.ErrMalformed},
		{"digest not hex", strings.Repeat("g", 32), "a1B2c3", "md5-pass-salt", passhash.ErrMalformed},
		{"sha1 digest as sha256", md5hex + "01234567", "a1B2c3", "sha256-salt-pass", passhash.ErrMalformed},
		{"base64 of an md5 as sha256", "X03MO1qnZdYdgyfeuILPmQ==", "a1B2c3", "sha256-pass-salt", passhash.ErrMalformed},
		{"url-safe base64", "X03MO1qnZdYdgyfeuILPmQ-_", "a1B2c3", "md5-pass-salt", passhash.ErrMalformed},
		{"salt too long", md5hex, strings.Repeat("s", 1025), "md5-salt-pass", passhash.ErrMalformed},
		{"separate salt, no scheme", md5hex, "a1B2c3", "", passhash.ErrMalformed},
		{"separate salt for bcrypt", bcryptHash, "a1B2c3", "", passhash.ErrMalformed},
		{"separate salt for named bcrypt", bcryptHash, "a1B2c3", "bcrypt", passhash.ErrMalformed},
		{"named scheme mismatch", bcryptHash, "", "md5-crypt", passhash.ErrMalformed},
		{"bare digest, no scheme", md5hex, "", "", passhash.ErrUnknownScheme},
		{"unknown scheme", md5hex, "", "crc32", passhash.ErrUnknownScheme},
		{"hash passed as the scheme", md5hex, "", md5hex, passhash.ErrUnknownScheme},
		{"plaintext", "{noop}" + secretPassword, "", "", passhash.ErrPlaintext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Import(c.hash, c.salt, c.scheme)
			if !errors.Is(err, c.want) {
				t.Fatalf("Import: %v, want %v", err, c.want)
			}
			noLeak(t, err, c.hash, c.salt)
		})
	}
}

func TestLongPasswordNeverMatches(t *testing.T) {
	s := passhash.Default()
	for _, n := range []int{passhash.MaxPasswordBytes, passhash.MaxPasswordBytes + 1} {
		pw := strings.Repeat("a", n)
		sum := md5.Sum([]byte(pw))
		stored, err := s.Import(hex.EncodeToString(sum[:]), "", "md5")
		if err != nil {
			t.Fatal(err)
		}
		ok, err := s.Verify(stored, pw)
		if err != nil || ok != (n <= passhash.MaxPasswordBytes) {
			t.Errorf("%d bytes: Verify = %v, %v", n, ok, err)
		}
	}
}

func TestBcryptReads72Bytes(t *testing.T) {
	// htpasswd -nbB of a 100-byte password: bcrypt reads its first 72
	// bytes, so the systems that wrote such hashes accepted any password
	// sharing them, and Verify must too.
	s := passhash.Default()
	var found bool
	for _, v := range loadVectors(t) {
		if !strings.HasPrefix(v.source, "htpasswd -nbB") || len(v.password) <= 72 {
			continue
		}
		found = true
		for pw, want := range map[string]bool{v.password: true, v.password[:72]: true,
			v.password[:72] + "zzz": true, v.password[:71]: false} {
			if ok, err := s.Verify(v.hash, pw); ok != want || err != nil {
				t.Errorf("Verify(%d bytes) = %v, %v, want %v", len(pw), ok, err, want)
			}
		}
	}
	if !found {
		t.Fatal("no long bcrypt vector")
	}
}

func TestImportOnionParams(t *testing.T) {
	s := passhash.Default()
	for _, p := range []argon2id.Params{
		{Memory: 512 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 11, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 8, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8},
	} {
		if _, err := s.ImportOnion(md5hex, "", "md5", p); err == nil {
			t.Errorf("ImportOnion accepted %+v", p)
		}
	}
}

func TestImportOnionDefaults(t *testing.T) {
	s := passhash.Default()
	// md5("password"), Django's unsalted_md5 and countless PHP tables.
	stored, err := s.ImportOnion(strings.ToUpper(md5hex), "", "md5", argon2id.Params{})
	if err != nil {
		t.Fatal(err)
	}
	want := "$acctsec-onion$md5$$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(stored, want) {
		t.Fatalf("onion form %q, want prefix %q", stored, want)
	}
	if strings.Contains(strings.ToLower(stored), md5hex) {
		t.Error("the onion form holds the md5")
	}
	if passhash.IsNative(stored) {
		t.Error("an onion form is not native: it must be upgraded")
	}
	for pw, want := range map[string]bool{"password": true, "Password": false, "": false} {
		if ok, err := s.Verify(stored, pw); ok != want || err != nil {
			t.Errorf("Verify(%q) = %v, %v", pw, ok, err)
		}
	}
	// The same md5 wrapped twice gets two salts.
	again, _ := s.ImportOnion(md5hex, "", "md5", argon2id.Params{})
	if again == stored {
		t.Error("two onion imports gave the same string")
	}
}

func TestNoopOnion(t *testing.T) {
	s := passhash.Default()
	stored, err := s.ImportOnion("{noop}"+secretPassword, "", "", cheapOnion)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, secretPassword) || !strings.HasPrefix(stored, "$acctsec-onion$spring-noop$$argon2id$") {
		t.Fatalf("onion of {noop}: %q", stored)
	}
	for pw, want := range map[string]bool{secretPassword: true, secretPassword + " ": false, "": false} {
		if ok, err := s.Verify(stored, pw); ok != want || err != nil {
			t.Errorf("Verify(%q) = %v, %v", pw, ok, err)
		}
	}
}

func TestTamperedOnion(t *testing.T) {
	s := passhash.Default()
	stored, err := s.ImportOnion(md5hex, "", "md5", cheapOnion)
	if err != nil {
		t.Fatal(err)
	}
	// Moving the argon2id hash under another digest scheme, or giving it
	// a salt, must not let the password through.
	for _, forged := range []string{
		strings.Replace(stored, "$md5$$", "$sha1$$", 1),
		strings.Replace(stored, "$md5$$", "$md5-pass-salt$c2FsdA$", 1),
	} {
		if ok, err := s.Verify(forged, "password"); ok || err != nil {
			t.Errorf("Verify(forged) = %v, %v", ok, err)
		}
	}
}

func TestIsNative(t *testing.T) {
	for h, want := range map[string]bool{
		"$argon2id$v=19$m=19456,t=2,p=1$" + argonSalt + "$" + argonKey:         true,
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" + argonKey:               false, // 8-byte salt
		"$argon2i$v=19$m=19456,t=2,p=1$" + argonSalt + "$" + argonKey:          false,
		"$argon2id$v=19$m=524288,t=2,p=1$" + argonSalt + "$" + argonKey:        false,
		"{argon2}$argon2id$v=19$m=19456,t=2,p=1$" + argonSalt + "$" + argonKey: false,
		"$2b$05$" + bcryptTail: false,
		"":                     false,
	} {
		if got := passhash.IsNative(h); got != want {
			t.Errorf("IsNative(%q) = %v", h, got)
		}
	}
}
