package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/cmd/acctsec-import/internal/gen"
)

// benchRowsEnv sets the number of rows of TestImportRate; unset, the test
// is skipped, so that CI stays fast.
const benchRowsEnv = "ACCTSEC_IMPORT_BENCH_ROWS"

// TestImportRate measures the command end to end on this machine: a
// generated JSON Lines file of $ACCTSEC_IMPORT_BENCH_ROWS members with
// bcrypt hashes (self-describing: no argon2id onion) into a fresh
// PostgreSQL schema, then the onion's rate for ECShop salted-MD5 rows on
// one worker (a dry run: preparation only). It logs both rates; it
// asserts only that every row was imported.
//
//	ACCTSEC_IMPORT_BENCH_ROWS=1000000 ACCTSEC_REQUIRE_SERVICES=1 \
//		go test -run TestImportRate -v -timeout 30m ./cmd/acctsec-import
func TestImportRate(t *testing.T) {
	rows, err := strconv.Atoi(os.Getenv(benchRowsEnv))
	if err != nil || rows <= 0 {
		t.Skip("set " + benchRowsEnv + " to the number of rows (e.g. 1000000) to measure the import rate")
	}
	pool := newPool(t)
	schema := testSchema(t, pool)
	dir := t.TempDir()
	path := filepath.Join(dir, "members.jsonl")
	writeFile(t, path, func(w *bufio.Writer) error { return gen.WriteJSONL(w, 0, rows) })

	start := time.Now()
	out, stderr, err := runCmd(t, "-postgres", dbURL(), "-schema", schema, path)
	el := time.Since(start)
	require.NoError(t, err, stderr)
	require.Contains(t, out, fmt.Sprintf("imported: %d\n", rows))
	t.Logf("bcrypt rows into PostgreSQL: %d rows in %s = %.0f rows/s (GOMAXPROCS %d)\n%s",
		rows, el.Round(time.Millisecond), float64(rows)/el.Seconds(), runtime.GOMAXPROCS(0), out)

	const md5Rows = 200
	md5Path := filepath.Join(dir, "md5.jsonl")
	writeFile(t, md5Path, func(w *bufio.Writer) error { return gen.WriteMD5JSONL(w, 0, md5Rows) })
	out, stderr, err = runCmd(t, "-dry-run", "-workers", "1", md5Path)
	require.NoError(t, err, stderr)
	m := regexp.MustCompile(`\(([0-9]+) records/s\)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	t.Logf("ECShop md5 rows wrapped in argon2id, one worker: %s rows/s\n%s", m[1], out)
}

func writeFile(t *testing.T, path string, fill func(*bufio.Writer) error) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	require.NoError(t, fill(w))
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
}
