package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/storetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCleanup(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	now := base.Add(48 * time.Hour).Truncate(time.Minute)
	st := newStore(t, pool, pgstore.Config{Now: func() time.Time { return now }, CleanupBatch: 2})
	const window = 12 * time.Minute // buckets of a minute: now is a bucket's start
	// A counter expires when its newest bucket holding events leaves the
	// window: 13 buckets after that bucket starts.
	expiry := 13 * time.Minute

	// Expired at now: 5 codes (more than a batch), 3 tickets, 3 counters.
	for i := range 5 {
		require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: fmt.Sprint("old", i), MAC: macRight, ExpiresAt: now}))
	}
	for i := range 3 {
		tk := ticket(fmt.Sprint("old", i), fmt.Sprint("scope", i), false)
		tk.ExpiresAt = now.Add(-time.Second)
		require.NoError(t, st.PutTicket(ctx, tk))
	}
	hit(t, st, now.Add(-expiry), security.Hit{Key: "old", Window: window, Add: 1})
	hit(t, st, now.Add(-expiry-time.Nanosecond), security.Hit{Key: "old2", Window: window, Add: 5})
	// Its newest events are old: an older bucket does not keep it.
	hit(t, st, now.Add(-expiry-5*time.Minute), security.Hit{Key: "old3", Window: window, Add: 1})
	hit(t, st, now.Add(-expiry), security.Hit{Key: "old3", Window: window, Add: 1})

	// Live at now.
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "live", MAC: macRight, ExpiresAt: now.Add(time.Nanosecond)}))
	live := ticket("live", "", false)
	live.ExpiresAt = now.Add(time.Minute)
	require.NoError(t, st.PutTicket(ctx, live))
	hit(t, st, now.Add(-expiry+time.Minute), security.Hit{Key: "live", Window: window, Add: 1})
	// An old bucket and a newer one: the newer keeps the counter.
	hit(t, st, now.Add(-expiry), security.Hit{Key: "mixed", Window: window, Add: 1})
	hit(t, st, now.Add(-time.Minute), security.Hit{Key: "mixed", Window: window, Add: 1})
	assert.Equal(t, 5, count(t, pool, st, "counters"))

	n, err := st.Cleanup(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5+3+3), n)

	assert.Equal(t, 1, count(t, pool, st, "codes"))
	assert.Equal(t, 1, count(t, pool, st, "tickets"))
	assert.Equal(t, 2, count(t, pool, st, "counters"))

	got, err := verifyCode(ctx, st, "live", macRight, now, 3)
	require.NoError(t, err)
	assert.Equal(t, security.CodeMatched, got)
	_, err = st.GetTicket(ctx, "live", now)
	assert.NoError(t, err)
	tallies := hit(t, st, now, security.Hit{Key: "live", Window: window}, security.Hit{Key: "mixed", Window: window})
	assert.Equal(t, 1, tallies[0].Count, "the live event still counts")
	assert.Equal(t, 1, tallies[1].Count, "the newer event still counts")

	n, err = st.Cleanup(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to delete")
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
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "old", MAC: macRight, ExpiresAt: base}))

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
