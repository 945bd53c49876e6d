package phonenum_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/acctsec/security/internal/phonenum"
)

var e164Pattern = regexp.MustCompile(`^\+[0-9]{8,15}$`)

// FuzzParse checks Parse's invariants on any input: no panic; a success is
// "+" and 8 to 15 digits starting with the returned calling code; parsing a
// success again returns it unchanged.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"13800138000", "+86 138-0013-8000", "008613800138000", "86 13800138000",
		"(+86)13800138000", "+86(0)13800138000", "013800138000", "＋８６１３８００１３８０００",
		"+44 (0)20 7946 0958", "(202) 555-0123", "011 86 138 0013 8000", "0011 61 412 345 678",
		"+39 06 1234 5678", "13800138000abc", "+8613800138000123", "", "+", "((", "\x00",
		"0000000000", "+0", "86", "8686868686868",
	} {
		for _, region := range []string{"CN", "US", "AU", "GB", ""} {
			f.Add(seed, region)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		e164, code, err := phonenum.Parse(raw, region)
		if err != nil {
			if e164 != "" || code != "" {
				t.Fatalf("error %v with result %q %q", err, e164, code)
			}
			return
		}
		if !e164Pattern.MatchString(e164) {
			t.Fatalf("Parse(%q, %q) = %q: not E.164", raw, region, e164)
		}
		if code == "" || !strings.HasPrefix(e164[1:], code) {
			t.Fatalf("Parse(%q, %q) = %q, code %q", raw, region, e164, code)
		}
		again, code2, err := phonenum.Parse(e164, region)
		if err != nil || again != e164 || code2 != code {
			t.Fatalf("Parse(%q) = %q, %q, %v; want %q, %q", e164, again, code2, err, e164, code)
		}
	})
}
