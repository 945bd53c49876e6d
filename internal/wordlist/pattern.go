package wordlist

import (
	"strings"
	"unicode"
)

// maxRepeatUnit is the longest unit that Repetitive looks for.
const maxRepeatUnit = 4

// Repetitive reports whether s is one character, or a unit of up to four
// characters, repeated over its whole length: "aaaaaaaa", "abcabcabc",
// "12121212", "abcdabcd", and also "abcabcab" (the last repetition may be
// cut short). A unit must occur at least twice. Characters are compared as
// runes, exactly; lower-case s first for a case-insensitive check. Strings
// shorter than two runes are not repetitive.
func Repetitive(s string) bool {
	r := []rune(s)
	n := len(r)
	if n < 2 {
		return false
	}
	for unit := 1; unit <= maxRepeatUnit && 2*unit <= n; unit++ {
		if repeats(r, unit) {
			return true
		}
	}
	return false
}

// repeats reports whether r[i] == r[i%unit] for every i.
func repeats(r []rune, unit int) bool {
	for i := unit; i < len(r); i++ {
		if r[i] != r[i-unit] {
			return false
		}
	}
	return true
}

// keyboardRuns are the runs Sequential accepts as sequences besides
// alphabetical and numeric ones: the rows of a QWERTY keyboard, forwards
// and backwards.
var keyboardRuns = func() []string {
	rows := []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"}
	for _, row := range rows { // the range is evaluated once: the four rows
		rows = append(rows, reverse(row))
	}
	return rows
}()

// minSequence is the shortest string Sequential considers.
const minSequence = 3

// Sequential reports whether all of s is one run of at least three
// characters, forwards or backwards: consecutive digits ("12345678",
// "87654321", wrapping from 9 to 0, as in "78901234"), consecutive ASCII
// letters ("abcdefgh", "hgfedcba", without wrapping), or a stretch of a
// keyboard row ("qwertyuiop", "poiuytrewq", "asdfghjkl", "zxcvbnm").
// ASCII letters are compared without regard to case.
func Sequential(s string) bool {
	lower := strings.ToLower(s)
	r := []rune(lower)
	if len(r) < minSequence {
		return false
	}
	if stepRun(r, 1) || stepRun(r, -1) {
		return true
	}
	for _, run := range keyboardRuns {
		if strings.Contains(run, lower) {
			return true
		}
	}
	return false
}

// stepRun reports whether r is all digits or all ASCII letters, each one
// step from the one before. Digits wrap around (9 then 0); letters do not.
func stepRun(r []rune, step int) bool {
	switch {
	case allIn(r, '0', '9'):
		for i := 1; i < len(r); i++ {
			want := '0' + (r[i-1]-'0'+rune(step)+10)%10
			if r[i] != want {
				return false
			}
		}
		return true
	case allIn(r, 'a', 'z'):
		for i := 1; i < len(r); i++ {
			if r[i] != r[i-1]+rune(step) {
				return false
			}
		}
		return true
	}
	return false
}

// allIn reports whether every rune of r is in [lo, hi].
func allIn(r []rune, lo, hi rune) bool {
	for _, c := range r {
		if c < lo || c > hi || c > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// reverse returns s (ASCII) backwards.
func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
