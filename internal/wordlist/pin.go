package wordlist

import (
	_ "embed"
	"sync"
	"time"
)

//go:embed common-pins.txt
var commonPINsText string

// commonPINs is the set of built-in common 6-digit PINs, built once.
var commonPINs = sync.OnceValue(func() map[string]struct{} {
	return lineSet(commonPINsText)
})

// PINLength is the length of a pay PIN in ASCII digits.
const PINLength = 6

// Birth years whose dates WeakPIN refuses as YYMMDD and MMDDYY.
const (
	firstBirthYear = 1950
	lastBirthYear  = 2009
)

// WeakPIN reports whether a 6-digit PIN is easy to guess, and why. The
// reason is a PolicyError reason key:
//
//   - "format": pin is not exactly six ASCII digits;
//   - "repetitive": one digit six times (000000), a pair or a triple repeated
//     (121212, 123123), doubled or tripled digits (112233, 111222), or a
//     mirror (123321);
//   - "sequence": six digits counting up or down by one, wrapping from 9 to 0
//     (012345, 123456, 890123, 987654, 210987);
//   - "common": on the built-in list of common 6-digit PINs (520520, 131420,
//     147258, 159357, ...), a birth year and month YYYYMM (195001 to
//     200912), or a birth date YYMMDD or MMDDYY in the years 1950 to 2009.
//
// Together the rules refuse about 5% of the 10^6 PINs, inside the 1-10% that
// Markert et al. (IEEE S&P 2020) found to balance security and usability.
func WeakPIN(pin string) (reason string, weak bool) {
	if !isPIN(pin) {
		return "format", true
	}
	var d [PINLength]int
	for i := range d {
		d[i] = int(pin[i] - '0')
	}
	switch {
	case repetitivePIN(d):
		return "repetitive", true
	case sequencePIN(d, 1), sequencePIN(d, 9):
		return "sequence", true
	}
	if _, ok := commonPINs()[pin]; ok {
		return "common", true
	}
	if datePIN(d) {
		return "common", true
	}
	return "", false
}

// isPIN reports whether s is exactly PINLength ASCII digits.
func isPIN(s string) bool {
	if len(s) != PINLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// repetitivePIN: ababab (which includes aaaaaa), abcabc, aabbcc, aaabbb and
// abccba.
func repetitivePIN(d [PINLength]int) bool {
	return (d[0] == d[2] && d[2] == d[4] && d[1] == d[3] && d[3] == d[5]) ||
		(d[0] == d[3] && d[1] == d[4] && d[2] == d[5]) ||
		(d[0] == d[1] && d[2] == d[3] && d[4] == d[5]) ||
		(d[0] == d[1] && d[1] == d[2] && d[3] == d[4] && d[4] == d[5]) ||
		(d[0] == d[5] && d[1] == d[4] && d[2] == d[3])
}

// sequencePIN reports whether each digit is the one before plus step,
// modulo 10 (step 1 counts up, step 9 counts down).
func sequencePIN(d [PINLength]int, step int) bool {
	for i := 1; i < PINLength; i++ {
		if d[i] != (d[i-1]+step)%10 {
			return false
		}
	}
	return true
}

// datePIN reports whether d reads as YYYYMM, YYMMDD or MMDDYY of a birth
// year from firstBirthYear to lastBirthYear.
func datePIN(d [PINLength]int) bool {
	two := func(i int) int { return d[i]*10 + d[i+1] }
	if y := two(0)*100 + two(2); y >= firstBirthYear && y <= lastBirthYear && validMonth(two(4)) {
		return true
	}
	return validDate(fullYear(two(0)), two(2), two(4)) ||
		validDate(fullYear(two(4)), two(0), two(2))
}

// fullYear maps a two-digit year into firstBirthYear..firstBirthYear+99.
func fullYear(yy int) int {
	y := 1900 + yy
	if y < firstBirthYear {
		y += 100
	}
	return y
}

func validMonth(m int) bool { return m >= 1 && m <= 12 }

// validDate reports whether y-m-d is a real calendar date in the birth years.
func validDate(y, m, d int) bool {
	if y < firstBirthYear || y > lastBirthYear || !validMonth(m) || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
