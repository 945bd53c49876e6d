package importer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/importer"
)

// jsonlInput has one line per outcome; the comment of each case is the
// expected one.
var jsonlInput = strings.Join([]string{
	`{"userId":"u1","passwordHash":"` + bcryptPassword + `","phone":"13800138000","email":"Alice@Example.com","emailVerified":1,"createdAt":"2019-03-01 08:00:00"}`,                                                                                                                                  // 1 imported
	`{"userId":2,"passwordHash":"` + discuzDigest + `","passwordSalt":"` + discuzSalt + `","passwordScheme":"md5-md5pass-salt","payPasswordHash":"` + discuzPIN + `","payPasswordSalt":"` + discuzSalt + `","payPasswordScheme":"md5-md5pass-salt","createdAt":"2020-01-02T03:04:05Z","phone":null}`, // 2 imported
	`{"userId":"u3","passwordHash":"not-a-hash"}`,                                         // 3 bad_hash
	`{"userId":"u4","passwordHash":"` + bcryptPassword + `","phone":"12345"}`,             // 4 bad_phone
	`{"userId":"u5","passwordHash":"` + bcryptPassword + `","email":"no at sign"}`,        // 5 bad_email
	`{"userId":"u1","passwordHash":"` + bcryptUnicode + `"}`,                              // 6 duplicate_user
	`{"userId":"u7","passwordHash":"` + bcryptPassword + `","phone":"+86 138 0013 8000"}`, // 7 phone_taken
	`{"userId":"u8","passwordHash":"` + bcryptPassword + `","email":"alice@example.com"}`, // 8 email_taken
	`{"userId":"u9","passwordHash":"` + bcryptPassword,                                    // 9 malformed_line
	``, // 10 blank: not a record
	`{"userId":"u11","password_hash":"` + bcryptPassword + `"}`, // 11 malformed_line (unknown field)
	`{"userId":"u12"}`, // 12 missing_hash
	`{"userId":"u13","passwordHash":"` + bcryptPassword + `","createdAt":"yesterday"}`,    // 13 bad_created_at
	`{"userId":"u14","passwordHash":"` + bcryptPassword + `","payPasswordHash":"123456"}`, // 14 bad_pay_hash
	`{"userId":"u15","passwordHash":"` + bcryptPassword + `","emailVerified":{"x":1}}`,    // 15 malformed_line
	`[1,2]`, // 16 malformed_line
	`{"userId":"u17","passwordHash":"` + bcryptUnicode + `","email":"bob@example.com"} trailing`, // 17 malformed_line
	`{"userId":"u18","passwordHash":"` + bcryptUnicode + `","email":"bob@example.com"}`,          // 18 imported
}, "\n") + "\n"

var jsonlRefusals = []lineReason{
	{3, importer.ReasonBadHash}, {4, importer.ReasonBadPhone}, {5, importer.ReasonBadEmail},
	{6, importer.ReasonDuplicateUser}, {7, importer.ReasonPhoneTaken}, {8, importer.ReasonEmailTaken},
	{9, importer.ReasonMalformed}, {11, importer.ReasonMalformed}, {12, importer.ReasonMissingHash},
	{13, importer.ReasonBadCreatedAt}, {14, importer.ReasonBadPayHash}, {15, importer.ReasonMalformed},
	{16, importer.ReasonMalformed}, {17, importer.ReasonMalformed},
}

// TestRunJSONL: every line gets its outcome in line order, with small
// batches and several workers, and the stored records are what
// PrepareAccount makes of them.
func TestRunJSONL(t *testing.T) {
	e := newEnv(t)
	sum, refused, err := e.run(t, jsonlInput, importer.Options{Format: importer.FormatJSONL, BatchSize: 4, Workers: 3})
	require.NoError(t, err)
	assert.Equal(t, jsonlRefusals, reasons(refused))
	assert.Equal(t, 17, sum.Read)
	assert.Equal(t, 3, sum.Imported)
	assert.Equal(t, 0, sum.AlreadyPresent)
	assert.Equal(t, 14, sum.RefusedTotal())
	assert.Equal(t, 5, sum.Refused[importer.ReasonMalformed])
	assert.Equal(t, 18, sum.Done)

	u1, err := e.store.GetAccount(bg, "u1")
	require.NoError(t, err)
	assert.Equal(t, bcryptPassword, u1.PasswordHash, "bcrypt is kept as it is")
	assert.Equal(t, "+8613800138000", u1.Phone)
	assert.Equal(t, "alice@example.com", u1.Email)
	assert.True(t, u1.EmailVerified)
	assert.Equal(t, time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC), u1.CreatedAt, "MySQL DATETIME read in Asia/Shanghai")

	u2, err := e.store.GetAccount(bg, "2")
	require.NoError(t, err, "a numeric userId is read as its text")
	assert.True(t, strings.HasPrefix(u2.PasswordHash, "$acctsec-onion$md5-md5pass-salt$"), "cheap digest wrapped in argon2id")
	assert.True(t, strings.HasPrefix(u2.PayPasswordHash, "$acctsec-legacy-pin$$acctsec-onion$"))
	assert.Equal(t, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), u2.CreatedAt)
	require.NoError(t, e.svc.VerifyPassword(bg, "2", "password"))
	require.NoError(t, e.svc.VerifyPayPassword(bg, "2", "123456"))

	for _, id := range []string{"u3", "u4", "u5", "u7", "u8", "u9", "u12", "u17"} {
		_, err := e.store.GetAccount(bg, id)
		assert.ErrorIs(t, err, security.ErrNotFound, id)
	}
	_, err = e.store.GetAccount(bg, "u18")
	require.NoError(t, err)
}

// TestReportHidesSecrets: no refusal holds a hash, a salt or a full phone
// or address, even when the line is malformed around them.
func TestReportHidesSecrets(t *testing.T) {
	e := newEnv(t)
	input := jsonlInput +
		`{"userId":"x1","passwordHash":"` + discuzDigest + `","passwordSalt":"` + discuzSalt + `","passwordScheme":"nope"}` + "\n" +
		`{"userId":"x2","passwordHash":"$2y$04$short","phone":"+8613900139000"}` + "\n" +
		`{"userId":"x3","passwordHash":"` + bcryptPassword + `","phone":"+8613800138000"}` + "\n" +
		`{"userId":"x4","secret":"` + bcryptUnicode + `"}` + "\n" +
		`{"userId":"x5","passwordHash":"` + bcryptPassword + `","` + bcryptUnicode + `":1}` + "\n"
	_, refused, err := e.run(t, input, importer.Options{Format: importer.FormatJSONL})
	require.NoError(t, err)
	var all strings.Builder
	for _, r := range refused {
		fmt.Fprintln(&all, r.String(), r.Detail)
	}
	text := all.String()
	for _, secret := range []string{bcryptPassword, bcryptUnicode, "po/46", discuzDigest, discuzSalt, discuzPIN,
		"$2y$04$short", "13800138000", "13900139000", "Alice@", "alice@"} {
		assert.NotContains(t, text, secret)
	}
	assert.Contains(t, text, "+86138****8000", "a taken phone is shown masked")
	assert.Contains(t, text, `line 22 userId "x4": malformed_line (unknown field "secret")`)
	assert.Contains(t, text, `line 23 userId "x5": malformed_line (unknown field (unprintable))`)
}

// TestRerunImportsOnlyWhatIsMissing: a crash leaves part of a file
// imported; running the whole file again counts that part as already
// present, imports the rest and refuses the same lines for the same
// reasons; nothing is overwritten.
func TestRerunImportsOnlyWhatIsMissing(t *testing.T) {
	e := newEnv(t)
	lines := strings.Split(strings.TrimSuffix(jsonlInput, "\n"), "\n")
	_, _, err := e.run(t, strings.Join(lines[:2], "\n"), importer.Options{Format: importer.FormatJSONL})
	require.NoError(t, err)
	before, err := e.store.GetAccount(bg, "2")
	require.NoError(t, err)

	sum, refused, err := e.run(t, jsonlInput, importer.Options{Format: importer.FormatJSONL, BatchSize: 5})
	require.NoError(t, err)
	assert.Equal(t, jsonlRefusals, reasons(refused))
	assert.Equal(t, 1, sum.Imported)
	assert.Equal(t, 2, sum.AlreadyPresent)
	after, err := e.store.GetAccount(bg, "2")
	require.NoError(t, err)
	assert.Equal(t, before, after, "an existing record is left as it is")

	sum, _, err = e.run(t, jsonlInput, importer.Options{Format: importer.FormatJSONL})
	require.NoError(t, err)
	assert.Equal(t, 0, sum.Imported)
	assert.Equal(t, 3, sum.AlreadyPresent)
}

// failingSink stores through next until it has seen calls batches, then
// fails.
type failingSink struct {
	next  importer.Sink
	calls int
}

func (f *failingSink) Import(ctx context.Context, as []*security.Account) ([]error, error) {
	if f.calls == 0 {
		return nil, errors.New("connection lost")
	}
	f.calls--
	return f.next.Import(ctx, as)
}

// TestSinkFailureStopsAndResumes: a sink failure stops the run with the
// last complete line; ResumeFrom = Done+1 carries on without preparing
// the lines before it again.
func TestSinkFailureStopsAndResumes(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, `{"userId":"m%d","passwordHash":"%s"}`+"\n", i, bcryptPassword)
	}
	sink := &failingSink{next: importer.StoreSink{Store: e.store}, calls: 1}
	sum, err := importer.Run(bg, e.svc, strings.NewReader(b.String()), sink, importer.Options{Format: importer.FormatJSONL, BatchSize: 4})
	require.ErrorContains(t, err, "connection lost")
	require.ErrorContains(t, err, "lines 5..8")
	assert.Equal(t, 4, sum.Done)
	assert.Equal(t, 4, sum.Imported)

	sum, _, err = e.run(t, b.String(), importer.Options{Format: importer.FormatJSONL, BatchSize: 4, ResumeFrom: sum.Done + 1})
	require.NoError(t, err)
	assert.Equal(t, 10, sum.Read)
	assert.Equal(t, 4, sum.Skipped)
	assert.Equal(t, 6, sum.Imported)
	for i := 1; i <= 10; i++ {
		_, err := e.store.GetAccount(bg, fmt.Sprintf("m%d", i))
		require.NoError(t, err)
	}
}

// TestDryRunWritesNothing: a dry run reports the refusals that need no
// store and calls no sink.
func TestDryRunWritesNothing(t *testing.T) {
	e := newEnv(t)
	var refused []importer.Refusal
	sink := importer.SinkFunc(func(context.Context, []*security.Account) ([]error, error) {
		t.Error("the sink was called in a dry run")
		return nil, errors.New("no")
	})
	sum, err := importer.Run(bg, e.svc, strings.NewReader(jsonlInput), sink, importer.Options{
		Format: importer.FormatJSONL, DryRun: true,
		Report: func(r importer.Refusal) { refused = append(refused, r) },
	})
	require.NoError(t, err)
	var want []lineReason
	for _, r := range jsonlRefusals {
		if r.Reason != importer.ReasonPhoneTaken && r.Reason != importer.ReasonEmailTaken {
			want = append(want, r)
		}
	}
	assert.Equal(t, want, reasons(refused))
	assert.Equal(t, 5, sum.Imported, "would import")
	assert.True(t, sum.DryRun)
	_, err = e.store.GetAccount(bg, "u1")
	assert.ErrorIs(t, err, security.ErrNotFound)
}

// TestSinkOutcomeCountMustMatch: a sink that loses outcomes stops the run
// rather than miscounting.
func TestSinkOutcomeCountMustMatch(t *testing.T) {
	e := newEnv(t)
	sink := importer.SinkFunc(func(context.Context, []*security.Account) ([]error, error) { return nil, nil })
	_, err := importer.Run(bg, e.svc, strings.NewReader(jsonlInput), sink, importer.Options{Format: importer.FormatJSONL})
	require.ErrorContains(t, err, "outcomes")
}

// TestLongLines: an overlong JSON line is refused and the next one read;
// an overlong CSV line stops the run.
func TestLongLines(t *testing.T) {
	e := newEnv(t)
	long := `{"userId":"big","passwordHash":"` + strings.Repeat("a", 300) + `"}`
	input := long + "\n" + `{"userId":"ok","passwordHash":"` + bcryptPassword + `"}` + "\n"
	sum, refused, err := e.run(t, input, importer.Options{Format: importer.FormatJSONL, MaxLineBytes: 200})
	require.NoError(t, err)
	require.Equal(t, []lineReason{{1, importer.ReasonMalformed}}, reasons(refused))
	assert.Equal(t, "line too long", refused[0].Detail)
	assert.Equal(t, 1, sum.Imported)

	csv := "userId,passwordHash\nbig," + strings.Repeat("a", 300) + "\nok," + bcryptPassword + "\n"
	_, _, err = e.run(t, csv, importer.Options{Format: importer.FormatCSV, MaxLineBytes: 200})
	require.ErrorContains(t, err, "longer than the limit")
}

// TestContextEndStops: a cancelled context stops the run with its error.
func TestContextEndStops(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, err := importer.Run(ctx, e.svc, strings.NewReader(jsonlInput), importer.StoreSink{Store: e.store},
		importer.Options{Format: importer.FormatJSONL})
	require.ErrorIs(t, err, context.Canceled)
}
