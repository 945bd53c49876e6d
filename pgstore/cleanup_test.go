package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCleanup(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	now := base.Add(48 * time.Hour)
	st := newStore(t, pool, pgstore.Config{Now: func() time.Time { return now }, CleanupBatch: 2})

	// Expired at now: 5 codes (more than a batch), 3 tickets, 1 rate log,
	// 1 forgotten run of failures.
	for i := range 5 {
		require.NoError(t, st.PutCode(ctx, security.Code{Scope: fmt.Sprint("old", i), MAC: macRight, ExpiresAt: now}))
	}
	for i := range 3 {
		tk := ticket(fmt.Sprint("old", i), fmt.Sprint("scope", i), false)
		tk.ExpiresAt = now.Add(-time.Second)
		require.NoError(t, st.PutTicket(ctx, tk))
	}
	minute := []security.Window{{Period: time.Minute, Max: 5}}
	_, err := st.Allow(ctx, "old", now.Add(-time.Minute), minute)
	require.NoError(t, err)
	fail(t, st, "old", now.Add(-pgstore.RunMemory), passwordPolicy, 1)
	// Failures per destination have no consecutive rule: they go when their
	// window ends, not a run memory later.
	fail(t, st, "window", now.Add(-24*time.Hour), security.LockPolicy{Window: 24 * time.Hour, WindowMax: 10}, 1)

	// Live at now.
	require.NoError(t, st.PutCode(ctx, security.Code{Scope: "live", MAC: macRight, ExpiresAt: now.Add(time.Nanosecond)}))
	live := ticket("live", "", false)
	live.ExpiresAt = now.Add(time.Minute)
	require.NoError(t, st.PutTicket(ctx, live))
	_, err = st.Allow(ctx, "live", now.Add(-time.Minute+time.Nanosecond), minute)
	require.NoError(t, err)
	fail(t, st, "run", now.Add(-time.Hour), passwordPolicy, 1)              // a run still remembered
	fail(t, st, "forever", base, security.LockPolicy{MaxConsecutive: 1}, 1) // locked until a reset
	fail(t, st, "locked", now.Add(-pgstore.RunMemory), security.LockPolicy{Consecutive: 1, LockFor: pgstore.RunMemory + time.Hour}, 1)

	n, err := st.Cleanup(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5+3+1+1+1), n)

	assert.Equal(t, 1, count(t, pool, st, "codes"))
	assert.Equal(t, 1, count(t, pool, st, "tickets"))
	assert.Equal(t, 1, count(t, pool, st, "rate_events"))
	assert.Equal(t, 3, count(t, pool, st, "attempts"))

	got, err := st.VerifyCode(ctx, "live", macRight, now, 3)
	require.NoError(t, err)
	assert.Equal(t, security.CodeMatched, got)
	_, err = st.GetTicket(ctx, "live", now)
	assert.NoError(t, err)
	wait, err := st.Allow(ctx, "live", now, []security.Window{{Period: time.Minute, Max: 1}})
	require.NoError(t, err)
	assert.Equal(t, time.Nanosecond, wait, "the live event still counts")
	assert.Equal(t, security.Attempt{Forever: true}, status(t, st, "forever", now, passwordPolicy))
	assert.False(t, status(t, st, "locked", now, passwordPolicy).Allowed)

	n, err = st.Cleanup(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to delete")
}

// TestRowsAreBounded: a flood on one key leaves one row whose log holds no
// more events than the largest window counts; a success leaves no row.
func TestRowsAreBounded(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{})
	windows := []security.Window{{Period: time.Minute, Max: 3}, {Period: time.Hour, Max: 10}}
	for i := range 100 {
		_, err := st.Allow(ctx, "flood", base.Add(time.Duration(i)*time.Minute), windows)
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT cardinality(events) FROM "+st.Schema()+".rate_events").Scan(&n))
	assert.LessOrEqual(t, n, 10)

	a, err := st.BeginAttempt(ctx, "ok", base, pinPolicy)
	require.NoError(t, err)
	require.NoError(t, st.SucceedAttempt(ctx, "ok", a.ID, base))
	assert.Equal(t, 0, count(t, pool, st, "attempts"))
}

func TestStartCleanup(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	reports := make(chan int64, 100)
	st := newStore(t, pool, pgstore.Config{
		Now: func() time.Time { return base },
		CleanupReport: func(n int64, err error) {
			assert.NoError(t, err)
			select {
			case reports <- n:
			default:
			}
		},
	})
	require.NoError(t, st.PutCode(ctx, security.Code{Scope: "old", MAC: macRight, ExpiresAt: base}))

	stop := st.StartCleanup(ctx, time.Millisecond)
	assert.Equal(t, int64(1), <-reports, "the first run deletes the expired code")
	stop()
	stop() // idempotent
	assert.Equal(t, 0, count(t, pool, st, "codes"))

	t.Run("ends with its context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		stop := st.StartCleanup(cctx, time.Hour)
		cancel()
		stop() // returns once the goroutine has ended
	})
}
