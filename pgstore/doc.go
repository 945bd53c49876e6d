// Package pgstore is a PostgreSQL implementation of security.Store: durable
// account records and short-lived state (codes, tickets and event
// counters) in one schema, shared safely by many replicas.
//
// The host owns the *pgxpool.Pool, creates the store with New, applies the
// embedded migrations with Migrate at start-up (safe when several replicas
// start at once) and removes expired rows with Cleanup or StartCleanup:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	...
//	st, err := pgstore.New(pool, pgstore.Config{Schema: "acctsec"})
//	...
//	if err := st.Migrate(ctx); err != nil { ... }
//	stop := st.StartCleanup(ctx, time.Minute)
//	defer stop()
//
// Every hot operation (Count, VerifyCode, PutCode, PutTicket, TakeTicket)
// is one SQL statement, hence one round trip once pgx has prepared it, also
// when PutCode counts its gates first or stores a ticket with the code, or
// VerifyCode stores one; the
// read-modify-write ones call plpgsql functions created by the migration,
// which lock only the rows and counters they change. Times are
// always passed in by the caller: no statement reads the database clock for
// anything but the applied_at column of schema_migrations.
package pgstore
