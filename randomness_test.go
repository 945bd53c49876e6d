package security

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// randomText draws n symbols uniformly from alphabet.
func randomText(t testing.TB, alphabet string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		require.NoError(t, err)
		b[i] = alphabet[k.Int64()]
	}
	return b
}

// TestRandomSecretsPass: secrets as hosts make them, from crypto/rand,
// pass. A failure here at any rate is a false alarm far above the
// documented 1e-12.
func TestRandomSecretsPass(t *testing.T) {
	var printable strings.Builder
	for c := byte(0x20); c <= 0x7e; c++ {
		printable.WriteByte(c)
	}
	forms := map[string]func() []byte{
		"32 bytes":          func() []byte { return randomBytes(t, 32) },
		"64 bytes":          func() []byte { return randomBytes(t, 64) },
		"2 KiB":             func() []byte { return randomBytes(t, 2048) },
		"hex of 32 bytes":   func() []byte { return []byte(hex.EncodeToString(randomBytes(t, 32))) },
		"HEX of 32 bytes":   func() []byte { return []byte(strings.ToUpper(hex.EncodeToString(randomBytes(t, 32)))) },
		"base64 (padded)":   func() []byte { return []byte(base64.StdEncoding.EncodeToString(randomBytes(t, 32))) },
		"base64url (raw)":   func() []byte { return []byte(base64.RawURLEncoding.EncodeToString(randomBytes(t, 32))) },
		"base64 of 48":      func() []byte { return []byte(base64.StdEncoding.EncodeToString(randomBytes(t, 48))) },
		"43 printable":      func() []byte { return randomText(t, printable.String(), 43) },
		"78 decimal digits": func() []byte { return randomText(t, "0123456789", 78) },
	}
	for name, make := range forms {
		n := 1000
		if testing.Short() || name == "2 KiB" {
			n = 50
		}
		for range n {
			s := make()
			require.NoError(t, validateSecret("Config.Secret", s), "%s: %q", name, s)
		}
	}
}

func TestWeakSecretsRefused(t *testing.T) {
	block := randomBytes(t, 8)
	half := randomBytes(t, 16)
	counting := make([]byte, 32)
	for i := range counting {
		counting[i] = byte(i * 7)
	}
	nearlyZero := make([]byte, 32)
	copy(nearlyZero[20:], randomBytes(t, 12))
	for name, c := range map[string]struct {
		secret []byte
		why    string
	}{
		"empty":                       {nil, "required"},
		"32 zero bytes":               {make([]byte, 32), "distinct"},
		"one letter 32 times":         {[]byte(strings.Repeat("k", 32)), "256 bits need"},
		"one letter 64 times":         {[]byte(strings.Repeat("k", 64)), "distinct"},
		"random 8-byte block 4 times": {bytes.Repeat(block, 4), "distinct"},
		"random half twice":           {append(append([]byte{}, half...), half...), "distinct"},
		"base64 text twice":           {[]byte(strings.Repeat("1iwCAzPBShnwO0Lw/k2wE6LHyHnYpgkBvK9UZC+omL0", 2)), "repeated block"},
		"arithmetic bytes":            {counting, "run"},
		"zeros then 12 random bytes":  {nearlyZero, "distinct"},
		"hex of 16 bytes":             {[]byte(hex.EncodeToString(half)), "256 bits need at least 64"},
		"base64 of 24 bytes":          {[]byte(base64.StdEncoding.EncodeToString(randomBytes(t, 24))), "256 bits need at least 43"},
		"32 printable characters":     {[]byte("s3cr3t!-P@ssw0rd-f0r-pr0duct10n!"), "256 bits need at least 43"},
		"counting text":               {[]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"), "run"},
		"test placeholder":            {[]byte("0123456789abcdef0123456789abcdef-test-secret"), "run"},
		"hex counting":                {[]byte(strings.Repeat("0123456789abcdef", 4)), "run"},
		"digits":                      {[]byte(strings.Repeat("1234567890", 8)), "run"},
		"repeated word":               {[]byte(strings.Repeat("secret-", 7)), "distinct"},
		"two symbols":                 {[]byte(strings.Repeat("xy", 10) + strings.Repeat("yx", 12)), "distinct"},
	} {
		err := validateSecret("Config.Secret", c.secret)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.why, name)
		assert.True(t, strings.HasPrefix(err.Error(), "security: Config.Secret "), name)
		if len(c.secret) > 0 {
			assert.NotContains(t, err.Error(), string(c.secret), "%s: the secret is never echoed", name)
		}
	}
}

// TestFalseAlarmBounds checks the thresholds against exact probabilities
// for the smallest raw secret, so the union bounds used at run time are
// known to hold: 32 uniform bytes show 16 or fewer distinct values with
// probability below 1e-12, and 9 or more of 30 events of chance 1/256
// happen with probability below 1e-12.
func TestFalseAlarmBounds(t *testing.T) {
	require.Equal(t, 16, maxRandomDistinctRefused(32, 256), "fewer than 17 distinct bytes in 32 refuses")
	require.Equal(t, 9, minRandomTail(30, 256, 1))
	require.Equal(t, 9, minRandomTail(31, 256, 16))

	// Exact: P(distinct <= j) for n draws from 256, by dynamic programming
	// over the number of distinct values seen so far.
	p := make([]float64, 33)
	p[0] = 1
	for range 32 {
		next := make([]float64, 33)
		for k, v := range p {
			if v == 0 {
				continue
			}
			next[k] += v * float64(k) / 256
			if k < 32 {
				next[k+1] += v * float64(256-k) / 256
			}
		}
		p = next
	}
	atMost16 := 0.0
	for k := 0; k <= 16; k++ {
		atMost16 += p[k]
	}
	assert.Less(t, atMost16, 1e-12)
	assert.Greater(t, atMost16, 0.0)

	// Exact binomial tail P(Bin(30, 1/256) >= 9).
	tail, q := 0.0, 1.0/256
	for k := 9; k <= 30; k++ {
		c := 1.0
		for i := range k {
			c = c * float64(30-i) / float64(i+1)
		}
		term := c
		for range k {
			term *= q
		}
		for range 30 - k {
			term *= 1 - q
		}
		tail += term
	}
	assert.Less(t, tail, 1e-12)
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

type countingReader struct{ n byte }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

func TestRandSourceChecked(t *testing.T) {
	block := randomBytes(t, 32)
	for name, c := range map[string]struct {
		r   io.Reader
		why string
	}{
		"zeros":          {constReader(0), "repeats itself"},
		"constant":       {constReader(7), "repeats itself"},
		"one block":      {bytes.NewReader(append(append([]byte{}, block...), block...)), "repeats itself"},
		"zero block":     {bytes.NewReader(append(make([]byte, 32), block...)), "zero bytes"},
		"counter":        {&countingReader{}, "run"},
		"short":          {bytes.NewReader(block), "Config.Rand"},
		"failing":        {failingReader{}, "entropy exhausted"},
		"16-byte period": {bytes.NewReader(bytes.Repeat(block[:16], 4)), "repeats itself"},
		"8-byte period":  {bytes.NewReader(bytes.Repeat(block[:8], 4+4)), "repeats itself"},
		"period 24":      {bytes.NewReader(bytes.Repeat(block[:24], 3)), "does not look random"},
	} {
		err := validateRand(c.r)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.why, name)
		assert.True(t, strings.HasPrefix(err.Error(), "security: Config.Rand"), name)
	}
	for range 2000 {
		require.NoError(t, validateRand(rand.Reader))
	}
	_, err := New(nopStore{}, NotifierFunc(nil), Config{Secret: randomBytes(t, 32), Rand: constReader(0)})
	require.ErrorContains(t, err, "security: Config.Rand")
	require.False(t, errors.Is(err, io.EOF))
}
