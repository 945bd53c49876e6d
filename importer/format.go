package importer

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the layout of an input file.
type Format int

// Formats.
const (
	// FormatAuto is no choice: Run refuses it; use FormatOf or ParseFormat.
	FormatAuto Format = iota
	// FormatJSONL is one JSON object per line (JSON Lines, NDJSON).
	FormatJSONL
	// FormatCSV is RFC 4180 CSV with a header row.
	FormatCSV
)

// String returns "jsonl" or "csv".
func (f Format) String() string {
	switch f {
	case FormatJSONL:
		return "jsonl"
	case FormatCSV:
		return "csv"
	}
	return "auto"
}

// ParseFormat reads a format's name: "jsonl" (or "ndjson") or "csv".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "jsonl", "ndjson":
		return FormatJSONL, nil
	case "csv":
		return FormatCSV, nil
	}
	return FormatAuto, fmt.Errorf("importer: unknown format %q (jsonl or csv)", s)
}

// FormatOf tells the format from a file name's extension: .jsonl and
// .ndjson are JSON Lines, .csv is CSV. (A .json file is usually one
// array, which is not this format.)
func FormatOf(name string) (Format, error) {
	ext := strings.TrimPrefix(filepath.Ext(name), ".")
	if ext == "" {
		return FormatAuto, fmt.Errorf("importer: cannot tell the format of %q: no extension", filepath.Base(name))
	}
	f, err := ParseFormat(ext)
	if err != nil {
		return FormatAuto, fmt.Errorf("importer: cannot tell the format of %q from its extension", filepath.Base(name))
	}
	return f, nil
}

// Column names, the same in JSON Lines and in a CSV header.
const (
	colUserID            = "userId"
	colPasswordHash      = "passwordHash"
	colPasswordSalt      = "passwordSalt"
	colPasswordScheme    = "passwordScheme"
	colPhone             = "phone"
	colEmail             = "email"
	colEmailVerified     = "emailVerified"
	colPayPasswordHash   = "payPasswordHash"
	colPayPasswordSalt   = "payPasswordSalt"
	colPayPasswordScheme = "payPasswordScheme"
	colCreatedAt         = "createdAt"
)

// columns are the known names.
var columns = []string{colUserID, colPasswordHash, colPasswordSalt, colPasswordScheme,
	colPhone, colEmail, colEmailVerified, colPayPasswordHash, colPayPasswordSalt,
	colPayPasswordScheme, colCreatedAt}

func knownColumn(name string) bool {
	for _, c := range columns {
		if c == name {
			return true
		}
	}
	return false
}
