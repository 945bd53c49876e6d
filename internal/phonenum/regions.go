package phonenum

import "regexp"

// region is what Parse knows about one country or territory of the small
// table: its calling code, national trunk prefix and what its national
// significant numbers (NSN, the digits after the calling code) look like.
type region struct {
	code string // calling code, without "+"
	// trunk is the national trunk prefix dialled before the NSN inside the
	// country ("0", "1"), or "" if there is none.
	trunk string
	// intl lists the international call prefixes besides "00".
	intl []string
	// nsn matches a valid national significant number.
	nsn *regexp.Regexp
}

// regions is the small table of regions Parse reads national numbers in.
// The NSN patterns are deliberately loose (length and leading digit) except
// for mainland China, where only mobile numbers (which can receive SMS) are
// valid.
var regions = map[string]region{
	"CN": {code: "86", trunk: "0", nsn: regexp.MustCompile(`^1[3-9]\d{9}$`)},
	"HK": {code: "852", nsn: regexp.MustCompile(`^[2-9]\d{7}$`)},
	"MO": {code: "853", nsn: regexp.MustCompile(`^[2-8]\d{7}$`)},
	"TW": {code: "886", trunk: "0", nsn: regexp.MustCompile(`^[2-9]\d{7,8}$`)},
	"US": {code: "1", trunk: "1", intl: []string{"011"}, nsn: regexp.MustCompile(`^[2-9]\d{2}[2-9]\d{6}$`)},
	"CA": {code: "1", trunk: "1", intl: []string{"011"}, nsn: regexp.MustCompile(`^[2-9]\d{2}[2-9]\d{6}$`)},
	"GB": {code: "44", trunk: "0", nsn: regexp.MustCompile(`^[1-9]\d{8,9}$`)},
	"SG": {code: "65", nsn: regexp.MustCompile(`^[3689]\d{7}$`)},
	"JP": {code: "81", trunk: "0", intl: []string{"010"}, nsn: regexp.MustCompile(`^[1-9]\d{8,9}$`)},
	"KR": {code: "82", trunk: "0", intl: []string{"001", "002"}, nsn: regexp.MustCompile(`^[1-9]\d{7,9}$`)},
	"AU": {code: "61", trunk: "0", intl: []string{"0011"}, nsn: regexp.MustCompile(`^[1-9]\d{8}$`)},
	"DE": {code: "49", trunk: "0", nsn: regexp.MustCompile(`^[1-9]\d{5,12}$`)},
	"FR": {code: "33", trunk: "0", nsn: regexp.MustCompile(`^[1-9]\d{8}$`)},
	"IN": {code: "91", trunk: "0", nsn: regexp.MustCompile(`^[1-9]\d{9}$`)},
}

// byCode maps a calling code of the small table to its rules. Where two
// regions share a code (US and CA) their rules are the same.
var byCode = func() map[string]region {
	m := make(map[string]region, len(regions))
	for _, r := range regions {
		m[r.code] = r
	}
	return m
}()

// CallingCode returns the country calling code (without "+") of an ISO
// 3166-1 alpha-2 region of the small table, such as "86" for "CN". The
// region is matched without regard to case. ok is false for a region Parse
// cannot read national numbers in.
func CallingCode(region string) (code string, ok bool) {
	r, ok := regions[upperASCII(region)]
	return r.code, ok
}

// upperASCII upper-cases ASCII letters of a short string.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
