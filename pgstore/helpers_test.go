package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// base is the injected "now" of most tests; microsecond precision, so it
// survives a timestamptz column unchanged.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func dbURL() string {
	if u := os.Getenv("ACCTSEC_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultURL
}

// newPool connects to the test server, letting tweak adjust the pool
// configuration. When the server cannot be reached the test is skipped, or
// fails when ACCTSEC_REQUIRE_SERVICES=1.
func newPool(t testing.TB, tweak func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL())
	require.NoError(t, err, "ACCTSEC_POSTGRES_URL does not parse")
	if tweak != nil {
		tweak(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		msg := "PostgreSQL not reachable at ACCTSEC_POSTGRES_URL (default " + defaultURL + "): " + err.Error()
		if os.Getenv("ACCTSEC_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + " (ACCTSEC_REQUIRE_SERVICES=1)")
		}
		t.Skip(msg + "; set ACCTSEC_REQUIRE_SERVICES=1 to fail instead")
	}
	t.Cleanup(pool.Close)
	return pool
}

// testSchema returns a fresh schema name, dropped when the test ends.
func testSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "acctsec_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	return name
}

// newStore returns a migrated Store in its own schema on pool (a new pool
// when nil).
func newStore(t testing.TB, pool *pgxpool.Pool, cfg pgstore.Config) *pgstore.Store {
	t.Helper()
	if pool == nil {
		pool = newPool(t, nil)
	}
	if cfg.Schema == "" {
		cfg.Schema = testSchema(t, pool)
	}
	st, err := pgstore.New(pool, cfg)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(context.Background()))
	return st
}

// count returns the number of rows of table in the store's schema.
func count(t testing.TB, pool *pgxpool.Pool, st *pgstore.Store, table string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(),
		"SELECT count(*) FROM "+pgx.Identifier{st.Schema(), table}.Sanitize()).Scan(&n)
	require.NoError(t, err)
	return n
}
