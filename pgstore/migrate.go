package pgstore

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded SQL file, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations sorted by version.
func loadMigrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(files))
	seen := make(map[int]bool)
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || name == "" || seen[v] {
			return nil, fmt.Errorf("pgstore: bad migration file name %q", f)
		}
		seen[v] = true
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrateLockKey is the pg_advisory_xact_lock key serialising Migrate calls
// on one schema: an FNV-1a hash of a fixed prefix and the schema name.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("github.com/acctsec/security/pgstore migrate\x00" + schema))
	return int64(h.Sum64())
}

// Migrate creates the schema when missing and applies, in one transaction,
// the embedded migrations not yet recorded in its schema_migrations table.
// It is idempotent, and safe when several replicas call it at once: a
// transaction-scoped advisory lock keyed on the schema name makes them take
// turns, and the later ones find nothing left to do. Call it at start-up,
// before the Store serves requests.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, math.MaxInt)
}

// migrate applies the migrations up to version upTo (tests use it to build
// an older schema and upgrade it).
func (s *Store) migrate(ctx context.Context, upTo int) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrap("migrate", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey(s.cfg.Schema)); err != nil {
		return wrap("migrate: lock", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`,
		s.cfg.Schema).Scan(&exists); err != nil {
		return wrap("migrate: schema", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+s.schema); err != nil {
			return wrap("migrate: create schema", err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.schema+`.schema_migrations (
		version    int         NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return wrap("migrate: schema_migrations", err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM `+s.schema+`.schema_migrations`)
	if err != nil {
		return wrap("migrate: applied", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return wrap("migrate: applied", err)
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		done[int(v)] = true
	}
	r := strings.NewReplacer("{{schema}}", s.schema, "{{schema_str}}", strings.ReplaceAll(s.schema, "'", "''"))
	for _, m := range ms {
		if done[m.version] || m.version > upTo {
			continue
		}
		// No arguments: pgx sends it with the simple protocol, which runs a
		// multi-statement script.
		if _, err := tx.Exec(ctx, r.Replace(m.sql)); err != nil {
			return wrap(fmt.Sprintf("migrate: %04d_%s", m.version, m.name), err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s.schema+`.schema_migrations (version, name) VALUES ($1, $2)`,
			m.version, m.name); err != nil {
			return wrap("migrate: record", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("migrate: commit", err)
	}
	return nil
}
