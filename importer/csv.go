package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvSource reads CSV with a header row.
type csvSource struct {
	cr     *csv.Reader
	header []string
}

func newCSVSource(r io.Reader, maxLine int) (*csvSource, error) {
	br := bufio.NewReader(&lineCap{r: r, max: maxLine})
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("importer: empty CSV input: a header row is required")
	}
	if err != nil {
		return nil, fmt.Errorf("importer: CSV header: %w", err)
	}
	header = append([]string(nil), header...)
	seen := map[string]bool{}
	for _, h := range header {
		h = strings.TrimSpace(h)
		if !knownColumn(h) {
			if len(h) > 40 || printableID(h) == "" {
				h = "(unprintable)"
			}
			return nil, fmt.Errorf("importer: CSV header: unknown column %q (known: %s)", h, strings.Join(columns, ", "))
		}
		if seen[h] {
			return nil, fmt.Errorf("importer: CSV header: column %q twice", h)
		}
		seen[h] = true
	}
	for _, need := range []string{colUserID, colPasswordHash} {
		if !seen[need] {
			return nil, fmt.Errorf("importer: CSV header: column %q is required", need)
		}
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	cr.FieldsPerRecord = len(header)
	return &csvSource{cr: cr, header: header}, nil
}

func (s *csvSource) next() (record, error) {
	fields, err := s.cr.Read()
	if err == io.EOF {
		return record{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		ref := &Refusal{Line: pe.StartLine, Reason: ReasonMalformed, Detail: "CSV: " + csvProblem(pe.Err)}
		if errors.Is(pe.Err, csv.ErrFieldCount) && len(fields) > 0 {
			for i, h := range s.header {
				if h == colUserID && i < len(fields) {
					ref.UserID = printableID(fields[i])
				}
			}
		}
		return record{line: pe.StartLine, refusal: ref}, nil
	}
	if err != nil {
		return record{}, fmt.Errorf("importer: reading CSV: %w", err)
	}
	line, _ := s.cr.FieldPos(0)
	r := make(row, len(s.header))
	for i, h := range s.header {
		r[h] = fields[i]
	}
	return record{line: line, row: r}, nil
}

// csvProblem names a CSV parse error without quoting the input.
func csvProblem(err error) string {
	switch {
	case errors.Is(err, csv.ErrFieldCount):
		return "wrong number of fields"
	case errors.Is(err, csv.ErrQuote):
		return `extraneous or missing " in quoted field`
	case errors.Is(err, csv.ErrBareQuote):
		return `bare " in non-quoted field`
	}
	return "unreadable record"
}

// errLineTooLong stops a CSV run: after an overlong line a CSV reader
// cannot tell where the next record starts.
var errLineTooLong = errors.New("importer: a line is longer than the limit (Options.MaxLineBytes)")

// lineCap passes r through, failing when a line is longer than max bytes.
type lineCap struct {
	r   io.Reader
	max int
	cur int
}

func (l *lineCap) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.cur = 0
			continue
		}
		l.cur++
		if l.cur > l.max {
			return i, errLineTooLong
		}
	}
	return n, err
}
