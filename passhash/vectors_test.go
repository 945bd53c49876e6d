package passhash_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/acctsec/security/passhash"
)

// vector is one line of testdata/*.tsv: a hash made by the tool or document
// that defines its format (see testdata/README.md).
type vector struct {
	file, scheme, hash, salt, password, source string
	line                                       int
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	var out []vector
	for _, name := range []string{"vectors.tsv", "docs.tsv"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			col := strings.Split(sc.Text(), "\t")
			if len(col) != 5 {
				t.Fatalf("%s:%d: %d columns, want 5", name, n, len(col))
			}
			v := vector{file: name, line: n, scheme: col[0], hash: col[1], salt: col[2], password: col[3], source: col[4]}
			if v.scheme == "-" {
				v.scheme = ""
			}
			if v.salt == "-" {
				v.salt = ""
			}
			out = append(out, v)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d vectors", len(out))
	}
	return out
}

// cheapOnion keeps the argon2id of onion tests fast; the production
// parameters are exercised in TestImportOnionDefaults.
var cheapOnion = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}

// wrongPasswords returns two near misses of pw: one byte more, one less
// (or changed).
func wrongPasswords(pw string) []string {
	if pw == "" {
		return []string{"x", " "}
	}
	return []string{pw + "x", pw[:len(pw)-1]}
}

func TestVectors(t *testing.T) {
	s := passhash.Default()
	seen := map[string]bool{}
	for _, v := range loadVectors(t) {
		t.Run(v.file+":"+itoa(v.line), func(t *testing.T) {
			stored, err := s.Import(v.hash, v.salt, v.scheme)
			if errors.Is(err, passhash.ErrPlaintext) {
				stored = v.hash // {noop}: Verify still reads it
			} else if err != nil {
				t.Fatalf("Import (%s): %v", v.source, err)
			}
			name := s.Identify(stored)
			if name == "" {
				t.Fatalf("Identify of the imported form: none")
			}
			seen[name] = true
			if v.scheme == "" && stored != v.hash {
				t.Errorf("a self-describing hash changed on import")
			}
			if v.scheme != "" && (name != v.scheme || !strings.HasPrefix(stored, "$acctsec-legacy$"+v.scheme+"$")) {
				t.Errorf("imported as %q (%s), want the legacy form of %q", name, stored, v.scheme)
			}
			if ok, err := s.Verify(stored, v.password); !ok || err != nil {
				t.Fatalf("Verify(right password) = %v, %v (%s)", ok, err, v.source)
			}
			for _, w := range wrongPasswords(v.password) {
				if w == v.password || bcryptSame(name, w, v.password) {
					continue
				}
				if ok, err := s.Verify(stored, w); ok || err != nil {
					t.Errorf("Verify(wrong password %q) = %v, %v", w, ok, err)
				}
			}
			// Re-importing the stored form is the identity.
			if again, err := s.Import(stored, "", ""); err == nil && again != stored {
				t.Errorf("re-import changed the stored form")
			} else if err != nil && !errors.Is(err, passhash.ErrPlaintext) {
				t.Errorf("re-import: %v", err)
			}
			if passhash.IsNative(stored) != nativeByAlexedwards(stored) {
				t.Errorf("IsNative = %v", passhash.IsNative(stored))
			}
		})
	}
	for _, name := range s.Names() {
		if !seen[name] {
			t.Errorf("scheme %s has no vector", name)
		}
	}
}

// nativeByAlexedwards tells whether the core would take stored as its own,
// decoding it with github.com/alexedwards/argon2id as the core does.
func nativeByAlexedwards(stored string) bool {
	if !strings.HasPrefix(stored, "$argon2id$") {
		return false
	}
	_, salt, key, err := argon2id.DecodeHash(stored)
	return err == nil && len(salt) >= 16 && len(key) >= 16
}

// bcryptSame reports whether bcrypt cannot tell a from b: it reads 72 bytes.
func bcryptSame(scheme, a, b string) bool {
	return strings.HasSuffix(scheme, "bcrypt") && len(a) >= 72 && len(b) >= 72 && a[:72] == b[:72]
}

func TestOnionVectors(t *testing.T) {
	s := passhash.Default()
	n := 0
	for _, v := range loadVectors(t) {
		plain, importErr := s.Import(v.hash, v.salt, v.scheme)
		if importErr != nil && !errors.Is(importErr, passhash.ErrPlaintext) {
			t.Fatalf("%s:%d: %v", v.file, v.line, importErr)
		}
		onion, err := s.ImportOnion(v.hash, v.salt, v.scheme, cheapOnion)
		if err != nil {
			t.Fatalf("%s:%d: ImportOnion: %v", v.file, v.line, err)
		}
		if !strings.HasPrefix(onion, "$acctsec-onion$") {
			if onion != plain {
				t.Errorf("%s:%d: a scheme that is not layered must import as by Import", v.file, v.line)
			}
			continue
		}
		n++
		name := s.Identify(v.hash)
		if name == "" {
			name = v.scheme
		}
		if !strings.HasPrefix(onion, "$acctsec-onion$"+name+"$") || !strings.Contains(onion, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("%s:%d: onion form %q", v.file, v.line, onion)
		}
		if strings.Contains(onion, strings.ToLower(v.hash)) || (v.password != "" && strings.Contains(onion, v.password)) {
			t.Errorf("%s:%d: the onion form holds the legacy hash or the password", v.file, v.line)
		}
		if ok, err := s.Verify(onion, v.password); !ok || err != nil {
			t.Errorf("%s:%d: Verify(onion, right) = %v, %v", v.file, v.line, ok, err)
		}
		if ok, err := s.Verify(onion, v.password+"x"); ok || err != nil {
			t.Errorf("%s:%d: Verify(onion, wrong) = %v, %v", v.file, v.line, ok, err)
		}
		// An onion form is accepted back by Import as it is.
		if again, err := s.Import(onion, "", ""); err != nil || again != onion {
			t.Errorf("%s:%d: re-import of the onion form: %v", v.file, v.line, err)
		}
		// The legacy form Import returned wraps the same way.
		if importErr == nil && plain != v.hash {
			o2, err := s.ImportOnion(plain, "", "", cheapOnion)
			if err != nil {
				t.Fatalf("%s:%d: ImportOnion of the legacy form: %v", v.file, v.line, err)
			}
			if ok, err := s.Verify(o2, v.password); !ok || err != nil {
				t.Errorf("%s:%d: Verify(onion of legacy form) = %v, %v", v.file, v.line, ok, err)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d vectors were wrapped", n)
	}
}

func TestEveryLayeredSchemeWraps(t *testing.T) {
	s := passhash.Default()
	wrapped := map[string]bool{}
	for _, v := range loadVectors(t) {
		onion, err := s.ImportOnion(v.hash, v.salt, v.scheme, cheapOnion)
		if err == nil && strings.HasPrefix(onion, "$acctsec-onion$") {
			wrapped[strings.TrimPrefix(s.Identify(onion), "onion:")] = true
		}
	}
	want := []string{"md5", "md5-pass-salt", "md5-salt-pass", "md5-md5pass-salt", "sha1", "sha1-pass-salt",
		"sha1-salt-pass", "sha1-sha1pass-salt", "sha256", "sha256-pass-salt", "sha256-salt-pass",
		"sha256-sha256pass-salt", "spring-md5", "spring-sha1", "spring-sha256-digest", "spring-sha256",
		"spring-noop", "md5-crypt", "apr1"}
	var got []string
	for k := range wrapped {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wrapped schemes %v, want %v", got, want)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
