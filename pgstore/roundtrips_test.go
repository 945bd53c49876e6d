package pgstore_test

import (
	"testing"

	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/securitytest"
)

// TestRoundTripsPerFlow runs the code flows on PostgreSQL and holds each
// step's store calls (one statement each, as TestHotOperationsAreOneStatement
// shows) to securitytest.Steps' maxima.
func TestRoundTripsPerFlow(t *testing.T) {
	st := newStore(t, nil, pgstore.Config{})
	steps := securitytest.RoundTrips(t, st)
	t.Log("store round trips per step:\n" + securitytest.FormatSteps(steps))
}
