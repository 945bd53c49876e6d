package pgstore

import "context"

// MigrateUpTo applies the embedded migrations up to version upTo only, so a
// test can build an old schema and then upgrade it with Migrate.
func (s *Store) MigrateUpTo(ctx context.Context, upTo int) error { return s.migrate(ctx, upTo) }
