package httpadapter

import (
	"reflect"
	"testing"
)

// TestPageTexts: every locale's wording of the email-link pages is
// complete, and a locale without an entry reads its language's, else
// English.
func TestPageTexts(t *testing.T) {
	for tag, pt := range pageTexts {
		v := reflect.ValueOf(pt)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", tag, v.Type().Field(i).Name)
			}
		}
	}
	for _, c := range []struct{ locale, want string }{
		{"zh-CN", "zh-CN"}, {"en", "en"}, {"zh-TW", "zh-TW"}, {"zh-HK", "zh-HK"}, {"zh-SG", "zh-CN"}, {"zh", "zh-CN"}, {"fr", "en"}, {"", "en"},
	} {
		pt, tag := pageTextFor(c.locale)
		if tag != c.want || pt != pageTexts[c.want] {
			t.Errorf("pageTextFor(%q) = %q, want %q", c.locale, tag, c.want)
		}
	}
}
