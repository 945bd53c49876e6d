package wordlist_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security/internal/wordlist"
)

func TestCommonPasswordCount(t *testing.T) {
	assert.GreaterOrEqual(t, wordlist.CommonPasswordCount(), 3000)
}

func TestCommonPasswordListed(t *testing.T) {
	for _, pw := range []string{
		// SEC-28 examples.
		"password", "password1", "12345678", "qwertyuiop", "1qaz2wsx", "iloveyou1", "aaaaaaaa",
		// Chinese-speaking users' favourites.
		"woaini1314", "5201314520", "woaini520", "qq123456", "wodemima", "zhang123456",
		"woaiwojia", "1314520520", "a123456789", "beijing2008", "88888888",
		// English-speaking users' favourites.
		"baseball", "football", "sunshine", "trustno1", "superman", "iloveyou", "passw0rd",
	} {
		t.Run(pw, func(t *testing.T) {
			assert.True(t, wordlist.CommonPassword(pw))
		})
	}
}

func TestCommonPasswordNotListed(t *testing.T) {
	for _, pw := range []string{
		"correct horse battery staple",
		"purple-giraffe-eats-97-lanterns",
		"我的密码很长而且不常见",
		"Password", // the caller lower-cases first
		"",
		"1234567", // shorter than 8: not on the list
	} {
		t.Run(pw, func(t *testing.T) {
			assert.False(t, wordlist.CommonPassword(pw))
		})
	}
}

// TestCommonPasswordListShape checks every embedded entry is what
// CommonPassword can match: lower-case, 8 or more characters, no spaces.
func TestCommonPasswordListShape(t *testing.T) {
	data, err := testdataFile("common-passwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		assert.Equal(t, strings.ToLower(l), l)
		assert.GreaterOrEqual(t, len([]rune(l)), 8, l)
		assert.NotContains(t, l, " ")
		assert.False(t, seen[l], "duplicate %q", l)
		seen[l] = true
		assert.True(t, wordlist.CommonPassword(l), l)
	}
	assert.Equal(t, len(lines), wordlist.CommonPasswordCount())
}

func TestRepetitive(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"aaaaaaaa", true},
		{"abcabcabc", true},
		{"abcabcab", true},
		{"12121212", true},
		{"abcdabcd", true},
		{"密密密密密密密密", true},
		{"🔑🔑🔑🔑🔑🔑🔑🔑", true},
		{"aa", true},
		{"a", false},
		{"", false},
		{"abcdeabcde", false}, // unit of 5: longer than a short unit
		{"aaaaaaab", false},
		{"correct horse", false},
		{"Aaaaaaaa", false}, // exact runes; the caller lower-cases
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			assert.Equal(t, tt.want, wordlist.Repetitive(tt.s))
		})
	}
}

func TestSequential(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"12345678", true},
		{"87654321", true},
		{"0123456789", true},
		{"1234567890", true},
		{"78901234", true},
		{"abcdefgh", true},
		{"ABCDEFGH", true},
		{"hgfedcba", true},
		{"qwertyuiop", true},
		{"poiuytrewq", true},
		{"asdfghjkl", true},
		{"lkjhgfdsa", true},
		{"zxcvbnm", true},
		{"mnbvcxz", true},
		{"wertyuio", true},
		{"123", true},
		{"12", false},
		{"", false},
		{"yzabcdef", false}, // letters do not wrap
		{"12345679", false},
		{"qwertyuiopa", false},
		{"abc123", false},
		{"13579135", false},
		{"correct horse", false},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			assert.Equal(t, tt.want, wordlist.Sequential(tt.s))
		})
	}
}

// TestStrongPassphrasesPass: ordinary strong passphrases pass all three checks.
func TestStrongPassphrasesPass(t *testing.T) {
	for _, pw := range []string{
		"correct horse battery staple",
		"tr0ub4dor&3-but-longer",
		"我爱北京天安门广场的清晨",
		"🙂 long emoji pass 🙂",
		"73918264051937264",
		"ﾊﾟｽﾜｰﾄﾞは長いほうがいい",
	} {
		t.Run(pw, func(t *testing.T) {
			l := strings.ToLower(pw)
			assert.False(t, wordlist.CommonPassword(l))
			assert.False(t, wordlist.Repetitive(l))
			assert.False(t, wordlist.Sequential(l))
		})
	}
}
