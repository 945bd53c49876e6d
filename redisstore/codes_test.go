package redisstore_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

// TestVerifyCodeMaxTries checks how maxTries bounds wrong tries on the real
// server: a value below 1 counts as 1 (the first wrong try voids the code
// and deletes its key), never as "no limit"; a huge value is honoured.
func TestVerifyCodeMaxTries(t *testing.T) {
	tests := []struct {
		name     string
		maxTries int
		// wrong is how many wrong tries answer CodeWrong before one
		// answers CodeVoided (-1: none voids within the tries made).
		wrong int
	}{
		{"zero", 0, 0},
		{"minus one", -1, 0},
		{"min int", math.MinInt, 0},
		{"one", 1, 0},
		{"three", 3, 2},
		{"max int", math.MaxInt, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			now := time.Now()
			mac := randomMAC()
			require.NoError(t, storetest.StoreCode(ctx, e.store, security.Code{Scope: "s", MAC: mac, ExpiresAt: now.Add(time.Hour)}))

			tries := tt.wrong
			if tries < 0 {
				tries = 10
			}
			for i := range tries {
				r, _, err := e.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "s", MAC: randomMAC(), MaxTries: tt.maxTries})
				require.NoError(t, err)
				require.Equal(t, security.CodeWrong, r, "wrong try %d", i+1)
			}
			if tt.wrong < 0 {
				r, _, err := e.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "s", MAC: mac, MaxTries: tt.maxTries})
				require.NoError(t, err)
				assert.Equal(t, security.CodeMatched, r, "still live after %d wrong tries", tries)
				return
			}
			r, _, err := e.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "s", MAC: randomMAC(), MaxTries: tt.maxTries})
			require.NoError(t, err)
			assert.Equal(t, security.CodeVoided, r, "wrong try %d", tries+1)
			assert.Empty(t, e.keys(t), "a voided code leaves no key")
			r, _, err = e.store.VerifyCode(ctx, now, security.CodeCheck{Scope: "s", MAC: mac, MaxTries: tt.maxTries})
			require.NoError(t, err)
			assert.Equal(t, security.CodeMissing, r, "the right MAC after voiding")
		})
	}
}
