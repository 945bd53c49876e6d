package memstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) security.Store {
		s := memstore.New()
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s
	})
}

// One store shared by every subtest: the suite must not need an empty store.
func TestConformanceShared(t *testing.T) {
	s := memstore.New()
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	storetest.Run(t, func(*testing.T) security.Store { return s })
}

func TestCloseIdempotent(t *testing.T) {
	for _, opts := range [][]memstore.Option{nil, {memstore.WithSweepInterval(0)}} {
		s := memstore.New(opts...)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close())
	}
}
