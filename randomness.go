package security

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// falseAlarm is the most probability each statistical check below may
// have of refusing a uniformly random secret. With three checks and the
// chance of a random secret looking like a shorter alphabet (at most
// (10/16)^64 < 1e-13 for hex, (95/256)^32 < 2e-14 for bytes), a secret from
// crypto/rand is refused with probability below 1e-12.
const falseAlarm = 2.5e-13

// maxAnalysed bounds the symbols the checks read (the first ones).
const maxAnalysed = 1024

// alphabet is what a secret appears to be drawn from.
type alphabet struct {
	what string
	size int // symbols
	min  int // symbols for 256 bits: ceil(256 / log2(size))
}

var (
	alphaDecimal = alphabet{"decimal digits", 10, 78}
	alphaHex     = alphabet{"hex digits", 16, 64}
	alphaBase64  = alphabet{"base64 text", 64, 43}
	alphaText    = alphabet{"printable text", 95, 43} // 43, not 39: a 95-symbol draw may avoid every non-base64 symbol
	alphaBytes   = alphabet{"bytes", 256, 32}
)

// classify names the smallest usual alphabet holding every byte of b, and
// returns the symbols to analyse (base64 padding removed).
func classify(b []byte) (alphabet, []byte) {
	digits, hexa, b64, printable := true, true, true, true
	body := bytes.TrimRight(b, "=")
	if len(b)-len(body) > 2 {
		b64 = false
	}
	for i, c := range b {
		isDigit := c >= '0' && c <= '9'
		isLetter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digits = digits && isDigit
		hexa = hexa && (isDigit || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
		if i < len(body) {
			b64 = b64 && (isDigit || isLetter || c == '+' || c == '/' || c == '-' || c == '_')
		}
		printable = printable && c >= 0x20 && c <= 0x7e
	}
	switch {
	case digits:
		return alphaDecimal, b
	case hexa:
		return alphaHex, b
	case b64:
		return alphaBase64, body
	case printable:
		return alphaText, b
	}
	return alphaBytes, b
}

// validateSecret refuses a secret that is too short for 256 bits in the
// alphabet it is written in, or plainly not random: too few distinct
// symbols, a repeated block, or a counting run. Each check is tuned so a
// uniformly random secret fails it with probability at most falseAlarm;
// none can prove a secret random (a long English sentence passes).
func validateSecret(name string, b []byte) error {
	const hint = "use 32 bytes from crypto/rand, or their 64 hex digits or 43+ base64 characters"
	a, sym := classify(b)
	if len(b) == 0 {
		return fmt.Errorf("security: %s is required (%s)", name, hint)
	}
	if len(sym) < a.min {
		return fmt.Errorf("security: %s is %d %s; 256 bits need at least %d (%s)", name, len(sym), a.what, a.min, hint)
	}
	if reason := notRandom(sym, a.size); reason != "" {
		return fmt.Errorf("security: %s does not look random (%s); %s", name, reason, hint)
	}
	return nil
}

// notRandom says why symbols drawn from an alphabet of size symbols do not
// look uniformly random, or returns "".
func notRandom(sym []byte, size int) string {
	if len(sym) > maxAnalysed {
		sym = sym[:maxAnalysed]
	}
	n := len(sym)
	var seen [256]bool
	distinct := 0
	for _, c := range sym {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct <= maxRandomDistinctRefused(n, size) {
		return fmt.Sprintf("only %d distinct symbols in %d", distinct, n)
	}
	steps := 0 // symbols continuing the step between the two before: "aaaa", "1234", "aceg"
	for i := 2; i < n; i++ {
		if sym[i]-sym[i-1] == sym[i-1]-sym[i-2] {
			steps++
		}
	}
	if steps >= minRandomTail(n-2, size, 1) {
		return "a repeated or counting run"
	}
	most := 0 // the most symbols equal to the one p places before, over periods p
	for p := 1; 2*p <= n; p++ {
		same := 0
		for i := p; i < n; i++ {
			if sym[i] == sym[i-p] {
				same++
			}
		}
		most = max(most, same)
	}
	if most >= minRandomTail(n-1, size, n/2) {
		return "a repeated block"
	}
	return ""
}

// logChoose is ln C(n, k).
func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// maxRandomDistinctRefused is the largest j such that n uniform draws from
// size symbols show at most j distinct ones with probability at most
// falseAlarm, by the union bound over the C(size, j) sets of j symbols:
// P(distinct <= j) <= C(size, j) (j/size)^n. It returns 0 when even one
// distinct symbol is not that unlikely.
func maxRandomDistinctRefused(n, size int) int {
	j := 0
	for k := 1; k < size; k++ {
		if logChoose(size, k)+float64(n)*math.Log(float64(k)/float64(size)) > math.Log(falseAlarm) {
			break
		}
		j = k
	}
	return j
}

// minRandomTail is the smallest t such that, among m events each of
// probability at most 1/size given the ones before, t or more happen with
// probability at most falseAlarm/union: P <= C(m, t) size^-t. union counts
// the tests run (a bound over all of them).
func minRandomTail(m, size, union int) int {
	limit := math.Log(falseAlarm) - math.Log(float64(max(union, 1)))
	for t := 1; t <= m; t++ {
		if logChoose(m, t)-float64(t)*math.Log(float64(size)) <= limit {
			return t
		}
	}
	return m + 1 // cannot happen with a meaningful bound: never refuse
}

// randProbe is what New reads from Config.Rand: two blocks.
const randProbe = 32

// validateRand reads two blocks from r and refuses a source that fails,
// repeats itself, gives an all-zero block or plainly non-random bytes (the
// byte checks of validateSecret, false alarm below 1e-12 for crypto/rand).
func validateRand(r io.Reader) error {
	var b [2 * randProbe]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return fmt.Errorf("security: Config.Rand: %w", err)
	}
	first, second := b[:randProbe], b[randProbe:]
	var zero [randProbe]byte
	switch {
	case bytes.Equal(first, second):
		return errors.New("security: Config.Rand repeats itself: two reads gave the same bytes; use crypto/rand.Reader")
	case bytes.Equal(first, zero[:]) || bytes.Equal(second, zero[:]):
		return errors.New("security: Config.Rand gave 32 zero bytes; use crypto/rand.Reader")
	}
	if reason := notRandom(b[:], alphaBytes.size); reason != "" {
		return fmt.Errorf("security: Config.Rand does not look random (%s); use crypto/rand.Reader", reason)
	}
	return nil
}
