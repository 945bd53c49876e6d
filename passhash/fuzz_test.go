package passhash_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/acctsec/security/passhash"
)

// FuzzVerify feeds arbitrary stored strings to Import and, for those Import
// refuses, to Verify: neither may panic, Verify must refuse what Import
// refuses (without running it), and their errors must not repeat the
// input's last 12 characters,
// where a hash keeps its secret part (when those are varied enough to be
// hash material rather than a cost number such as 1000000000000).
func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.scheme == "" && !strings.Contains(v.hash, "ln=16") {
			f.Add(v.hash)
		}
	}
	for _, c := range badHashes {
		f.Add(c.hash)
	}
	s := passhash.Default()
	f.Fuzz(func(t *testing.T, stored string) {
		tail := ""
		if len(stored) >= 12 && distinct(stored[len(stored)-12:]) >= 5 {
			tail = stored[len(stored)-12:]
		}
		_, ierr := s.Import(stored, "", "")
		if ierr == nil {
			// Accepted: running it may cost up to the ceilings, which
			// is not what this target explores.
			return
		}
		if tail != "" && strings.Contains(ierr.Error(), tail) {
			t.Errorf("error %q repeats the input", ierr)
		}
		ok, err := s.Verify(stored, "password")
		if errors.Is(ierr, passhash.ErrPlaintext) {
			return
		}
		if ok || err == nil {
			t.Errorf("Verify = %v, %v of a hash Import refuses (%v)", ok, err, ierr)
		}
		if err != nil && tail != "" && strings.Contains(err.Error(), tail) {
			t.Errorf("error %q repeats the input", err)
		}
	})
}

// distinct counts the different bytes of s.
func distinct(s string) int {
	seen := map[byte]bool{}
	for i := range len(s) {
		seen[s[i]] = true
	}
	return len(seen)
}
