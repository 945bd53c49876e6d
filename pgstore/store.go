package pgstore

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/acctsec/security"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a security.Store on PostgreSQL. It is safe for concurrent use by
// many goroutines and many replicas sharing one database.
type Store struct {
	pool   *pgxpool.Pool
	cfg    Config
	schema string // quoted identifier
	q      queries
}

var _ security.Store = (*Store)(nil)

// New returns a Store on pool in cfg.Schema. It does not touch the database;
// call Migrate before first use.
func New(pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	schema := pgx.Identifier{cfg.Schema}.Sanitize()
	return &Store{pool: pool, cfg: cfg, schema: schema, q: newQueries(schema)}, nil
}

// Schema returns the name of the schema the Store uses.
func (s *Store) Schema() string { return s.cfg.Schema }

// Index names the migration creates; a unique violation of one of them maps
// to a security error.
const (
	constraintAccountPK    = "accounts_pkey"
	constraintAccountPhone = "accounts_phone_key"
	constraintAccountEmail = "accounts_email_key"
)

// wrap turns a driver error into a store error: unique violations of the
// account indexes become the library's conflict errors, anything else is
// wrapped with the operation name (and never with argument values).
func wrap(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case constraintAccountPK:
			return security.ErrAccountExists
		case constraintAccountPhone:
			return security.ErrPhoneTaken
		case constraintAccountEmail:
			return security.ErrEmailTaken
		}
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// Bounds of a time that int64 Unix nanoseconds can hold.
var (
	minNS = time.Unix(0, math.MinInt64)
	maxNS = time.Unix(0, math.MaxInt64)
)

// toNS converts t to Unix nanoseconds, clamping times out of range (such as
// the zero time) to the int64 bounds so that comparisons keep their order.
func toNS(t time.Time) int64 {
	switch {
	case t.Before(minNS):
		return math.MinInt64
	case t.After(maxNS):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNS converts Unix nanoseconds to a UTC time.
func fromNS(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// toTS returns t for a timestamptz column, or nil (NULL) for the zero time.
func toTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromTS returns the UTC time of a nullable timestamptz column, or the zero
// time for NULL.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// clampInt32 converts n for an int parameter of a function.
func clampInt32(n int) int32 {
	switch {
	case n > math.MaxInt32:
		return math.MaxInt32
	case n < math.MinInt32:
		return math.MinInt32
	}
	return int32(n)
}
