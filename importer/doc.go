// Package importer moves member records from another system into acctsec
// in bulk: it reads JSON Lines or CSV, turns each row into the record a
// store keeps with (*security.Service).PrepareAccount, hands batches to a
// Sink, and reports every refused row by line number and reason without
// stopping. cmd/acctsec-import (into PostgreSQL) and examples/server
// -import (into the demo's memstore) both run it.
//
// # Format
//
// One member per JSON object per line, or one per CSV row under a header
// row; the same names either way:
//
//	userId             required; a JSON string or number
//	passwordHash       required; the hash as the old system stored it
//	passwordSalt       the salt, when the old system kept it in a column of its own
//	passwordScheme     a passhash scheme name (e.g. "md5-md5pass-salt"); empty for
//	                   a self-describing hash (bcrypt, PHC, crypt(3), Django, ...)
//	phone              a phone the old system verified; national numbers are read
//	                   in the Service's default region
//	email              an address
//	emailVerified      true/false (also 1/0, as MySQL exports booleans)
//	payPasswordHash    the 6-digit pay password's hash, with
//	payPasswordSalt    payPasswordSalt and payPasswordScheme
//	payPasswordScheme  as for the password
//	createdAt          RFC 3339 ("2019-03-01T08:00:00+08:00"), or MySQL's
//	                   DATETIME text "2019-03-01 08:00:00" read in
//	                   Options.Location (default Asia/Shanghai)
//
// JSON null and empty CSV cells mean "none". An unknown name is refused: a
// CSV header naming one stops the run before any row is read; a JSON line
// holding one is refused as malformed_line, so that a misspelt column
// never drops data silently. The format is chosen by Options.Format, or by
// FormatOf from a file name (.jsonl, .ndjson; .csv).
//
// The input is streamed: JSON lines longer than Options.MaxLineBytes are
// refused and skipped; a CSV record over that size stops the run, since a
// CSV reader cannot find the next record reliably after one.
//
// # Outcomes
//
// Each row is imported, already present (its userId has a record: it is
// never overwritten nor compared, since the user may have signed in and
// had the hash upgraded since), or refused with a reason (Reason*
// constants). A userId seen earlier in the same run is refused as
// duplicate_user. A phone or email held by an account in the store, or by
// an earlier row of the run that was imported, is refused as phone_taken or
// email_taken. Re-running a file after a crash therefore imports what is
// missing and counts the rest as already present; Options.ResumeFrom skips
// the lines before a given one: they are neither prepared nor stored (nor
// parsed, in JSON Lines), so a resume does not pay the onion's argon2id
// again. The userIds of skipped lines are not remembered, so a later line
// repeating one counts as already present rather than duplicate_user.
//
// # Preparation
//
// PrepareAccount checks each hash's format and, unless
// Options.KeepCheapHashes, wraps a cheap legacy digest (salted MD5 and the
// like) in argon2id at once, so that a leaked table costs argon2id per
// guess from the first day. That costs one argon2id hash per such row:
// Run prepares on Options.Workers goroutines (GOMAXPROCS by default) while
// reporting in line order. With KeepCheapHashes the cheap digests stay
// cheap in the store until each user's next successful login replaces
// them with argon2id; self-describing slow hashes (bcrypt, PBKDF2, scrypt,
// argon2) are never wrapped either way.
//
// Report lines never hold a hash, a salt, a password or a full phone
// number or address: phones and addresses are masked with security.Mask.
package importer
