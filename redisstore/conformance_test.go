package redisstore_test

import (
	"testing"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

// TestConformance runs the StateStore half of the shared conformance suite
// against the real server; every subtest gets its own key prefix.
func TestConformance(t *testing.T) {
	storetest.RunState(t, func(t *testing.T) security.StateStore { return newEnv(t).store })
}
