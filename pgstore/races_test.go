package pgstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countDeletes installs a trigger recording every row deleted from table of
// the store's schema, and returns a function reading how many were. The
// count is transactional, hence exact.
func countDeletes(t *testing.T, pool *pgxpool.Pool, st *pgstore.Store, table string) func() int {
	t.Helper()
	ctx := context.Background()
	s := pgx.Identifier{st.Schema()}.Sanitize()
	_, err := pool.Exec(ctx, `
		CREATE TABLE `+s+`.test_deleted (n int);
		CREATE FUNCTION `+s+`.test_count_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
		BEGIN
			INSERT INTO `+s+`.test_deleted VALUES (1);
			RETURN NULL;
		END
		$fn$;
		CREATE TRIGGER test_count_delete AFTER DELETE ON `+s+`.`+pgx.Identifier{table}.Sanitize()+`
			FOR EACH ROW EXECUTE FUNCTION `+s+`.test_count_delete();`)
	require.NoError(t, err)
	return func() int { return count(t, pool, st, "test_deleted") }
}

// raceDeletes runs reserve from many goroutines while deleters keep deleting
// the key's row, and returns how many reservations were let through.
func raceDeletes(t *testing.T, reserve func() bool, deleters []func() error) int {
	t.Helper()
	const (
		workers    = 12
		iterations = 40 // per worker: 480 reservations in all
	)
	var allowed atomic.Int64
	var done atomic.Bool
	var wg, dwg sync.WaitGroup
	for _, del := range deleters {
		dwg.Go(func() {
			for !done.Load() {
				assert.NoError(t, del())
			}
		})
	}
	for range workers {
		wg.Go(func() {
			for range iterations {
				if reserve() {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	dwg.Wait()
	return int(allowed.Load())
}

// TestReservationsSurviveConcurrentDeletes: a reservation that is let
// through is always recorded, even when a concurrent SucceedAttempt,
// ClearAttempts or Cleanup deletes the key's row while it is being
// (re)created. With a limit of one (every allowed reservation locks the key
// or fills its window until the row is deleted), each allowed reservation
// after the first needs a deletion of the row before it, so
// allowed <= deletions + 1; a reservation that slipped through unrecorded
// would let the next one through without a deletion.
func TestReservationsSurviveConcurrentDeletes(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, func(c *pgxpool.Config) { c.MaxConns = 16 })
	// Cleanup runs far enough ahead that every row of the test has expired.
	later := base.Add(pgstore.RunMemory + 48*time.Hour)

	t.Run("BeginAttempt", func(t *testing.T) {
		st := newStore(t, pool, pgstore.Config{Now: func() time.Time { return later }})
		deleted := countDeletes(t, pool, st, "attempts")
		p := security.LockPolicy{Consecutive: 1, LockFor: time.Hour}
		allowed := raceDeletes(t,
			func() bool {
				a, err := st.BeginAttempt(ctx, "k", base, p)
				assert.NoError(t, err)
				return a.Allowed
			},
			[]func() error{
				// A success (of an attempt long gone) resets the run: the row goes.
				func() error { return st.SucceedAttempt(ctx, "k", "0", base) },
				func() error { return st.ClearAttempts(ctx, "k") },
				func() error { _, err := st.Cleanup(ctx); return err },
			})
		n := deleted()
		t.Logf("allowed %d, rows deleted %d", allowed, n)
		assert.Positive(t, n, "the deleters deleted nothing: the race was not exercised")
		assert.LessOrEqual(t, allowed, n+1, "a reservation slipped through unrecorded")
	})

	t.Run("Allow", func(t *testing.T) {
		// Cleanup deletes the log once its one event has left the window.
		w := []security.Window{{Period: time.Minute, Max: 1}}
		st := newStore(t, pool, pgstore.Config{Now: func() time.Time { return base.Add(time.Minute) }})
		deleted := countDeletes(t, pool, st, "rate_events")
		allowed := raceDeletes(t,
			func() bool {
				wait, err := st.Allow(ctx, "k", base, w)
				assert.NoError(t, err)
				return err == nil && wait == 0
			},
			[]func() error{
				func() error { _, err := st.Cleanup(ctx); return err },
				func() error { _, err := st.Cleanup(ctx); return err },
			})
		n := deleted()
		t.Logf("allowed %d, rows deleted %d", allowed, n)
		assert.Positive(t, n, "the deleters deleted nothing: the race was not exercised")
		assert.LessOrEqual(t, allowed, n+1, "an event slipped through unrecorded")
	})
}
