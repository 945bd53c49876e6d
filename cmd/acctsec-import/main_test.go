package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/cmd/acctsec-import/internal/gen"
	"github.com/acctsec/security/importer"
	"github.com/acctsec/security/pgstore"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func dbURL() string {
	if u := os.Getenv("ACCTSEC_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultURL
}

// newPool connects to the test server; it skips when the server cannot be
// reached, or fails when ACCTSEC_REQUIRE_SERVICES=1.
func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL())
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		if os.Getenv("ACCTSEC_REQUIRE_SERVICES") == "1" {
			t.Fatal("PostgreSQL not reachable (ACCTSEC_REQUIRE_SERVICES=1): " + err.Error())
		}
		t.Skip("PostgreSQL not reachable at ACCTSEC_POSTGRES_URL: " + err.Error())
	}
	t.Cleanup(pool.Close)
	return pool
}

// testSchema returns a fresh schema name, dropped when the test ends.
func testSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "acctsec_import_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	return name
}

// runCmd runs the command and returns its stdout, stderr and error.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(""), &out, &errOut, false)
	return out.String(), errOut.String(), err
}

func readReport(t *testing.T, path string) []importer.Refusal {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var rs []importer.Refusal
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r importer.Refusal
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		rs = append(rs, r)
	}
	return rs
}

type lineReason struct {
	Line   int
	Reason string
}

func reasons(rs []importer.Refusal) []lineReason {
	out := make([]lineReason, len(rs))
	for i, r := range rs {
		out[i] = lineReason{r.Line, r.Reason}
	}
	return out
}

// ECShop md5(md5(pw) + salt) vectors computed with openssl dgst (the root
// package's legacy tests).
const (
	ecshopDigest = "f678f0f5cc52bc5b6963a17eb945d4e8" // password
	ecshopSalt   = "a1B2c3"
	ecshopPIN    = "7aef0b22d851caef7800990bf6d4a5dc" // 123456
)

const members = 3000

// writeInput writes members generated rows with broken lines among them
// and returns the path and the expected refusals.
func writeInput(t *testing.T) (string, []lineReason) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, gen.WriteJSONL(&b, 0, members))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	extra := []string{
		`{"userId":"shop-1","passwordHash":"` + ecshopDigest + `","passwordSalt":"` + ecshopSalt + `","passwordScheme":"md5-md5pass-salt","payPasswordHash":"` + ecshopPIN + `","payPasswordSalt":"` + ecshopSalt + `","payPasswordScheme":"md5-md5pass-salt","phone":"+8613700000001"}`,
		`{"userId":"bad-hash","passwordHash":"$2y$04$tooShort"}`,
		`{"userId":"bad-phone","passwordHash":"` + gen.Vectors()[0].Hash + `","phone":"0000"}`,
		`{"userId":"dup-phone","passwordHash":"` + gen.Vectors()[0].Hash + `","phone":"13900000005"}`,
		`{"userId":"m7","passwordHash":"` + gen.Vectors()[1].Hash + `"}`,
		`{"userId":"broken","passwordHash":`,
		`{"userId":"dup-email","passwordHash":"` + gen.Vectors()[0].Hash + `","email":"M8@example.com"}`,
	}
	want := []lineReason{
		{members + 2, importer.ReasonBadHash}, {members + 3, importer.ReasonBadPhone},
		{members + 4, importer.ReasonPhoneTaken}, {members + 5, importer.ReasonDuplicateUser},
		{members + 6, importer.ReasonMalformed}, {members + 7, importer.ReasonEmailTaken},
	}
	lines = append(lines, extra...)
	path := filepath.Join(t.TempDir(), "members.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path, want
}

// TestImportEndToEnd: a generated file with broken lines goes into
// PostgreSQL; the report names each broken line, the table holds the rest,
// a rerun imports nothing twice, and a member's first login with the old
// password upgrades the imported hash.
func TestImportEndToEnd(t *testing.T) {
	pool := newPool(t)
	schema := testSchema(t, pool)
	path, want := writeInput(t)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	args := []string{"-postgres", dbURL(), "-schema", schema, "-batch", "700", "-report", report, path}

	out, stderr, err := runCmd(t, args...)
	require.ErrorIs(t, err, errRefused, stderr)
	assert.Equal(t, want, reasons(readReport(t, report)))
	assert.Contains(t, out, fmt.Sprintf("imported: %d\n", members+1))
	assert.Contains(t, out, "already present: 0\n")
	assert.Contains(t, out, "refused: 6\n")
	assert.Contains(t, out, "phone_taken: 1\n")
	raw, err := os.ReadFile(report)
	require.NoError(t, err)
	for _, secret := range []string{"$2y$", ecshopDigest, ecshopSalt, "13900000005", "m8@", "M8@"} {
		assert.NotContains(t, string(raw)+out+stderr, secret)
	}

	ctx := context.Background()
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "accounts"}.Sanitize()).Scan(&n))
	assert.Equal(t, members+1, n)
	st, err := pgstore.New(pool, pgstore.Config{Schema: schema})
	require.NoError(t, err)
	m42, err := st.GetAccount(ctx, "m42")
	require.NoError(t, err)
	want42 := gen.NewMember(gen.Vectors(), 42)
	assert.Equal(t, want42.PasswordHash, m42.PasswordHash)
	assert.Equal(t, "+8613900000042", m42.Phone)
	assert.Equal(t, "m42@example.com", m42.Email)
	created, err := time.ParseInLocation("2006-01-02 15:04:05", want42.CreatedAt, time.FixedZone("", 8*3600))
	require.NoError(t, err)
	assert.True(t, created.Equal(m42.CreatedAt), "createdAt read in Asia/Shanghai: %v", m42.CreatedAt)
	m7, err := st.GetAccount(ctx, "m7")
	require.NoError(t, err)
	assert.Equal(t, gen.Vectors()[7].Hash, m7.PasswordHash, "the first line of a userId wins")

	// The whole file again: nothing imported twice, nothing overwritten,
	// the same refusals.
	out, stderr, err = runCmd(t, args...)
	require.ErrorIs(t, err, errRefused, stderr)
	assert.Equal(t, want, reasons(readReport(t, report)))
	assert.Contains(t, out, "imported: 0\n")
	assert.Contains(t, out, fmt.Sprintf("already present: %d\n", members+1))

	// A Service on the same store, with its own secret, as the shop's
	// server would run: the first login checks the bcrypt hash and
	// replaces it with argon2id; the ECShop digest and pay password work.
	svc, err := security.New(st, security.NotifierFunc(func(context.Context, security.Message) error { return nil }),
		security.Config{Secret: []byte("8dK2mQx7Lp4Vn1Zr6Ts3Wy9Hb0Jf5Ge2Uc7Ia4Oq1Ek=")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(ctx) })
	require.ErrorIs(t, svc.VerifyPassword(ctx, "m42", "wrong"), security.ErrWrongPassword)
	require.NoError(t, svc.VerifyPassword(ctx, "m42", gen.Vectors()[42].Password))
	m42, err = st.GetAccount(ctx, "m42")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(m42.PasswordHash, "$argon2id$"), "upgraded at the first login")
	require.NoError(t, svc.VerifyPassword(ctx, "m42", gen.Vectors()[42].Password))
	require.NoError(t, svc.VerifyPassword(ctx, "shop-1", "password"))
	require.NoError(t, svc.VerifyPayPassword(ctx, "shop-1", "123456"))
}

// TestImportCSVAndResume: CSV with quoted commas; -resume-from skips the
// lines before it; -dry-run writes nothing.
func TestImportCSVAndResume(t *testing.T) {
	pool := newPool(t)
	schema := testSchema(t, pool)
	vs := gen.Vectors()
	csv := "userId,passwordHash,phone,email,emailVerified,createdAt\n" +
		`"shop,1",` + vs[1].Hash + `,13800000001,"""Ann"" <a@example.com>",1,2019-03-01T08:00:00+08:00` + "\n" +
		`"shop,2",` + vs[2].Hash + `,13800000002,b@example.com,0,2019-03-01 08:00:00` + "\n" +
		`"shop,3",` + vs[3].Hash + `,13800000003` + "\n" +
		`"shop,4",` + vs[4].Hash + `,13800000004,d@example.com,true,` + "\n"
	path := filepath.Join(t.TempDir(), "members.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv), 0o600))

	out, stderr, err := runCmd(t, "-dry-run", path)
	require.ErrorIs(t, err, errRefused)
	assert.Contains(t, out, "would import")
	assert.Contains(t, stderr, `line 2 userId "shop,1": bad_email`)
	assert.Contains(t, stderr, `line 4 userId "shop,3": malformed_line (CSV: wrong number of fields)`)
	var exists bool
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists))
	assert.False(t, exists, "a dry run creates nothing")

	out, stderr, err = runCmd(t, "-postgres", dbURL(), "-schema", schema, "-resume-from", "3", path)
	require.ErrorIs(t, err, errRefused, stderr)
	assert.Contains(t, out, "(1 skipped before the resume line)")
	assert.Contains(t, out, "imported: 2\n")
	st, err := pgstore.New(pool, pgstore.Config{Schema: schema})
	require.NoError(t, err)
	a, err := st.GetAccount(context.Background(), "shop,4")
	require.NoError(t, err)
	assert.True(t, a.EmailVerified)
	_, err = st.GetAccount(context.Background(), "shop,1")
	assert.ErrorIs(t, err, security.ErrNotFound)
}

// TestFlags: bad command lines are refused before anything is read.
func TestFlags(t *testing.T) {
	t.Setenv("ACCTSEC_POSTGRES_URL", "")
	for name, args := range map[string][]string{
		"no input":       {"-dry-run"},
		"no database":    {"x.jsonl"},
		"stdin, no fmt":  {"-dry-run", "-"},
		"bad extension":  {"-dry-run", "x.txt"},
		"unknown format": {"-dry-run", "-format", "xml", "x.jsonl"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCmd(t, args...)
			require.Error(t, err)
		})
	}
}

// TestStdinDryRun reads JSON Lines from stdin.
func TestStdinDryRun(t *testing.T) {
	var in bytes.Buffer
	require.NoError(t, gen.WriteJSONL(&in, 0, 20))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-dry-run", "-format", "jsonl", "-"}, &in, &out, &errOut, false)
	require.NoError(t, err, errOut.String())
	assert.Contains(t, out.String(), "would import (dry run, nothing written; store conflicts not checked): 20\n")
}

// TestProgressOnTerminal: on a terminal, stderr shows a progress line,
// cleared before the summary.
func TestProgressOnTerminal(t *testing.T) {
	var in bytes.Buffer
	require.NoError(t, gen.WriteJSONL(&in, 0, 30))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-dry-run", "-batch", "10", "-format", "jsonl", "-"}, &in, &out, &errOut, true)
	require.NoError(t, err)
	assert.Contains(t, errOut.String(), "\r\x1b[K30 read (line 30), 30 imported, 0 already present, 0 refused, ")
	assert.True(t, strings.HasSuffix(errOut.String(), "\r\x1b[K"), "cleared")

	errOut.Reset()
	in.Reset()
	require.NoError(t, gen.WriteJSONL(&in, 0, 30))
	require.NoError(t, run(context.Background(), []string{"-dry-run", "-format", "jsonl", "-"}, &in, &out, &errOut, false))
	assert.Empty(t, errOut.String(), "no progress off a terminal")
}
