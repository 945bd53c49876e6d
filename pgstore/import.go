package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/acctsec/security"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// importTable is the temporary table a batch is copied into; it lives in
// the session's pg_temp schema and is dropped at commit.
const importTable = "acctsec_import"

// importColumns are the columns copied into importTable: ord (1-based
// position in the batch) and the accounts columns but version.
var importColumns = []string{"ord", "user_id", "password_hash", "password_changed_at", "phone",
	"email", "email_verified", "pay_password_hash", "pay_password_set_at", "created_at", "updated_at"}

// importAttempts bounds the retries of a batch that lost a phone or email
// to a concurrent writer between its check and its insert.
const importAttempts = 3

// ImportAccounts stores a batch of new records (from
// security.Service.PrepareAccount) in one transaction, for bulk imports;
// it is an importer.Sink. The result holds one outcome per account, in
// order: nil when it was stored (with Version 1), security.ErrAccountExists
// when its UserID already had a record (left untouched: never overwritten),
// security.ErrPhoneTaken or security.ErrEmailTaken when another account
// holds its phone or email. The second result is a failure of the whole
// batch, of which nothing is then stored.
//
// The outcomes are those of calling CreateAccount for each account in
// order: a record conflicts with the stored accounts and with the earlier
// records of the batch that were stored, but not with those that were
// refused. The batch is copied (COPY) into a temporary table, checked
// against the accounts table with one indexed lookup per key, the
// within-batch conflicts are resolved in that order here, and the clean
// records are inserted with one INSERT ... SELECT ... ON CONFLICT
// (user_id) DO NOTHING, so a concurrent import of the same user counts as
// already present. Should a concurrent writer take a phone or email
// between the check and the insert, the transaction is rolled back and the
// batch checked again (up to three times).
func (s *Store) ImportAccounts(ctx context.Context, accounts []*security.Account) ([]error, error) {
	if len(accounts) == 0 {
		return nil, nil
	}
	for attempt := 1; ; attempt++ {
		out, err := s.importBatch(ctx, accounts)
		var pgErr *pgconn.PgError
		if err != nil && attempt < importAttempts && errors.As(err, &pgErr) && pgErr.Code == "23505" &&
			(pgErr.ConstraintName == constraintAccountPhone || pgErr.ConstraintName == constraintAccountEmail) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pgstore: import accounts: %w", err)
		}
		for i, a := range accounts {
			if out[i] == nil {
				a.Version = 1
			}
		}
		return out, nil
	}
}

// importBatch is one attempt of ImportAccounts.
func (s *Store) importBatch(ctx context.Context, accounts []*security.Account) (out []error, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err = tx.Exec(ctx, `CREATE TEMPORARY TABLE `+importTable+` (
		ord int NOT NULL, user_id text NOT NULL, password_hash text NOT NULL,
		password_changed_at timestamptz, phone text NOT NULL, email text NOT NULL,
		email_verified boolean NOT NULL, pay_password_hash text NOT NULL,
		pay_password_set_at timestamptz, created_at timestamptz, updated_at timestamptz
	) ON COMMIT DROP`); err != nil {
		return nil, err
	}
	rows := pgx.CopyFromSlice(len(accounts), func(i int) ([]any, error) {
		a := accounts[i]
		return []any{int32(i + 1), a.UserID, a.PasswordHash, toTS(a.PasswordChangedAt), a.Phone, a.Email,
			a.EmailVerified, a.PayPasswordHash, toTS(a.PayPasswordSetAt), toTS(a.CreatedAt), toTS(a.UpdatedAt)}, nil
	})
	if _, err = tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", importTable}, importColumns, rows); err != nil {
		return nil, err
	}

	// One indexed probe per key and row: scalar subqueries with LIMIT 1
	// run as per-row index scans whatever the planner guesses of the
	// unanalysed temporary table (a semi-join could scan all accounts).
	// The phone and email probes repeat the partial indexes' predicate.
	check, err := tx.Query(ctx, `SELECT t.ord,
		(SELECT true FROM `+s.schema+`.accounts a WHERE a.user_id = t.user_id LIMIT 1) IS NOT NULL,
		t.phone <> '' AND (SELECT true FROM `+s.schema+`.accounts a
			WHERE a.phone = t.phone AND a.phone <> '' LIMIT 1) IS NOT NULL,
		t.email <> '' AND (SELECT true FROM `+s.schema+`.accounts a
			WHERE a.email = t.email AND a.email <> '' LIMIT 1) IS NOT NULL
		FROM pg_temp.`+importTable+` t`)
	if err != nil {
		return nil, err
	}
	type taken struct{ user, phone, email bool }
	stored := make([]taken, len(accounts))
	var ord int32
	var tk taken
	_, err = pgx.ForEachRow(check, []any{&ord, &tk.user, &tk.phone, &tk.email}, func() error {
		if ord < 1 || int(ord) > len(accounts) {
			return errors.New("check returned an unknown row")
		}
		stored[ord-1] = tk
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Within the batch, in order: a record is stored only if no stored
	// account and no earlier stored record of the batch has its keys.
	out = make([]error, len(accounts))
	clean := make([]bool, len(accounts)) // a PostgreSQL array from 1: clean[ord-1]
	users := make(map[string]int, len(accounts))
	phones := make(map[string]bool, len(accounts))
	emails := make(map[string]bool, len(accounts))
	for i, a := range accounts {
		_, dupUser := users[a.UserID]
		switch {
		case stored[i].user || dupUser:
			out[i] = security.ErrAccountExists
		case stored[i].phone || (a.Phone != "" && phones[a.Phone]):
			out[i] = security.ErrPhoneTaken
		case stored[i].email || (a.Email != "" && emails[a.Email]):
			out[i] = security.ErrEmailTaken
		default:
			clean[i] = true
			users[a.UserID] = i
			if a.Phone != "" {
				phones[a.Phone] = true
			}
			if a.Email != "" {
				emails[a.Email] = true
			}
		}
	}
	if len(users) > 0 {
		ins, err := tx.Query(ctx, `INSERT INTO `+s.schema+`.accounts (`+accountColumns+`)
			SELECT user_id, password_hash, password_changed_at, phone, email, email_verified,
			       pay_password_hash, pay_password_set_at, created_at, updated_at, 1
			  FROM pg_temp.`+importTable+` t
			 WHERE ($1::boolean[])[t.ord]
			ON CONFLICT (user_id) DO NOTHING
			RETURNING user_id`, clean)
		if err != nil {
			return nil, err
		}
		inserted := make(map[string]bool, len(users))
		var id string
		if _, err = pgx.ForEachRow(ins, []any{&id}, func() error { inserted[id] = true; return nil }); err != nil {
			return nil, err
		}
		for id, i := range users {
			if !inserted[id] {
				// A concurrent writer stored it after the check.
				out[i] = security.ErrAccountExists
			}
		}
	}
	if err = tx.Commit(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
