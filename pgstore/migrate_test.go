package pgstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{}) // migrated once
	require.NoError(t, st.CreateAccount(ctx, &security.Account{UserID: "u1"}))
	require.NoError(t, st.Migrate(ctx))
	assert.Equal(t, migrations, count(t, pool, st, "schema_migrations"))
	_, err := st.GetAccount(ctx, "u1")
	assert.NoError(t, err, "a second Migrate keeps the data")
}

func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, func(c *pgxpool.Config) { c.MaxConns = 8 })
	schema := testSchema(t, pool)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			// Each "replica" has its own Store, as separate processes would.
			st, err := pgstore.New(pool, pgstore.Config{Schema: schema})
			if err == nil {
				err = st.Migrate(ctx)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "replica %d", i)
	}
	st, err := pgstore.New(pool, pgstore.Config{Schema: schema})
	require.NoError(t, err)
	assert.Equal(t, migrations, count(t, pool, st, "schema_migrations"))
	require.NoError(t, st.CreateAccount(ctx, &security.Account{UserID: "u1"}))
}

// TestSchemaQuoting: a schema name that needs quoting works end to end.
func TestSchemaQuoting(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	schema := testSchema(t, pool) + `"Odd'Name`
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	st := newStore(t, pool, pgstore.Config{Schema: schema})
	a, err := st.BeginAttempt(ctx, "k", base, security.LockPolicy{Consecutive: 1, LockFor: 1})
	require.NoError(t, err)
	assert.True(t, a.Allowed)
}

func TestNewValidates(t *testing.T) {
	pool := newPool(t, nil)
	tests := []struct {
		name string
		cfg  pgstore.Config
	}{
		{"dollar", pgstore.Config{Schema: "a$b"}},
		{"nul", pgstore.Config{Schema: "a\x00b"}},
		{"too long", pgstore.Config{Schema: string(make([]byte, 64))}},
		{"negative batch", pgstore.Config{CleanupBatch: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pgstore.New(pool, tt.cfg)
			assert.ErrorContains(t, err, "pgstore: ")
		})
	}
	_, err := pgstore.New(nil, pgstore.Config{})
	assert.Error(t, err)
	st, err := pgstore.New(pool, pgstore.Config{})
	require.NoError(t, err)
	assert.Equal(t, pgstore.DefaultSchema, st.Schema())
}

// migrations is the number of embedded migration files.
const migrations = 2

// TestMigrateUpgradesV1: a schema migrated by 0001 only, holding data, is
// upgraded in place: the email index compares exactly and keeps its name,
// the data and the short-lived state survive, and the replaced functions
// work on rows 0001 wrote.
func TestMigrateUpgradesV1(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	schema := testSchema(t, pool)
	st, err := pgstore.New(pool, pgstore.Config{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, st.MigrateUpTo(ctx, 1))
	require.Equal(t, 1, count(t, pool, st, "schema_migrations"))

	require.NoError(t, st.CreateAccount(ctx, account("u1", "+8613800138000", "ärger@example.com")))
	w := []security.Window{{Period: time.Hour, Max: 2}}
	wait, err := st.Allow(ctx, "ip", base, w)
	require.NoError(t, err)
	require.Zero(t, wait)
	policy := security.LockPolicy{Consecutive: 2, LockFor: time.Hour}
	a, err := st.BeginAttempt(ctx, "pw", base, policy)
	require.NoError(t, err)
	require.True(t, a.Allowed)

	require.NoError(t, st.Migrate(ctx))
	assert.Equal(t, migrations, count(t, pool, st, "schema_migrations"))

	var def string
	require.NoError(t, pool.QueryRow(ctx,
		`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'accounts_email_key'`,
		schema).Scan(&def))
	assert.NotContains(t, def, "lower")
	assert.Contains(t, def, "UNIQUE")

	got, err := st.AccountByEmail(ctx, "ärger@example.com")
	require.NoError(t, err)
	assert.Equal(t, "u1", got.UserID)
	require.NoError(t, st.CreateAccount(ctx, account("u2", "", "Ärger@example.com")),
		"an address differing in a non-ASCII letter's case is another address")
	assert.ErrorIs(t, st.CreateAccount(ctx, account("u3", "", "ärger@example.com")), security.ErrEmailTaken)

	// The log and the counter written by 0001's functions still count.
	wait, err = st.Allow(ctx, "ip", base, w)
	require.NoError(t, err)
	assert.Zero(t, wait)
	wait, err = st.Allow(ctx, "ip", base, w)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, wait)
	a, err = st.BeginAttempt(ctx, "pw", base, policy)
	require.NoError(t, err)
	assert.True(t, a.Allowed, "the second of two consecutive failures")
	a, err = st.BeginAttempt(ctx, "pw", base, policy)
	require.NoError(t, err)
	assert.Equal(t, security.Attempt{LockedUntil: base.Add(time.Hour)}, a)
}
