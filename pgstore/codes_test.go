package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	macRight = []byte("0123456789abcdef0123456789abcdef")
	macWrong = []byte("fedcba9876543210fedcba9876543210")
)

// verifyCode checks mac against scope's code with no failure counters.
func verifyCode(ctx context.Context, st *pgstore.Store, scope string, mac []byte, now time.Time, maxTries int) (security.CodeResult, error) {
	got, tallies, err := st.VerifyCode(ctx, now, security.CodeCheck{Scope: scope, MAC: mac, MaxTries: maxTries})
	if len(tallies) != 0 {
		return got, fmt.Errorf("%d tallies without failures", len(tallies))
	}
	return got, err
}

func TestVerifyCode(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	exp := base.Add(5 * time.Minute)

	type step struct {
		mac  []byte
		now  time.Time
		want security.CodeResult
	}
	tests := []struct {
		name  string
		tries int
		steps []step
	}{
		{"right", 0, []step{{macRight, base, security.CodeMatched}, {macRight, base, security.CodeMissing}}},
		{"wrong then right", 0, []step{{macWrong, base, security.CodeWrong}, {macRight, base, security.CodeMatched}}},
		{"voided on last try", 0, []step{
			{macWrong, base, security.CodeWrong}, {macWrong, base, security.CodeWrong},
			{macWrong, base, security.CodeVoided}, {macRight, base, security.CodeMissing},
		}},
		{"stored tries count", 2, []step{{macWrong, base, security.CodeVoided}, {macRight, base, security.CodeMissing}}},
		{"expired at ExpiresAt", 0, []step{{macRight, exp, security.CodeMissing}}},
		{"live just before", 0, []step{{macRight, exp.Add(-time.Nanosecond), security.CodeMatched}}},
		{"empty mac is wrong", 0, []step{{nil, base, security.CodeWrong}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := "s:" + tt.name
			require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: scope, MAC: macRight, ExpiresAt: exp, Tries: tt.tries}))
			for i, s := range tt.steps {
				got, err := verifyCode(ctx, st, scope, s.mac, s.now, 3)
				require.NoError(t, err)
				assert.Equal(t, s.want, got, "step %d", i)
			}
		})
	}

	t.Run("never sent", func(t *testing.T) {
		got, err := verifyCode(ctx, st, "s:none", macRight, base, 3)
		require.NoError(t, err)
		assert.Equal(t, security.CodeMissing, got)
	})
	t.Run("replaced", func(t *testing.T) {
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s:r", MAC: macWrong, ExpiresAt: exp}))
		got, err := verifyCode(ctx, st, "s:r", macRight, base, 3)
		require.NoError(t, err)
		require.Equal(t, security.CodeWrong, got)
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s:r", MAC: macRight, ExpiresAt: exp}))
		// The new code starts with no tries: two wrong ones are still allowed.
		for _, want := range []security.CodeResult{security.CodeWrong, security.CodeWrong, security.CodeVoided} {
			got, err = verifyCode(ctx, st, "s:r", macWrong, base, 3)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		}
	})
	t.Run("deleted", func(t *testing.T) {
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s:d", MAC: macRight, ExpiresAt: exp}))
		require.NoError(t, st.DeleteCode(ctx, "s:d"))
		require.NoError(t, st.DeleteCode(ctx, "s:d"), "deleting nothing is fine")
		got, err := verifyCode(ctx, st, "s:d", macRight, base, 3)
		require.NoError(t, err)
		assert.Equal(t, security.CodeMissing, got)
	})
}

func TestVerifyCodeConcurrent(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})

	t.Run("one match", func(t *testing.T) {
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "c", MAC: macRight, ExpiresAt: base.Add(time.Minute)}))
		var matched, missing atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				got, err := verifyCode(ctx, st, "c", macRight, base, 5)
				assert.NoError(t, err)
				switch got {
				case security.CodeMatched:
					matched.Add(1)
				case security.CodeMissing:
					missing.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), matched.Load())
		assert.Equal(t, int32(49), missing.Load())
	})

	t.Run("wrong tries counted exactly", func(t *testing.T) {
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "w", MAC: macRight, ExpiresAt: base.Add(time.Minute)}))
		counts := make(map[security.CodeResult]int)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				got, err := verifyCode(ctx, st, "w", macWrong, base, 10)
				assert.NoError(t, err)
				mu.Lock()
				counts[got]++
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, map[security.CodeResult]int{
			security.CodeWrong: 9, security.CodeVoided: 1, security.CodeMissing: 20,
		}, counts)
	})
}

// TestVerifyCodeMaxTriesBelowOne: a maxTries below 1 behaves as 1, so the
// first wrong try voids the code, while a right first try still matches.
func TestVerifyCodeMaxTriesBelowOne(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	exp := base.Add(time.Minute)
	for _, maxTries := range []int{1, 0, -1, -1 << 40} {
		t.Run(fmt.Sprint(maxTries), func(t *testing.T) {
			scope := fmt.Sprint("max:", maxTries)
			require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: scope, MAC: macRight, ExpiresAt: exp}))
			got, err := verifyCode(ctx, st, scope, macWrong, base, maxTries)
			require.NoError(t, err)
			assert.Equal(t, security.CodeVoided, got, "the first wrong try voids the code")
			got, err = verifyCode(ctx, st, scope, macRight, base, maxTries)
			require.NoError(t, err)
			assert.Equal(t, security.CodeMissing, got, "a voided code is gone")

			require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: scope, MAC: macRight, ExpiresAt: exp}))
			got, err = verifyCode(ctx, st, scope, macRight, base, maxTries)
			require.NoError(t, err)
			assert.Equal(t, security.CodeMatched, got)
		})
	}
}

// TestVerifyCodeFailuresAcrossScopes: checks of different codes sharing a
// failure counter take turns on it, so no more wrong tries get past its Max
// than it allows (the code rows do not serialise them).
func TestVerifyCodeFailuresAcrossScopes(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, func(c *pgxpool.Config) { c.MaxConns = 16 })
	st := newStore(t, pool, pgstore.Config{})
	const n, limit = 40, 7
	fails := []security.Hit{
		{Key: "t.ip", Window: time.Hour, Add: 1, Max: limit},
		{Key: "t.phone", Window: time.Hour, Add: 1},
	}
	for i := range n {
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: fmt.Sprint("t.code", i), MAC: macRight, ExpiresAt: base.Add(time.Minute)}))
	}
	results := make([]security.CodeResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, _, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: fmt.Sprint("t.code", i), MAC: macWrong, MaxTries: 5, Failures: fails})
			assert.NoError(t, err)
			results[i] = got
		})
	}
	wg.Wait()
	counts := map[security.CodeResult]int{}
	for _, r := range results {
		counts[r]++
	}
	assert.Equal(t, map[security.CodeResult]int{security.CodeWrong: limit, security.CodeBlocked: n - limit}, counts)
	got, err := st.Count(ctx, base, []security.Hit{{Key: "t.ip", Window: time.Hour}, {Key: "t.phone", Window: time.Hour}})
	require.NoError(t, err)
	assert.Equal(t, limit, got[0].Count)
	assert.Equal(t, limit, got[1].Count)
}

// TestVerifyCodeFailuresLeaveNoRows: a check that moves no counter writes
// none (a counter that counts nothing has no row).
func TestVerifyCodeFailuresLeaveNoRows(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{})
	fails := []security.Hit{{Key: "f", Window: time.Hour, Add: 1, Max: 3}}
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute)}))
	got, tallies, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: macRight, MaxTries: 3, Failures: fails})
	require.NoError(t, err)
	assert.Equal(t, security.CodeMatched, got)
	assert.Equal(t, []security.Tally{{}}, tallies)
	got, _, err = st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: macRight, MaxTries: 3, Failures: fails})
	require.NoError(t, err)
	assert.Equal(t, security.CodeMissing, got)
	assert.Zero(t, count(t, pool, st, "counters"))
}

func TestVerifyCodeInvalid(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{})
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute)}))
	for name, c := range map[string]security.CodeCheck{
		"empty scope": {MAC: macWrong, MaxTries: 3},
		"empty key": {Scope: "s", MAC: macWrong, MaxTries: 3,
			Failures: []security.Hit{{Key: "f", Window: time.Hour, Add: 1}, {Window: time.Hour, Add: 1}}},
		"short window": {Scope: "s", MAC: macWrong, MaxTries: 3,
			Failures: []security.Hit{{Key: "f", Window: security.CounterBuckets - 1, Add: 1}}},
	} {
		_, _, err := st.VerifyCode(ctx, base, c)
		assert.ErrorIs(t, err, security.ErrInvalidArgument, name)
	}
	assert.ErrorIs(t, storetest.StoreCode(ctx, st, security.Code{MAC: macRight, ExpiresAt: base.Add(time.Minute)}), security.ErrInvalidArgument)
	assert.Zero(t, count(t, pool, st, "counters"), "nothing was counted")
	got, err := verifyCode(ctx, st, "s", macRight, base, 1)
	require.NoError(t, err)
	assert.Equal(t, security.CodeMatched, got, "no try was counted on the code")
}

// TestPutCodeAndVerifyCodeTakeLocksInOneOrder: a PutCode whose gate adds to
// a counter and a wrong check moving the same counter, on the same code,
// run concurrently: both take the counter's lock before the code row, so
// neither waits on the other in a circle (PostgreSQL would abort one with
// "deadlock detected").
func TestPutCodeAndVerifyCodeTakeLocksInOneOrder(t *testing.T) {
	st := newStore(t, newPool(t, nil), pgstore.Config{})
	ctx := context.Background()
	shared := security.Hit{Key: "t.shared", Window: time.Hour, Add: 1}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 200 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _, err := st.PutCode(ctx, base, security.Code{Scope: "t.code", MAC: macRight, ExpiresAt: base.Add(time.Hour)}, []security.Hit{shared})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, _, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "t.code", MAC: macWrong, MaxTries: 1000, Failures: []security.Hit{shared}})
			errs <- err
		}()
		if i%20 == 19 {
			wg.Wait()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
