package importer

import (
	"unicode"
)

// DefaultMaxLineBytes is the default for Options.MaxLineBytes: far above a
// member record (a few hundred bytes), far below what could exhaust memory.
const DefaultMaxLineBytes = 64 << 10

// record is one row read from the input, or a line refused before it
// became a row (refusal set). A JSON line is read as raw and parsed
// on the workers.
type record struct {
	line    int
	raw     []byte
	row     row
	refusal *Refusal
}

// source reads records one by one; next returns io.EOF at the end and
// any other error when the input cannot be read further.
type source interface {
	next() (record, error)
}

var bom = []byte("\xef\xbb\xbf")

// printableID returns id when it can be shown in a report (a valid user
// ID: 1..128 bytes of printable UTF-8), else "".
func printableID(id string) string {
	if id == "" || len(id) > 128 {
		return ""
	}
	for _, r := range id {
		if r == 0xFFFD || !unicode.IsPrint(r) {
			return ""
		}
	}
	return id
}
