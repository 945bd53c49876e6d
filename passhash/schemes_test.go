package passhash_test

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/acctsec/security/passhash"
)

// md5md5 is a host's own scheme: md5(md5(password)) in hex, stored as
// "$host-md5md5$<hex>". It is Layered, so ImportOnion wraps it.
type md5md5 struct{}

func (md5md5) Name() string { return "host-md5md5" }

func (md5md5) Identify(stored string) bool { return strings.HasPrefix(stored, "$host-md5md5$") }

func (m md5md5) Import(hash, salt string) (string, error) {
	_, digest, err := m.Peel(hash, salt)
	if err != nil {
		return "", err
	}
	return "$host-md5md5$" + digest, nil
}

func (m md5md5) Verify(stored, password string) (bool, error) {
	_, want, err := m.Peel(stored, "")
	if err != nil {
		return false, err
	}
	got, _ := m.Digest("", password)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1, nil
}

func (md5md5) Peel(hash, salt string) (string, string, error) {
	h := strings.ToLower(strings.TrimPrefix(hash, "$host-md5md5$"))
	if _, err := hex.DecodeString(h); err != nil || len(h) != 32 || salt != "" {
		return "", "", passhash.ErrMalformed
	}
	return "", h, nil
}

func (md5md5) Digest(_, password string) (string, error) {
	a := md5.Sum([]byte(password))
	b := md5.Sum([]byte(hex.EncodeToString(a[:])))
	return hex.EncodeToString(b[:]), nil
}

func TestWithHostScheme(t *testing.T) {
	base := passhash.Default()
	s := base.With(md5md5{})
	// md5(md5("password")) by `printf %s password | openssl dgst -md5 -r`, twice.
	const digest = "696D29E0940A4957748FE3FC9EFD22A3"
	stored, err := s.Import(digest, "", "host-md5md5")
	if err != nil {
		t.Fatal(err)
	}
	if stored != "$host-md5md5$696d29e0940a4957748fe3fc9efd22a3" {
		t.Fatalf("stored %q", stored)
	}
	if ok, err := s.Verify(stored, "password"); !ok || err != nil {
		t.Errorf("Verify = %v, %v", ok, err)
	}
	if ok, err := s.Verify(stored, "passwort"); ok || err != nil {
		t.Errorf("Verify(wrong) = %v, %v", ok, err)
	}
	onion, err := s.ImportOnion(digest, "", "host-md5md5", cheapOnion)
	if err != nil || !strings.HasPrefix(onion, "$acctsec-onion$host-md5md5$$argon2id$") {
		t.Fatalf("ImportOnion = %q, %v", onion, err)
	}
	if ok, err := s.Verify(onion, "password"); !ok || err != nil {
		t.Errorf("Verify(onion) = %v, %v", ok, err)
	}

	// The base set is unchanged: With returns a copy.
	if _, err := base.Import(digest, "", "host-md5md5"); !errors.Is(err, passhash.ErrUnknownScheme) {
		t.Errorf("Default gained the host scheme: %v", err)
	}
	if _, err := base.Verify(stored, "password"); !errors.Is(err, passhash.ErrUnknownScheme) {
		t.Errorf("Default verifies the host scheme: %v", err)
	}
	if _, err := base.Verify(onion, "password"); !errors.Is(err, passhash.ErrUnknownScheme) {
		t.Errorf("Default verifies the host scheme's onion: %v", err)
	}
	if names := s.Names(); names[0] != "host-md5md5" || len(names) != len(base.Names())+1 {
		t.Errorf("Names = %v", names)
	}
}

// fakeBcrypt replaces the built-in bcrypt by name.
type fakeBcrypt struct{}

func (fakeBcrypt) Name() string                          { return "bcrypt" }
func (fakeBcrypt) Identify(stored string) bool           { return strings.HasPrefix(stored, "$2b$") }
func (fakeBcrypt) Import(hash, _ string) (string, error) { return hash, nil }
func (fakeBcrypt) Verify(string, string) (bool, error)   { return false, errors.New("host bcrypt") }

func TestWithReplacesByName(t *testing.T) {
	s := passhash.Default().With(fakeBcrypt{})
	if n := slices.Index(s.Names(), "bcrypt"); n != 0 || len(s.Names()) != len(passhash.Default().Names()) {
		t.Fatalf("Names = %v", s.Names())
	}
	if _, err := s.Verify("$2b$05$"+bcryptTail, "password"); err == nil || err.Error() != "host bcrypt" {
		t.Errorf("Verify did not reach the replacement: %v", err)
	}
	// The built-in bcrypt still serves Default.
	if ok, err := passhash.Default().Verify("$2b$05$"+bcryptTail, "password"); !ok || err != nil {
		t.Errorf("Default bcrypt: %v, %v", ok, err)
	}
}

type named string

func (n named) Name() string                        { return string(n) }
func (named) Identify(string) bool                  { return false }
func (named) Import(string, string) (string, error) { return "", nil }
func (named) Verify(string, string) (bool, error)   { return false, nil }

func TestWithRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", "Upper", "has$dollar", "has space", strings.Repeat("a", 65)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("With(%q) did not panic", name)
				}
			}()
			passhash.Default().With(named(name))
		}()
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("With(nil) did not panic")
			}
		}()
		passhash.Default().With(nil)
	}()
}

func TestNilAndZeroSchemes(t *testing.T) {
	for _, s := range []*passhash.Schemes{nil, {}} {
		if _, err := s.Verify("$2b$05$"+bcryptTail, "password"); !errors.Is(err, passhash.ErrUnknownScheme) {
			t.Errorf("Verify: %v", err)
		}
		if _, err := s.Import(md5hex, "", "md5"); !errors.Is(err, passhash.ErrUnknownScheme) {
			t.Errorf("Import: %v", err)
		}
		if s.With(md5md5{}).Identify("$host-md5md5$"+md5hex) != "host-md5md5" {
			t.Error("With on an empty set")
		}
	}
}

func TestConcurrentVerify(t *testing.T) {
	s := passhash.Default()
	vs := loadVectors(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for _, v := range vs[i*5 : i*5+5] {
				stored, err := s.Import(v.hash, v.salt, v.scheme)
				if err != nil {
					t.Error(err)
					continue
				}
				if ok, err := s.Verify(stored, v.password); !ok || err != nil {
					t.Errorf("%s:%d: %v, %v", v.file, v.line, ok, err)
				}
			}
		})
	}
	wg.Wait()
}
