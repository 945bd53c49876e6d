package security

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nopStore satisfies Store for tests that never reach it.
type nopStore struct{ Store }

func newTestService(t *testing.T, cfg Config) *Service {
	t.Helper()
	if cfg.Secret == nil {
		cfg.Secret = []byte("JSYW973FjUDX6z4k+YZHj6OAINteLwzzgHjK1D8NWhY=")
	}
	s, err := New(nopStore{}, NotifierFunc(func(context.Context, Message) error { return nil }), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func TestCodesAreUniformDigits(t *testing.T) {
	s := newTestService(t, Config{})
	// n draws for the digit counts; the first m for the birthday count.
	const n, m = 1_000_000, 100_000
	var counts [6][10]int
	leadingZero := 0
	seen := make(map[string]bool, m)
	dups := 0
	for i := range n {
		c, err := s.newCode()
		require.NoError(t, err)
		require.Len(t, c, 6)
		if i < m {
			if seen[c] {
				dups++
			}
			seen[c] = true
		}
		if c[0] == '0' {
			leadingZero++
		}
		for i := range 6 {
			counts[i][c[i]-'0']++
		}
	}
	// χ² per position, 9 degrees of freedom: 52.0 is p = 4.5e-8 (the upper
	// tail of χ²₉, from the regularized incomplete gamma function), so the
	// six positions together fail a fair generator in fewer than 3e-7 runs.
	// The test keeps its power: a byte taken modulo 10 (digits 0-5 each 2.6%
	// too likely, 6-9 2.3% too rare) gives χ² ≈ 366 at n = 10^6.
	for pos := range 6 {
		chi := 0.0
		for _, k := range counts[pos] {
			d := float64(k) - n/10.0
			chi += d * d / (n / 10.0)
		}
		assert.Less(t, chi, 52.0, "position %d", pos)
	}
	assert.InDelta(t, 0.10, float64(leadingZero)/n, 0.005, "leading zeros kept, about 10%%")
	// Birthday expectation for 1e5 draws in 1e6: about 4,837 repeats, with a
	// standard deviation near 70; 400 is 5.7 of them (p ≈ 1e-8).
	assert.InDelta(t, 4837, dups, 400)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestRandomFailureFailsClosed(t *testing.T) {
	s := newTestService(t, Config{})
	s.rand = failingReader{}
	_, err := s.newCode()
	require.Error(t, err)
	_, err = s.newHandle()
	require.Error(t, err)
	_, err = New(nopStore{}, NotifierFunc(func(context.Context, Message) error { return nil }),
		Config{Secret: []byte("JSYW973FjUDX6z4k+YZHj6OAINteLwzzgHjK1D8NWhY="), Rand: failingReader{}})
	require.Error(t, err, "New needs randomness for the decoy hash")
	var _ io.Reader = failingReader{}
}

func TestHashSlotsBoundedByContext(t *testing.T) {
	s := newTestService(t, Config{MaxConcurrentHashes: 2})
	release1, err := s.acquire(context.Background())
	require.NoError(t, err)
	release2, err := s.acquire(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = s.hashSecret(ctx, "whatever password")
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	release1()
	h, err := s.hashSecret(context.Background(), "whatever password")
	require.NoError(t, err)
	release2()
	ok, outdated, err := s.checkSecret(context.Background(), "whatever password", h)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, outdated)
}

func TestStoredHashOutsideCeilingIsRefusedUnrun(t *testing.T) {
	s := newTestService(t, Config{})
	for _, h := range []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=19456,t=50,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$2a$10$abcdefghijklmnopqrstuv",
		"",
	} {
		_, _, err := s.checkSecret(context.Background(), "pw", h)
		require.ErrorIs(t, err, errBadHash, h)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"+8613800138000":    "+86138****8000",
		"+85261234567":      "+852****4567",
		"alice@example.com": "a***@example.com",
		"":                  "",
		"x":                 "x***",
	} {
		assert.Equal(t, want, Mask(in), in)
	}
}
