package importer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/importer"
)

// TestRunCSV: a header in any order (after Excel's BOM), quoted commas,
// records of the wrong width refused by line, MySQL times in the given
// location.
func TestRunCSV(t *testing.T) {
	e := newEnv(t)
	input := "\xef\xbb\xbfemail,userId,passwordHash,passwordSalt,passwordScheme,createdAt,emailVerified\n" +
		`carol@example.com,"shop,42",` + bcryptPassword + `,,,2019-03-01 08:00:00,true` + "\n" +
		`,"u2",` + discuzDigest + `,` + discuzSalt + `,md5-md5pass-salt,,` + "\n" +
		`dave@example.com,u3,` + bcryptPassword + "\n" +
		"\n" +
		`,"multi` + "\n" + `line",` + bcryptPassword + `,,,,` + "\n" +
		`,u6,` + bcryptPassword + `,,,,maybe` + "\n"
	utc8 := time.FixedZone("UTC+8", 8*3600)
	sum, refused, err := e.run(t, input, importer.Options{Format: importer.FormatCSV, Location: time.UTC})
	require.NoError(t, err)
	assert.Equal(t, []lineReason{{4, importer.ReasonMalformed}, {6, importer.ReasonBadUserID}, {8, importer.ReasonMalformed}}, reasons(refused))
	assert.Equal(t, "CSV: wrong number of fields", refused[0].Detail)
	assert.Equal(t, "u3", refused[0].UserID)
	assert.Equal(t, 5, sum.Read)
	assert.Equal(t, 2, sum.Imported)

	a, err := e.store.GetAccount(bg, "shop,42")
	require.NoError(t, err)
	assert.Equal(t, "carol@example.com", a.Email)
	assert.True(t, a.EmailVerified)
	assert.Equal(t, time.Date(2019, 3, 1, 8, 0, 0, 0, utc8).Add(8*time.Hour).UTC(), a.CreatedAt, "read in the given location, UTC")
	_, err = e.store.GetAccount(bg, "multi\nline")
	assert.Error(t, err, "a user ID with a newline is not printable")
	require.NoError(t, e.svc.VerifyPassword(bg, "u2", "password"))
}

// TestCSVHeader: unknown, repeated or missing columns stop the run before
// any row.
func TestCSVHeader(t *testing.T) {
	for name, header := range map[string]string{
		"unknown":  "userId,passwordHash,password",
		"repeated": "userId,passwordHash,userId",
		"no hash":  "userId,phone",
		"empty":    "",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			sum, _, err := e.run(t, header+"\nu1,"+bcryptPassword+",x\n", importer.Options{Format: importer.FormatCSV})
			require.Error(t, err)
			assert.Equal(t, 0, sum.Read)
		})
	}
}

// TestFormatOf tells formats by extension and refuses the rest.
func TestFormatOf(t *testing.T) {
	for name, want := range map[string]importer.Format{
		"users.jsonl": importer.FormatJSONL, "a/b.NDJSON": importer.FormatJSONL, "x.csv": importer.FormatCSV,
	} {
		got, err := importer.FormatOf(name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{"users", "users.txt", "users.json", "-"} {
		_, err := importer.FormatOf(name)
		assert.Error(t, err, name)
	}
	_, err := importer.Run(bg, nil, strings.NewReader(""), nil, importer.Options{})
	assert.Error(t, err)
}
