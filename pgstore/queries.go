package pgstore

import "strings"

// queries holds the SQL of every operation, with the schema filled in once
// by New.
type queries struct {
	createAccount, getAccount, accountByPhone, accountByEmail string
	updateAccount, accountExists                              string
	deleteAccount                                             string

	putCode, verifyCode, deleteCode string

	putTicket, getTicket, takeTicket, deleteTicketScope string

	countHits string

	cleanup []string
}

const accountColumns = `user_id, password_hash, password_changed_at, phone, email, email_verified,
	pay_password_hash, pay_password_set_at, created_at, updated_at, version`

func newQueries(schema string) queries {
	r := strings.NewReplacer("{{schema}}", schema)
	sql := func(s string) string { return r.Replace(s) }
	selectAccount := `SELECT ` + accountColumns + ` FROM {{schema}}.accounts `
	return queries{
		createAccount: sql(`INSERT INTO {{schema}}.accounts (` + accountColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)`),
		getAccount:     sql(selectAccount + `WHERE user_id = $1`),
		accountByPhone: sql(selectAccount + `WHERE phone = $1 AND phone <> ''`),
		accountByEmail: sql(selectAccount + `WHERE email = $1 AND email <> ''`),
		updateAccount: sql(`UPDATE {{schema}}.accounts
			SET password_hash = $3, password_changed_at = $4, phone = $5, email = $6,
			    email_verified = $7, pay_password_hash = $8, pay_password_set_at = $9,
			    created_at = $10, updated_at = $11, version = version + 1
			WHERE user_id = $1 AND version = $2`),
		accountExists: sql(`SELECT EXISTS (SELECT 1 FROM {{schema}}.accounts WHERE user_id = $1)`),
		deleteAccount: sql(`DELETE FROM {{schema}}.accounts WHERE user_id = $1`),

		// The gates are counted first; the code is put only when every
		// gate with a Max ($15) was applied. One statement, so one
		// transaction: an error applies nothing.
		putCode: sql(`WITH g AS MATERIALIZED (
				SELECT counts, applied, oldest FROM {{schema}}.count_hits($11, $12, $13, $14, $15, $16)
			), p AS MATERIALIZED (
				SELECT {{schema}}.put_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) FROM g
				WHERE NOT EXISTS (SELECT FROM unnest(g.applied, $15::bigint[]) AS x(ok, mx) WHERE mx > 0 AND NOT ok)
			)
			SELECT counts, applied, oldest, (SELECT count(*) FROM p) = 1 FROM g`),
		verifyCode: sql(`SELECT result, counts, applied, oldest
			FROM {{schema}}.verify_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`),
		deleteCode: sql(`DELETE FROM {{schema}}.codes WHERE scope = $1`),

		putTicket: sql(`SELECT {{schema}}.put_ticket($1, $2, $3, $4, $5, $6)`),
		getTicket: sql(`SELECT scope, user_id, destination, verified, expires_ns
			FROM {{schema}}.tickets WHERE id = $1 AND expires_ns > $2`),
		takeTicket: sql(`DELETE FROM {{schema}}.tickets
			WHERE id = $1 AND expires_ns > $2 AND (verified OR NOT $3)
			RETURNING scope, user_id, destination, verified, expires_ns`),
		deleteTicketScope: sql(`DELETE FROM {{schema}}.tickets WHERE scope = $1 AND scope <> ''`),

		countHits: sql(`SELECT counts, applied, oldest
			FROM {{schema}}.count_hits($1, $2, $3, $4, $5, $6)`),

		cleanup: []string{
			sql(cleanupSQL("codes", "scope", "expires_ns <= $1")),
			sql(cleanupSQL("tickets", "id", "expires_ns <= $1")),
			sql(cleanupSQL("counters", "key, width", "expires_ns <= $1")),
		},
	}
}

// cleanupSQL deletes at most $2 expired rows of table, whose primary key is
// the column list key. The rows are locked first (skipping any another
// transaction holds), so a row renewed meanwhile is re-checked against cond
// and kept.
func cleanupSQL(table, key, cond string) string {
	return `DELETE FROM {{schema}}.` + table + ` WHERE (` + key + `) IN (
		SELECT ` + key + ` FROM {{schema}}.` + table + ` WHERE ` + cond + `
		LIMIT $2 FOR UPDATE SKIP LOCKED) AND ` + cond
}
