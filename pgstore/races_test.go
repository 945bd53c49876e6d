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

// raceDeletes runs reserve (a conditional hit) from many goroutines while
// deleters keep deleting the key's row, and returns how many hits were
// applied.
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

// TestHitsSurviveConcurrentCleanup: a conditional hit that is applied is
// always recorded, even when Cleanup deletes the counter's row while hits
// read and rewrite it. With a Max of one (every applied hit fills the
// counter until its row is deleted), each applied hit after the first needs
// a deletion of the row before it, so applied <= deletions + 1; a hit that
// slipped through unrecorded would let the next one through without a
// deletion.
func TestHitsSurviveConcurrentCleanup(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, func(c *pgxpool.Config) { c.MaxConns = 16 })
	// Cleanup runs far enough ahead that the counter has always expired.
	st := newStore(t, pool, pgstore.Config{Now: func() time.Time { return base.Add(time.Hour) }})
	deleted := countDeletes(t, pool, st, "counters")
	applied := raceDeletes(t,
		func() bool {
			got, err := st.Count(ctx, base, []security.Hit{{Key: "k", Window: time.Minute, Add: 1, Max: 1}})
			assert.NoError(t, err)
			return err == nil && got[0].Applied
		},
		[]func() error{
			func() error { _, err := st.Cleanup(ctx); return err },
			func() error { _, err := st.Cleanup(ctx); return err },
		})
	n := deleted()
	t.Logf("applied %d, rows deleted %d", applied, n)
	assert.Positive(t, n, "the deleters deleted nothing: the race was not exercised")
	assert.LessOrEqual(t, applied, n+1, "a hit slipped through unrecorded")
}
