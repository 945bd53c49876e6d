package pgstore_test

import (
	"testing"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/storetest"
)

// TestConformance runs the storetest suite against PostgreSQL. The subtests
// use unique keys, so they share one migrated schema.
func TestConformance(t *testing.T) {
	st := newStore(t, nil, pgstore.Config{})
	storetest.Run(t, func(*testing.T) security.Store { return st })
}
