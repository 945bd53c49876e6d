package importer

import (
	"errors"
	"strings"
	"time"

	"github.com/acctsec/security"
)

// row is one input record as text, before it becomes a NewAccount. Its
// fields are the columns by name.
type row map[string]string

// mysqlDateTime is the text of a MySQL DATETIME (and PostgreSQL's
// timestamp without time zone cast to text), with optional fraction.
const mysqlDateTime = "2006-01-02 15:04:05.999999999"

// errField is a row whose field does not parse; its text names the field
// only.
type errField struct{ reason, field string }

func (e *errField) Error() string { return e.field + " does not parse" }

// newAccount turns r into the NewAccount PrepareAccount takes. loc reads
// createdAt values without a zone.
func (r row) newAccount(loc *time.Location) (security.NewAccount, error) {
	n := security.NewAccount{
		UserID:            r[colUserID],
		PasswordHash:      r[colPasswordHash],
		PasswordSalt:      r[colPasswordSalt],
		PasswordScheme:    r[colPasswordScheme],
		Phone:             strings.TrimSpace(r[colPhone]),
		Email:             strings.TrimSpace(r[colEmail]),
		PayPasswordHash:   r[colPayPasswordHash],
		PayPasswordSalt:   r[colPayPasswordSalt],
		PayPasswordScheme: r[colPayPasswordScheme],
	}
	if n.PasswordHash == "" {
		return n, &errField{ReasonMissingHash, colPasswordHash}
	}
	switch strings.ToLower(strings.TrimSpace(r[colEmailVerified])) {
	case "", "0", "false", "f", "no", "n":
	case "1", "true", "t", "yes", "y":
		n.EmailVerified = true
	default:
		return n, &errField{ReasonMalformed, colEmailVerified}
	}
	if s := strings.TrimSpace(r[colCreatedAt]); s != "" {
		t, err := parseTime(s, loc)
		if err != nil {
			return n, &errField{ReasonBadCreatedAt, colCreatedAt}
		}
		n.CreatedAt = t
	}
	return n, nil
}

// parseTime reads RFC 3339, or a zoneless "2006-01-02 15:04:05[.frac]" in
// loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(mysqlDateTime, s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("bad time")
}

// DefaultLocation is where zoneless createdAt values are read unless
// Options.Location says otherwise: Asia/Shanghai from the system's zone
// database, or, when the system has none, a fixed UTC+8 (which is
// Shanghai's offset since 1991; it kept summer time from 1986 to 1991).
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("UTC+8", 8*60*60)
}
