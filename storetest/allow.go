package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

var allowTests = []stateTest{
	{"MinuteWindow", testAllowMinute},
	{"RefusedNotRecorded", testAllowRefusedNotRecorded},
	{"HourWindow", testAllowHour},
	{"DayWindow", testAllowDay},
	{"SlidingNotFixed", testAllowSliding},
	{"KeysIsolated", testAllowKeys},
	{"Concurrent", testAllowConcurrent},
}

// sendWindows are the windows of a typical "send a code" throttle.
var sendWindows = []security.Window{
	{Period: time.Minute, Max: 1},
	{Period: time.Hour, Max: 5},
	{Period: 24 * time.Hour, Max: 10},
}

func allow(t *testing.T, s security.StateStore, key string, now time.Time, windows []security.Window, want time.Duration, msg ...any) {
	t.Helper()
	got, err := s.Allow(t.Context(), key, now, windows)
	require.NoError(t, err)
	require.Equal(t, want, got, msg...)
}

func testAllowMinute(t *testing.T, s security.StateStore) {
	key, now := unique("allow"), start()
	allow(t, s, key, now, sendWindows, 0, "first hit")
	allow(t, s, key, now, sendWindows, time.Minute, "immediate second hit")
	allow(t, s, key, now.Add(10*time.Second), sendWindows, 50*time.Second)
	allow(t, s, key, now.Add(time.Minute-time.Millisecond), sendWindows, time.Millisecond)
	allow(t, s, key, now.Add(time.Minute), sendWindows, 0, "the first hit left the minute")
}

func testAllowRefusedNotRecorded(t *testing.T, s security.StateStore) {
	key, now := unique("allow"), start()
	allow(t, s, key, now, sendWindows, 0)
	for i := 1; i <= 20; i++ {
		at := now.Add(time.Duration(i) * 2 * time.Second)
		allow(t, s, key, at, sendWindows, time.Minute-time.Duration(i)*2*time.Second, "refused hit %d", i)
	}
	// Had the refusals been recorded the minute would still be full, and
	// the hour would be over its five.
	allow(t, s, key, now.Add(time.Minute), sendWindows, 0)
}

func testAllowHour(t *testing.T, s security.StateStore) {
	key, now := unique("allow"), start()
	const gap = 61 * time.Second
	for i := range 5 {
		allow(t, s, key, now.Add(time.Duration(i)*gap), sendWindows, 0, "hit %d", i+1)
	}
	sixth := now.Add(5 * gap)
	allow(t, s, key, sixth, sendWindows, time.Hour-5*gap, "6th hit within the hour")
	allow(t, s, key, now.Add(time.Hour-time.Millisecond), sendWindows, time.Millisecond)
	allow(t, s, key, now.Add(time.Hour), sendWindows, 0, "the first hit left the hour")
	// Hits 2..5 and the one at +1h fill the hour: room again when hit 2
	// leaves, at +1h+61s.
	allow(t, s, key, now.Add(time.Hour+time.Minute), sendWindows, gap-time.Minute)
	allow(t, s, key, now.Add(time.Hour+gap), sendWindows, 0)
}

func testAllowDay(t *testing.T, s security.StateStore) {
	key, now := unique("allow"), start()
	for i := range 10 {
		allow(t, s, key, now.Add(time.Duration(i)*time.Hour), sendWindows, 0, "hit %d", i+1)
	}
	allow(t, s, key, now.Add(10*time.Hour), sendWindows, 14*time.Hour, "11th hit within the day")
	allow(t, s, key, now.Add(24*time.Hour-time.Millisecond), sendWindows, time.Millisecond)
	allow(t, s, key, now.Add(24*time.Hour), sendWindows, 0, "the first hit left the day")
	// The minute window and the day window both refuse: the later wins.
	allow(t, s, key, now.Add(24*time.Hour+time.Second), sendWindows, time.Hour-time.Second)
}

func testAllowSliding(t *testing.T, s security.StateStore) {
	key, now := unique("allow"), start()
	// The first clock hour at least 150 s from now.
	boundary := now.Add(time.Hour + 150*time.Second).Truncate(time.Hour)
	const gap = 61 * time.Second
	first := boundary.Add(-150 * time.Second)
	// Three hits before the clock hour turns, two after it.
	for i := range 5 {
		allow(t, s, key, first.Add(time.Duration(i)*gap), sendWindows, 0, "hit %d", i+1)
	}
	at := first.Add(5 * gap)
	require.True(t, at.After(boundary))
	allow(t, s, key, at, sendWindows, first.Add(time.Hour).Sub(at), "a fixed window would allow this hit")
}

func testAllowKeys(t *testing.T, s security.StateStore) {
	a, b, now := unique("allow"), unique("allow"), start()
	allow(t, s, a, now, sendWindows, 0)
	allow(t, s, b, now, sendWindows, 0, "another key")
	allow(t, s, a, now, sendWindows, time.Minute)
	allow(t, s, b, now, sendWindows, time.Minute)
}

func testAllowConcurrent(t *testing.T, s security.StateStore) {
	const n = 50
	ctx := t.Context()
	key, now := unique("allow"), start()
	windows := []security.Window{{Period: time.Hour, Max: 5}}

	got := make([]time.Duration, n)
	errs := make([]error, n)
	race(n, func(i int) { got[i], errs[i] = s.Allow(ctx, key, now, windows) })

	allowed := 0
	for i := range n {
		require.NoError(t, errs[i])
		if got[i] == 0 {
			allowed++
			continue
		}
		require.Equal(t, time.Hour, got[i])
	}
	require.Equal(t, 5, allowed, "hits allowed out of %d concurrent", n)
	allow(t, s, key, now.Add(time.Minute), windows, time.Hour-time.Minute)
}
