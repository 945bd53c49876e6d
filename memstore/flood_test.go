package memstore

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// floodKeys is how many distinct phones, and as many distinct client IPs,
// TestFloodOfSendThrottles sends from.
const floodKeys = 1_000_000

// floodKey returns kind followed by i in 22 zero-padded digits, the length
// of the Service's base64 key suffix.
func floodKey(kind string, i int) string {
	d := strconv.Itoa(i)
	return kind + strings.Repeat("0", 22-len(d)) + d
}

// TestFloodOfSendThrottles: one million distinct phones, each requested
// from its own client IP, hit the Service's send throttles with their
// default windows (per IP 20 an hour; per phone 1 a minute, 5 an hour, 10 a
// day). Keys have the Service's shape and length ("send-ip:" and
// "send-dest:" followed by 22 base64 characters). The two million keys cost
// at most bytesPerKey each, and once the windows have passed a sweep
// returns the memory: the IP keys after an hour, the phone keys after a day.
func TestFloodOfSendThrottles(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test skipped in -short mode")
	}
	ctx := t.Context()
	def := security.DefaultLimits()
	ipWindows := []security.Window{{Period: time.Hour, Max: def.SendsPerIPHour}}
	destWindows := []security.Window{{Period: def.SendCooldown, Max: 1}, {Period: time.Hour, Max: def.SendsPerHour}, {Period: 24 * time.Hour, Max: def.SendsPerDay}}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

	require.Len(t, floodKey("send-ip:", 123), len("send-ip:")+22)
	s := New(WithSweepInterval(0))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	before := heapAlloc()
	for i := range floodKeys {
		if wait, err := s.Allow(ctx, floodKey("send-ip:", i), now, ipWindows); err != nil || wait != 0 {
			t.Fatalf("IP key %d: wait %v, error %v", i, wait, err)
		}
		if wait, err := s.Allow(ctx, floodKey("send-dest:", i), now, destWindows); err != nil || wait != 0 {
			t.Fatalf("phone key %d: wait %v, error %v", i, wait, err)
		}
	}
	flooded := heapAlloc()
	require.Equal(t, 2*floodKeys, s.counts()["limits"])
	perKey := float64(flooded-before) / (2 * floodKeys)
	t.Logf("%d keys: heap %.1f MiB -> %.1f MiB, %.1f B per key (bound %d)",
		2*floodKeys, float64(before)/(1<<20), float64(flooded)/(1<<20), perKey, bytesPerKey)
	require.LessOrEqual(t, perKey, float64(bytesPerKey))

	// A second send to every phone inside its cooldown is refused and
	// records nothing.
	for i := 0; i < floodKeys; i += 1000 {
		wait, err := s.Allow(ctx, floodKey("send-dest:", i), now.Add(time.Second), destWindows)
		require.NoError(t, err)
		require.Equal(t, def.SendCooldown-time.Second, wait)
	}

	// After the hour the IP keys go; the phones stay for their day.
	s.sweep(now.Add(time.Hour))
	require.Equal(t, floodKeys, s.counts()["limits"])
	hour := heapAlloc()
	t.Logf("after the hour's sweep: %.1f MiB", float64(hour)/(1<<20))
	require.Less(t, hour, flooded, "the IP keys' memory is returned")

	s.sweep(now.Add(24 * time.Hour))
	require.Zero(t, s.counts()["limits"])
	swept := heapAlloc()
	left := int64(swept) - int64(before)
	t.Logf("after the day's sweep: %.1f MiB (%+d B over the baseline)", float64(swept)/(1<<20), left)
	// Near the baseline: under 1 MiB, against the hundreds of MiB flooded.
	require.Less(t, left, int64(1<<20), "the sweep must return the flood's memory")
}
