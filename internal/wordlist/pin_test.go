package wordlist_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/internal/wordlist"
)

func TestWeakPINRefused(t *testing.T) {
	tests := []struct {
		pin, reason string
	}{
		{"000000", "repetitive"},
		{"111111", "repetitive"},
		{"999999", "repetitive"},
		{"121212", "repetitive"},
		{"123123", "repetitive"},
		{"112233", "repetitive"},
		{"111222", "repetitive"},
		{"520520", "repetitive"},
		{"123321", "repetitive"},
		{"012345", "sequence"},
		{"123456", "sequence"},
		{"234567", "sequence"},
		{"890123", "sequence"},
		{"987654", "sequence"},
		{"654321", "sequence"},
		{"210987", "sequence"},
		{"131420", "common"},
		{"147258", "common"},
		{"159357", "common"},
		{"168168", "repetitive"},
		{"201314", "common"},
		{"520131", "common"},
		{"741852", "common"},
		{"198612", "common"}, // YYYYMM
		{"861015", "common"}, // YYMMDD
		{"101586", "common"}, // MMDDYY
		{"000229", "common"}, // 2000-02-29, a leap day
		{"12345", "format"},
		{"1234567", "format"},
		{"12345a", "format"},
		{" 12345", "format"},
		{"１２３４５６", "format"},
		{"١٢٣٤٥٦", "format"},
		{"+12345", "format"},
		{"-12345", "format"},
		{"", "format"},
	}
	for _, tt := range tests {
		t.Run(tt.pin, func(t *testing.T) {
			reason, weak := wordlist.WeakPIN(tt.pin)
			assert.True(t, weak)
			assert.Equal(t, tt.reason, reason)
		})
	}
}

func TestWeakPINAccepted(t *testing.T) {
	for _, pin := range []string{"024680", "390417", "730562", "482913", "010229" /* 2001 is no leap year */, "991332"} {
		t.Run(pin, func(t *testing.T) {
			reason, weak := wordlist.WeakPIN(pin)
			assert.False(t, weak, "reason %q", reason)
			assert.Empty(t, reason)
		})
	}
}

// TestWeakPINShare enumerates the whole PIN space: the rules must refuse
// between 1% and 11% of it (SEC-31; Markert et al. suggest about 10%).
func TestWeakPINShare(t *testing.T) {
	byReason := map[string]int{}
	weakCount := 0
	for i := range 1_000_000 {
		reason, weak := wordlist.WeakPIN(fmt.Sprintf("%06d", i))
		if weak {
			weakCount++
			byReason[reason]++
		} else {
			require.Empty(t, reason)
		}
	}
	share := float64(weakCount) / 1e6
	t.Logf("refused %d PINs (%.2f%%): %v", weakCount, 100*share, byReason)
	assert.GreaterOrEqual(t, share, 0.01)
	assert.LessOrEqual(t, share, 0.11)
	assert.Equal(t, 20, byReason["sequence"])
	assert.NotZero(t, byReason["repetitive"])
	assert.NotZero(t, byReason["common"])
	assert.Zero(t, byReason["format"])
}
