package pgstore

import (
	"errors"
	"strings"
	"time"
)

// DefaultSchema is the schema used when Config.Schema is empty.
const DefaultSchema = "acctsec"

// DefaultCleanupBatch is the number of rows one Cleanup statement deletes
// when Config.CleanupBatch is zero.
const DefaultCleanupBatch = 1000

// Config configures a Store. The zero value is valid and means the
// documented defaults.
type Config struct {
	// Schema is the PostgreSQL schema holding the tables and functions;
	// Migrate creates it when missing. Default "acctsec". It is quoted as an
	// identifier, so any name PostgreSQL accepts works, except names holding
	// '$' or a NUL byte.
	Schema string
	// Now is the clock of Cleanup and StartCleanup, which have no other
	// source of time. Default time.Now. The Store methods of security.Store
	// take their time from their arguments.
	Now func() time.Time
	// CleanupBatch is the most rows one DELETE statement of Cleanup removes.
	// Default DefaultCleanupBatch.
	CleanupBatch int
	// CleanupReport, when set, is called after each run of the StartCleanup
	// loop with the number of rows deleted and the error, if any. It must not
	// block for long.
	CleanupReport func(deleted int64, err error)
}

func (c Config) withDefaults() (Config, error) {
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if len(c.Schema) > 63 {
		return c, errors.New("pgstore: schema name longer than 63 bytes")
	}
	if strings.ContainsAny(c.Schema, "$\x00") {
		return c, errors.New("pgstore: schema name holds '$' or NUL")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CleanupBatch < 0 {
		return c, errors.New("pgstore: negative CleanupBatch")
	}
	if c.CleanupBatch == 0 {
		c.CleanupBatch = DefaultCleanupBatch
	}
	return c, nil
}
