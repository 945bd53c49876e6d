package pgstore_test

import (
	"context"
	"strings"
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
	got, err := st.Count(ctx, base, []security.Hit{{Key: "k", Window: time.Hour, Add: 1}})
	require.NoError(t, err)
	assert.Equal(t, 1, got[0].Count)
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute)}))
	res, tallies, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: macWrong, MaxTries: 3,
		Failures: []security.Hit{{Key: "k", Window: time.Hour, Add: 1, Max: 5}}})
	require.NoError(t, err)
	assert.Equal(t, security.CodeWrong, res)
	assert.Equal(t, 2, tallies[0].Count)
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
const migrations = 4

// TestMigrateUpgradesV1: a schema migrated by 0001 only, holding data, is
// upgraded in place: the email index compares exactly and keeps its name,
// the accounts and codes survive, and the sliding logs and attempt rows
// give way to counters.
func TestMigrateUpgradesV1(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := oldStore(t, pool, 1)

	require.NoError(t, st.CreateAccount(ctx, account("u1", "+8613800138000", "ärger@example.com")))
	require.NoError(t, st.Migrate(ctx))
	assert.Equal(t, migrations, count(t, pool, st, "schema_migrations"))

	var def string
	require.NoError(t, pool.QueryRow(ctx,
		`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'accounts_email_key'`,
		st.Schema()).Scan(&def))
	assert.NotContains(t, def, "lower")
	assert.Contains(t, def, "UNIQUE")

	got, err := st.AccountByEmail(ctx, "ärger@example.com")
	require.NoError(t, err)
	assert.Equal(t, "u1", got.UserID)
	require.NoError(t, st.CreateAccount(ctx, account("u2", "", "Ärger@example.com")),
		"an address differing in a non-ASCII letter's case is another address")
	assert.ErrorIs(t, st.CreateAccount(ctx, account("u3", "", "ärger@example.com")), security.ErrEmailTaken)
	assertCountersOnly(t, pool, st)
}

// TestMigrateUpgradesV2: a schema migrated by 0002 (the last release with
// sliding logs and attempt rows), holding state written by its functions,
// is upgraded in place: its old tables, sequence and functions are gone,
// pending codes survive (with their tries) and counters work.
func TestMigrateUpgradesV2(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := oldStore(t, pool, 2)
	s := pgx.Identifier{st.Schema()}.Sanitize()

	require.NoError(t, st.CreateAccount(ctx, account("u1", "+8613800138000", "u1@example.com")))
	putOldCode(t, pool, st, "s", macRight, base.Add(time.Minute))
	var res int
	require.NoError(t, pool.QueryRow(ctx, `SELECT `+s+`.verify_code('s', $1, $2, 3)`, macWrong, base.UnixNano()).Scan(&res))
	require.Equal(t, int(security.CodeWrong), res)
	_, err := pool.Exec(ctx, `SELECT `+s+`.allow('ip', $1, ARRAY[3600000000000]::bigint[], ARRAY[2])`, base.UnixNano())
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `SELECT * FROM `+s+`.begin_attempt('pw', $1, 5, 900000000000, 0, 0, 0, false, 0)`, base.UnixNano())
	require.NoError(t, err)

	require.NoError(t, st.Migrate(ctx))
	assert.Equal(t, migrations, count(t, pool, st, "schema_migrations"))
	_, err = st.GetAccount(ctx, "u1")
	require.NoError(t, err)
	for _, want := range []security.CodeResult{security.CodeWrong, security.CodeVoided} {
		got, err := verifyCode(ctx, st, "s", macWrong, base, 3)
		require.NoError(t, err)
		assert.Equal(t, want, got, "the code kept the try of before the upgrade")
	}
	assertCountersOnly(t, pool, st)
}

// TestMigrateUpgradesV3: a schema migrated by 0003 (the release in the
// field), holding a pending code with a wrong try, a flow ticket and a
// failure counter, is upgraded in place: the state survives, verify_code
// still answers the nine-argument call of a replica of that release (a
// rolling deploy), and codes carry their tickets.
func TestMigrateUpgradesV3(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := oldStore(t, pool, 3)

	putOldCode(t, pool, st, "s", macRight, base.Add(time.Minute))
	res, n := verifyCodeV3(t, pool, st, "s", macWrong)
	require.Equal(t, security.CodeWrong, res)
	require.Equal(t, int64(1), n)
	flow := ticket("flow1", "flow", false)
	require.NoError(t, st.PutTicket(ctx, flow))

	require.NoError(t, st.Migrate(ctx))
	assert.Equal(t, migrations, count(t, pool, st, "schema_migrations"))
	got, err := st.GetTicket(ctx, flow.ID, base)
	require.NoError(t, err)
	assert.Equal(t, &flow, got)
	for i, want := range []security.CodeResult{security.CodeWrong, security.CodeVoided} {
		res, n = verifyCodeV3(t, pool, st, "s", macWrong)
		assert.Equal(t, want, res, "the code kept the try of before the upgrade")
		assert.Equal(t, int64(2+i), n, "the failure counter survives")
	}

	verified := ticket("flow2", "flow", true)
	require.NoError(t, storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute), Ticket: &flow}))
	res, _, err = st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: macRight, MaxTries: 3, OnMatch: &verified})
	require.NoError(t, err)
	assert.Equal(t, security.CodeMatched, res)
	got, err = st.GetTicket(ctx, verified.ID, base)
	require.NoError(t, err)
	assert.Equal(t, &verified, got)
	_, err = st.GetTicket(ctx, flow.ID, base)
	assert.ErrorIs(t, err, security.ErrNotFound, "the verified ticket replaced the flow's")
	assertCountersOnly(t, pool, st)
}

// verifyCodeV3 checks mac against the code of scope at base as a replica of
// the 0003 release does (verify_code with nine arguments), moving the
// failure counter "fail" (window one hour, Add 1, Max 10), and returns the
// result and that counter's count.
func verifyCodeV3(t *testing.T, pool *pgxpool.Pool, st *pgstore.Store, scope string, mac []byte) (security.CodeResult, int64) {
	t.Helper()
	const width = int64(time.Hour / security.CounterBuckets)
	var (
		res    int
		counts []int64
	)
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT result, counts FROM `+pgx.Identifier{st.Schema()}.Sanitize()+
		`.verify_code($1, $2, $3, 3, ARRAY['fail'], ARRAY[$4::bigint], ARRAY[$5::bigint], ARRAY[1::bigint], ARRAY[10::bigint])`,
		scope, mac, base.UnixNano(), width, base.UnixNano()/width).Scan(&res, &counts))
	require.Len(t, counts, 1)
	return security.CodeResult(res), counts[0]
}

// putOldCode stores a code as the PutCode of releases before 0004 did, with
// no put_code function.
func putOldCode(t *testing.T, pool *pgxpool.Pool, st *pgstore.Store, scope string, mac []byte, expires time.Time) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO `+pgx.Identifier{st.Schema(), "codes"}.Sanitize()+
		` (scope, mac, expires_ns, tries) VALUES ($1, $2, $3, 0)`, scope, mac, expires.UnixNano())
	require.NoError(t, err)
}

// oldStore returns a Store whose schema is migrated up to version upTo only.
func oldStore(t *testing.T, pool *pgxpool.Pool, upTo int) *pgstore.Store {
	t.Helper()
	st, err := pgstore.New(pool, pgstore.Config{Schema: testSchema(t, pool)})
	require.NoError(t, err)
	require.NoError(t, st.MigrateUpTo(context.Background(), upTo))
	require.Equal(t, upTo, count(t, pool, st, "schema_migrations"))
	return st
}

// assertCountersOnly checks that an upgraded schema has none of the sliding
// logs' and attempts' tables, sequence and functions, and that Count and
// VerifyCode work.
func assertCountersOnly(t *testing.T, pool *pgxpool.Pool, st *pgstore.Store) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'S') ORDER BY 1`, st.Schema())
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"accounts", "codes", "counters", "schema_migrations", "tickets"}, tables)
	rows, err = pool.Query(ctx, `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1`, st.Schema())
	require.NoError(t, err)
	funcs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	names := make([]string, len(funcs))
	for i, f := range funcs {
		names[i], _, _ = strings.Cut(f, "(")
	}
	assert.Equal(t, []string{"count_hits", "counter_hit", "counter_lock", "put_code", "put_ticket", "verify_code"}, names, "functions: %v", funcs)

	got, err := st.Count(ctx, base, []security.Hit{{Key: "ip", Window: time.Hour, Add: 1, Max: 1}, {Key: "ip", Window: time.Hour, Add: 1, Max: 1}})
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false}, []bool{got[0].Applied, got[1].Applied})
}
