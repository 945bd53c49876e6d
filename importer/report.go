package importer

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Reasons a row is refused: the Reason of a Refusal and the keys of
// Summary.Refused.
const (
	// ReasonMalformed: the line is not a JSON object of the known names with
	// string, number, boolean or null values, a CSV record has the wrong
	// number of fields, emailVerified is not a boolean, or the line is
	// too long.
	ReasonMalformed = "malformed_line"
	// ReasonBadUserID: userId is empty, longer than 128 bytes or not
	// printable UTF-8.
	ReasonBadUserID = "bad_user_id"
	// ReasonMissingHash: no passwordHash (acctsec imports hashes only).
	ReasonMissingHash = "missing_hash"
	// ReasonBadHash: passwordHash is in no known format, or does not fit
	// passwordScheme and passwordSalt, or is over the cost ceilings.
	ReasonBadHash = "bad_hash"
	// ReasonBadPayHash: the same for payPasswordHash.
	ReasonBadPayHash = "bad_pay_hash"
	// ReasonBadPhone: the phone does not parse or its country is not allowed.
	ReasonBadPhone = "bad_phone"
	// ReasonBadEmail: the address is not a plain, valid address.
	ReasonBadEmail = "bad_email"
	// ReasonBadCreatedAt: createdAt is neither RFC 3339 nor
	// "2006-01-02 15:04:05".
	ReasonBadCreatedAt = "bad_created_at"
	// ReasonDuplicateUser: an earlier line of this run had the same userId.
	ReasonDuplicateUser = "duplicate_user"
	// ReasonPhoneTaken: another account (in the store, or imported from an
	// earlier line) holds the phone.
	ReasonPhoneTaken = "phone_taken"
	// ReasonEmailTaken: the same for the address.
	ReasonEmailTaken = "email_taken"
	// ReasonInvalid: PrepareAccount refused the row for another reason.
	ReasonInvalid = "invalid"
)

// Refusal is one refused row. Its JSON form is one line of a report file.
// Detail never holds a hash, salt or password; phones and addresses in it
// are masked.
type Refusal struct {
	Line   int    `json:"line"`
	UserID string `json:"userId,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// String is the refusal as one line of text.
func (r Refusal) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", r.Line)
	if r.UserID != "" {
		fmt.Fprintf(&b, " userId %q", r.UserID)
	}
	fmt.Fprintf(&b, ": %s", r.Reason)
	if r.Detail != "" {
		fmt.Fprintf(&b, " (%s)", r.Detail)
	}
	return b.String()
}

// Summary counts a run's outcomes.
type Summary struct {
	// DryRun says nothing was written: Imported counts the rows that
	// would have been handed to the sink.
	DryRun bool
	// Read is the number of records read (blank lines and the CSV header
	// excluded), Skipped those before Options.ResumeFrom among them.
	Read, Skipped int
	// Imported rows were stored; AlreadyPresent rows had a record under
	// their userId, left as it was.
	Imported, AlreadyPresent int
	// Refused counts the refused rows by reason.
	Refused map[string]int
	// Done is the last line whose batch is complete: after a failure, a
	// run with ResumeFrom = Done+1 carries on.
	Done int
	// Duration is the time the run took.
	Duration time.Duration
}

// RefusedTotal is the number of refused rows.
func (s Summary) RefusedTotal() int {
	n := 0
	for _, c := range s.Refused {
		n += c
	}
	return n
}

// Rate is the number of records read per second.
func (s Summary) Rate() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Read-s.Skipped) / s.Duration.Seconds()
}

// WriteTo writes the summary as a few lines of text.
func (s Summary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	imported := "imported"
	if s.DryRun {
		imported = "would import (dry run, nothing written; store conflicts not checked)"
	}
	fmt.Fprintf(&b, "read %d records", s.Read)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, " (%d skipped before the resume line)", s.Skipped)
	}
	fmt.Fprintf(&b, " in %s (%.0f records/s)\n", s.Duration.Round(time.Millisecond), s.Rate())
	fmt.Fprintf(&b, "  %s: %d\n", imported, s.Imported)
	if !s.DryRun {
		fmt.Fprintf(&b, "  already present: %d\n", s.AlreadyPresent)
	}
	fmt.Fprintf(&b, "  refused: %d\n", s.RefusedTotal())
	reasons := make([]string, 0, len(s.Refused))
	for r := range s.Refused {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&b, "    %s: %d\n", r, s.Refused[r])
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
