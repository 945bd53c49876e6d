package memstore

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// floodPhones is how many distinct phones, and as many distinct client
// IPs, TestFloodOfSendThrottles sends from: four counters each, two
// million in all, the default cap.
const floodPhones = 500_000

// floodKey returns a counter key of the Service's shape: a shard prefix of
// four base64url characters and a ".", kind, and i in 22 zero-padded
// digits, the length of the Service's base64 key suffix.
func floodKey(kind string, i int) string {
	d := strconv.Itoa(i)
	return "AbC_." + kind + strings.Repeat("0", 22-len(d)) + d
}

// TestFloodOfSendThrottles: half a million distinct phones, each requested
// from its own client IP, hit send throttles built on counters, one per
// key and window (per IP 20 an hour; per phone 1 a minute, 5 an hour, 10 a
// day). The two million counters cost at most bytesPerKey each, and once
// their windows have passed a sweep returns the memory: the minute's and
// the hour's after an hour, the day's after a day.
func TestFloodOfSendThrottles(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test skipped in -short mode")
	}
	ctx := t.Context()
	type throttle struct {
		kind   string
		window time.Duration
		max    int
	}
	throttles := []throttle{{"send-ip:", time.Hour, 20}, {"send-1m:", time.Minute, 1}, {"send-1h:", time.Hour, 5}, {"send-1d:", 24 * time.Hour, 10}}
	hits := func(i int) []security.Hit {
		h := make([]security.Hit, len(throttles))
		for j, th := range throttles {
			h[j] = security.Hit{Key: floodKey(th.kind, i), Window: th.window, Add: 1, Max: th.max}
		}
		return h
	}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	before := heapAlloc()
	for i := range floodPhones {
		got, err := s.Count(ctx, now, hits(i))
		if err != nil || !got[0].Applied || !got[3].Applied {
			t.Fatalf("phone %d: %v, error %v", i, got, err)
		}
	}
	flooded := heapAlloc()
	keys := len(throttles) * floodPhones
	require.Equal(t, keys, s.counts()["counters"])
	perKey := float64(flooded-before) / float64(keys)
	t.Logf("%d counters: heap %.1f MiB -> %.1f MiB, %.1f B per counter (bound %d)",
		keys, float64(before)/(1<<20), float64(flooded)/(1<<20), perKey, bytesPerKey)
	require.LessOrEqual(t, perKey, float64(bytesPerKey))

	// A second send to a phone inside its minute is refused by the
	// minute's counter and records nothing there.
	for i := 0; i < floodPhones; i += 1000 {
		got, err := s.Count(ctx, now.Add(time.Second), hits(i)[1:2])
		require.NoError(t, err)
		require.Equal(t, security.Tally{Count: 1, Next: leaves(now, time.Minute)}, got[0])
	}

	// After the hour only the day's counters are left.
	s.sweep(leaves(now, time.Hour))
	require.Equal(t, floodPhones, s.counts()["counters"])
	hour := heapAlloc()
	t.Logf("after the hour's sweep: %.1f MiB", float64(hour)/(1<<20))
	require.Less(t, hour, flooded, "the hour's counters' memory is returned")

	s.sweep(leaves(now, 24*time.Hour))
	require.Zero(t, s.counts()["counters"])
	swept := heapAlloc()
	left := int64(swept) - int64(before)
	t.Logf("after the day's sweep: %.1f MiB (%+d B over the baseline)", float64(swept)/(1<<20), left)
	// Near the baseline: under 1 MiB, against the hundreds of MiB flooded.
	require.Less(t, left, int64(1<<20), "the sweep must return the flood's memory")
}
