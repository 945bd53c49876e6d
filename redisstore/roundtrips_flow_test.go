package redisstore_test

import (
	"testing"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
)

// TestRoundTripsPerFlow runs the code flows with their short-lived state in
// Redis (accounts in memstore) and holds each step's store calls to
// securitytest.Steps' maxima; TestOneRoundTrip shows each call is one
// round trip.
func TestRoundTripsPerFlow(t *testing.T) {
	roundTrips(t, newEnv(t).store)
}

// TestClusterRoundTripsPerFlow runs the same code flows with their state on
// the 3-master cluster: every step must work there (each check's code and
// counters on one slot) within the same store calls.
func TestClusterRoundTripsPerFlow(t *testing.T) {
	rs, _ := clusterStore(t, newCluster(t))
	roundTrips(t, rs)
}

// roundTrips runs securitytest.RoundTrips with state in st and accounts
// in memstore.
func roundTrips(t *testing.T, st security.StateStore) {
	accounts := memstore.New()
	t.Cleanup(func() { _ = accounts.Close() })
	steps := securitytest.RoundTrips(t, security.Compose(accounts, st))
	t.Log("store round trips per step:\n" + securitytest.FormatSteps(steps))
}
