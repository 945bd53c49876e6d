package pgstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hit counts one Count batch and fails the test on an error.
func hit(t testing.TB, st *pgstore.Store, now time.Time, hits ...security.Hit) []security.Tally {
	t.Helper()
	got, err := st.Count(context.Background(), now, hits)
	require.NoError(t, err)
	require.Len(t, got, len(hits))
	return got
}

// TestCountRowIsBounded: a flood on one key leaves one row of 13 buckets,
// whatever the number of events and however long it lasts.
func TestCountRowIsBounded(t *testing.T) {
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{})
	const window = 12 * time.Minute // buckets of a minute
	start := base.Truncate(time.Minute)
	for i := range 100 {
		hit(t, st, start.Add(time.Duration(i)*20*time.Second), security.Hit{Key: "flood", Window: window, Add: 1000})
	}
	var n int
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT cardinality(buckets) FROM "+pgx.Identifier{st.Schema(), "counters"}.Sanitize()).Scan(&n))
	assert.Equal(t, security.CounterBuckets+1, n)
	assert.Equal(t, 1, count(t, pool, st, "counters"))
	// Hit i is at 20i seconds, in bucket (minute) i/3; the last, hit 99,
	// is in bucket 33, and buckets 21..33 hold hits 63..99.
	got := hit(t, st, start.Add(99*20*time.Second), security.Hit{Key: "flood", Window: window})
	assert.Equal(t, 37*1000, got[0].Count)
}

// TestCountLeavesNoEmptyRows: a counter that counts nothing has no row, so
// reads, refused hits, refunds and resets write nothing that Cleanup must
// delete.
func TestCountLeavesNoEmptyRows(t *testing.T) {
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{})
	hit(t, st, base,
		security.Hit{Key: "read", Window: time.Hour},
		security.Hit{Key: "refused", Window: time.Hour, Add: 2, Max: 1},
		security.Hit{Key: "refund", Window: time.Hour, Add: -1},
		security.Hit{Key: "reset", Window: time.Hour, Reset: true},
		security.Hit{Key: "undone", Window: time.Hour, Add: 1},
		security.Hit{Key: "undone", Window: time.Hour, Add: -1},
	)
	assert.Zero(t, count(t, pool, st, "counters"))
	hit(t, st, base, security.Hit{Key: "k", Window: time.Hour, Add: 3})
	hit(t, st, base, security.Hit{Key: "k", Window: time.Hour, Reset: true})
	assert.Zero(t, count(t, pool, st, "counters"))
}

// TestCountClockBehind: a replica whose clock is behind the newest hit
// counts into its own bucket, and sees the buckets up to its now.
func TestCountClockBehind(t *testing.T) {
	st := newStore(t, nil, pgstore.Config{})
	const window = 12 * time.Minute
	now := base.Truncate(time.Minute)
	hit(t, st, now.Add(5*time.Minute), security.Hit{Key: "k", Window: window, Add: 1})
	got := hit(t, st, now, security.Hit{Key: "k", Window: window, Add: 2})
	assert.Equal(t, security.Tally{Count: 2, Applied: true, Next: now.Add(13 * time.Minute)}, got[0])
	got = hit(t, st, now.Add(5*time.Minute), security.Hit{Key: "k", Window: window})
	assert.Equal(t, security.Tally{Count: 3, Applied: true, Next: now.Add(13 * time.Minute)}, got[0])
	// A hit older than the 13 buckets kept is not recorded.
	got = hit(t, st, now.Add(5*time.Minute-window-time.Minute), security.Hit{Key: "k", Window: window, Add: 1})
	assert.Equal(t, security.Tally{Applied: true}, got[0])
}

// TestCountWindowsAreSeparate: the contract gives one key one window; a
// key used with two windows is two counters.
func TestCountWindowsAreSeparate(t *testing.T) {
	st := newStore(t, nil, pgstore.Config{})
	hit(t, st, base, security.Hit{Key: "k", Window: time.Hour, Add: 2})
	got := hit(t, st, base, security.Hit{Key: "k", Window: time.Minute, Add: 1}, security.Hit{Key: "k", Window: time.Hour})
	assert.Equal(t, 1, got[0].Count)
	assert.Equal(t, 2, got[1].Count)
}

// TestCountBeforeEpoch: bucket numbers round towards minus infinity.
func TestCountBeforeEpoch(t *testing.T) {
	st := newStore(t, nil, pgstore.Config{})
	now := time.Unix(0, -1).UTC() // in bucket -1
	got := hit(t, st, now, security.Hit{Key: "k", Window: 12 * time.Second, Add: 1})
	assert.Equal(t, security.Tally{Count: 1, Applied: true, Next: time.Unix(12, 0).UTC()}, got[0])
}

// TestCountKeysDoNotWait: a transaction holding one counter (a batch in
// flight) makes hits on that counter wait, and no other: there is no row or
// lock every counter shares.
func TestCountKeysDoNotWait(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, func(c *pgxpool.Config) { c.MaxConns = 4 })
	st := newStore(t, pool, pgstore.Config{})
	schema := pgx.Identifier{st.Schema()}.Sanitize()
	w := int64(time.Hour) / security.CounterBuckets
	bucket := base.UnixNano() / w

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	_, err = tx.Exec(ctx, `SELECT * FROM `+schema+`.count_hits($1, $2, $3, $4, $5, $6)`,
		[]string{"held"}, []int64{w}, []int64{bucket}, []int64{1}, []int64{0}, []bool{false})
	require.NoError(t, err)

	// A hit on another key, and a read of the held one, go through while
	// it is held.
	quick, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = st.Count(quick, base, []security.Hit{{Key: "other", Window: time.Hour, Add: 1}, {Key: "held", Window: time.Hour}})
	require.NoError(t, err)

	// A hit on the held key waits for the transaction.
	done := make(chan security.Tally, 1)
	go func() {
		got, err := st.Count(ctx, base, []security.Hit{{Key: "held", Window: time.Hour, Add: 1, Max: 2}})
		assert.NoError(t, err)
		done <- got[0]
	}()
	select {
	case <-done:
		t.Fatal("a hit on a held counter did not wait")
	case <-time.After(200 * time.Millisecond):
	}
	require.NoError(t, tx.Commit(ctx))
	assert.Equal(t, 2, (<-done).Count, "it counted after the holder's hit")
}

// TestCountBatchesDoNotDeadlock: batches hitting the same counters in
// opposite orders, and code checks moving them, all complete.
func TestCountBatchesDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, func(c *pgxpool.Config) { c.MaxConns = 16 })
	st := newStore(t, pool, pgstore.Config{})
	keys := []string{"a", "b", "c", "d"}
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Hour)}))
	const workers, rounds = 12, 20
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for r := range rounds {
				var hits []security.Hit
				for j := range keys {
					k := keys[(i+j)%len(keys)]
					if (i+r)%2 == 1 {
						k = keys[len(keys)-1-(i+j)%len(keys)]
					}
					hits = append(hits, security.Hit{Key: k, Window: time.Hour, Add: 1})
				}
				if i%3 == 0 {
					_, _, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: macWrong, MaxTries: 1 << 20, Failures: hits})
					assert.NoError(t, err)
					continue
				}
				_, err := st.Count(ctx, base, hits)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	got := hit(t, st, base, security.Hit{Key: "a", Window: time.Hour})
	assert.Equal(t, workers*rounds, got[0].Count)
}
