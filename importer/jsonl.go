package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonlSource reads JSON Lines.
type jsonlSource struct {
	br      *bufio.Reader
	line    int
	started bool
}

func newJSONLSource(r io.Reader, maxLine int) *jsonlSource {
	return &jsonlSource{br: bufio.NewReaderSize(r, maxLine+2)}
}

func (s *jsonlSource) next() (record, error) {
	for {
		b, err := s.br.ReadSlice('\n')
		if len(b) == 0 && err == io.EOF {
			return record{}, io.EOF
		}
		s.line++
		if errors.Is(err, bufio.ErrBufferFull) {
			if err := s.skipLine(); err != nil {
				return record{}, err
			}
			return record{line: s.line, refusal: &Refusal{Line: s.line, Reason: ReasonMalformed, Detail: "line too long"}}, nil
		}
		if err != nil && err != io.EOF {
			return record{}, fmt.Errorf("importer: reading line %d: %w", s.line, err)
		}
		if !s.started {
			s.started = true
			b = bytes.TrimPrefix(b, bom)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			if err == io.EOF {
				return record{}, io.EOF
			}
			continue
		}
		// Parsed later, on the workers (parse).
		return record{line: s.line, raw: bytes.Clone(b)}, nil
	}
}

// parse turns the raw JSON line of rec into its row or its refusal.
func (rec *record) parse() {
	if rec.raw == nil {
		return
	}
	r, detail := parseJSONLine(rec.raw)
	rec.raw = nil
	if detail != "" {
		rec.refusal = &Refusal{Line: rec.line, Reason: ReasonMalformed, Detail: detail}
		if r != nil {
			rec.refusal.UserID = printableID(r[colUserID])
		}
		return
	}
	rec.row = r
}

// skipLine discards the rest of an overlong line.
func (s *jsonlSource) skipLine() error {
	for {
		_, err := s.br.ReadSlice('\n')
		switch {
		case err == nil, err == io.EOF:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return fmt.Errorf("importer: reading line %d: %w", s.line, err)
		}
	}
}

// field is a JSON value of a row: a string, a number (kept as written),
// a boolean or null.
type field string

// UnmarshalJSON takes a string, number, boolean or null.
func (f *field) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = field(s)
	case string(b) == "null":
		*f = ""
	case string(b) == "true", string(b) == "false", b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = field(b)
	default:
		return errors.New("an object or array where a string, number or boolean belongs")
	}
	return nil
}

// jsonRow is a JSON line; unknown names are refused.
type jsonRow struct {
	UserID            field `json:"userId"`
	PasswordHash      field `json:"passwordHash"`
	PasswordSalt      field `json:"passwordSalt"`
	PasswordScheme    field `json:"passwordScheme"`
	Phone             field `json:"phone"`
	Email             field `json:"email"`
	EmailVerified     field `json:"emailVerified"`
	PayPasswordHash   field `json:"payPasswordHash"`
	PayPasswordSalt   field `json:"payPasswordSalt"`
	PayPasswordScheme field `json:"payPasswordScheme"`
	CreatedAt         field `json:"createdAt"`
}

// parseJSONLine returns the row of one line, or a detail saying why it is
// malformed (with what was read of the row, for its userId). The detail
// names no value: encoding/json's messages can quote input, so they are
// not passed on.
func parseJSONLine(b []byte) (row, string) {
	if b[0] != '{' {
		return nil, "not a JSON object"
	}
	var j jsonRow
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(&j)
	r := row{
		colUserID: string(j.UserID), colPasswordHash: string(j.PasswordHash),
		colPasswordSalt: string(j.PasswordSalt), colPasswordScheme: string(j.PasswordScheme),
		colPhone: string(j.Phone), colEmail: string(j.Email), colEmailVerified: string(j.EmailVerified),
		colPayPasswordHash: string(j.PayPasswordHash), colPayPasswordSalt: string(j.PayPasswordSalt),
		colPayPasswordScheme: string(j.PayPasswordScheme), colCreatedAt: string(j.CreatedAt),
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return r, "unknown field " + unknownName(err.Error())
		}
		return r, "invalid JSON"
	}
	if _, err := dec.Token(); err != io.EOF {
		return r, "text after the JSON object"
	}
	return r, ""
}

// unknownName is the quoted field name of encoding/json's unknown-field
// error, cut to a printable name of at most 40 bytes.
func unknownName(msg string) string {
	name := strings.TrimPrefix(msg, "json: unknown field ")
	name = strings.Trim(name, `"`)
	if len(name) > 40 || printableID(name) == "" {
		return "(unprintable)"
	}
	return fmt.Sprintf("%q", name)
}
