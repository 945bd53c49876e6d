package security_test

import (
	"testing"

	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
)

// TestRoundTripsPerFlow counts the store round trips of each step of the
// code flows that the request waits for, on memstore, and holds each at
// securitytest.Steps' maxima. pgstore and redisstore run the same check on
// their backends.
func TestRoundTripsPerFlow(t *testing.T) {
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	steps := securitytest.RoundTrips(t, st)
	t.Log("store round trips per step:\n" + securitytest.FormatSteps(steps))
}
