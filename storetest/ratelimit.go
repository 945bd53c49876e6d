package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

var counterTests = []roleTest[security.CounterStore]{
	{"CountsBuckets", testCounterBuckets},
	{"MaxRefusesWithoutRecording", testCounterMax},
	{"MaxCountsEventsAhead", testCounterMaxAhead},
	{"NegativeAddRefunds", testCounterRefund},
	{"Reset", testCounterReset},
	{"BatchInOrder", testCounterBatch},
	{"LongWindow", testCounterLongWindow},
	{"KeysIsolated", testCounterKeys},
	{"WindowsAreKeys", testCounterKeyWindow},
	{"InvalidHits", testCounterInvalid},
	{"ConcurrentMax", testCounterConcurrentMax},
	{"ConcurrentAdds", testCounterConcurrentAdds},
}

// width is the bucket width of window, as CounterBuckets defines it.
func width(window time.Duration) int64 { return int64(window) / security.CounterBuckets }

// bucketOf is the bucket index of t under window.
func bucketOf(t time.Time, window time.Duration) int64 { return t.UnixNano() / width(window) }

// leaves is when the bucket holding t stops being counted.
func leaves(t time.Time, window time.Duration) time.Time {
	return time.Unix(0, (bucketOf(t, window)+security.CounterBuckets+1)*width(window))
}

// bucketStart is the first instant of the bucket holding t.
func bucketStart(t time.Time, window time.Duration) time.Time {
	return time.Unix(0, bucketOf(t, window)*width(window))
}

func count(t *testing.T, s security.CounterStore, now time.Time, hits ...security.Hit) []security.Tally {
	t.Helper()
	got, err := s.Count(t.Context(), now, hits)
	require.NoError(t, err)
	require.Len(t, got, len(hits))
	return got
}

func one(t *testing.T, s security.CounterStore, now time.Time, h security.Hit) security.Tally {
	t.Helper()
	return count(t, s, now, h)[0]
}

func requireTally(t *testing.T, want, got security.Tally, msg string) {
	t.Helper()
	require.Equalf(t, want.Count, got.Count, "%s: Count", msg)
	require.Equalf(t, want.Applied, got.Applied, "%s: Applied", msg)
	requireTime(t, want.Next, got.Next, msg+": Next")
}

// testCounterMaxAhead: a conditional hit whose now runs behind the newest
// event of its counter (another replica's clock, or a concurrent request
// that reached the store first) counts that event against Max too, so
// callers out of order never get more past Max than it allows; what it
// reports is still the count at its own now.
func testCounterMaxAhead(t *testing.T, s security.CounterStore) {
	const window = 12 * time.Minute // buckets of a minute
	key := unique("count")
	t0 := bucketStart(start(), window).Add(59 * time.Second)
	t1 := t0.Add(2 * time.Second) // the next bucket
	capped := security.Hit{Key: key, Window: window, Add: 1, Max: 1}
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(t1, window)}, one(t, s, t1, capped), "the first event, in the later bucket")
	got := one(t, s, t0, capped)
	require.False(t, got.Applied, "a hit behind it is refused: its Max counts the event ahead")
	require.Zero(t, got.Count, "the count at its own now leaves the bucket ahead out")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(t1, window)}, one(t, s, t1, security.Hit{Key: key, Window: window}), "one event in all")
}

func testCounterBuckets(t *testing.T, s security.CounterStore) {
	const window = 12 * time.Minute // buckets of a minute
	key := unique("count")
	t0 := bucketStart(start(), window).Add(30 * time.Second)
	t1 := t0.Add(time.Minute) // the next bucket
	next := leaves(t0, window)

	requireTally(t, security.Tally{Applied: true}, one(t, s, t0, security.Hit{Key: key, Window: window}), "a read of a new key")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: next}, one(t, s, t0, security.Hit{Key: key, Window: window, Add: 1}), "first event")
	requireTally(t, security.Tally{Count: 3, Applied: true, Next: next}, one(t, s, t1, security.Hit{Key: key, Window: window, Add: 2}), "two more a bucket later")
	read := security.Hit{Key: key, Window: window}
	requireTally(t, security.Tally{Count: 3, Applied: true, Next: next}, one(t, s, next.Add(-time.Millisecond), read), "the first bucket is counted until it leaves")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: leaves(t1, window)}, one(t, s, next, read), "and not at the instant it leaves")
	requireTally(t, security.Tally{Applied: true}, one(t, s, leaves(t1, window), read), "every bucket has left")
	// A window counts every event of its last Window: an event at the
	// very end of a bucket is still counted a full Window later.
	late := bucketStart(start(), window).Add(time.Minute - time.Millisecond)
	key = unique("count")
	one(t, s, late, security.Hit{Key: key, Window: window, Add: 1})
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(late, window)}, one(t, s, late.Add(window), read2(key, window)), "an event one Window old")
}

func read2(key string, window time.Duration) security.Hit {
	return security.Hit{Key: key, Window: window}
}

func testCounterMax(t *testing.T, s security.CounterStore) {
	const window = time.Hour
	key, now := unique("count"), start()
	hit := security.Hit{Key: key, Window: window, Add: 1, Max: 3}
	for i := 1; i <= 3; i++ {
		requireTally(t, security.Tally{Count: i, Applied: true, Next: leaves(now, window)}, one(t, s, now, hit), "hit within Max")
	}
	for range 5 {
		requireTally(t, security.Tally{Count: 3, Next: leaves(now, window)}, one(t, s, now.Add(time.Second), hit), "a refused hit")
	}
	big := security.Hit{Key: unique("count"), Window: window, Add: 4, Max: 3}
	requireTally(t, security.Tally{}, one(t, s, now, big), "an Add larger than Max on an empty counter")
	// Refused hits were not recorded: once the first bucket leaves, the
	// counter is empty again, and Max admits three more.
	later := leaves(now, window)
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(later, window)}, one(t, s, later, hit), "after the window")
	// A read (Add 0) at Max is applied: Count+0 <= Max.
	one(t, s, later, hit)
	one(t, s, later, hit)
	requireTally(t, security.Tally{Count: 3, Applied: true, Next: leaves(later, window)}, one(t, s, later, security.Hit{Key: key, Window: window, Max: 3}), "a read at Max")
}

func testCounterRefund(t *testing.T, s security.CounterStore) {
	const window = time.Hour
	key, now := unique("count"), start()
	one(t, s, now, security.Hit{Key: key, Window: window, Add: 2})
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(now, window)}, one(t, s, now, security.Hit{Key: key, Window: window, Add: -1}), "a refund")
	requireTally(t, security.Tally{Applied: true}, one(t, s, now, security.Hit{Key: key, Window: window, Add: -5}), "a bucket stops at zero")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(now, window)}, one(t, s, now, security.Hit{Key: key, Window: window, Add: 1, Max: 1}), "room again after the refund")
}

func testCounterReset(t *testing.T, s security.CounterStore) {
	const window = time.Hour
	key, now := unique("count"), start()
	one(t, s, now, security.Hit{Key: key, Window: window, Add: 5})
	later := now.Add(10 * time.Minute)
	requireTally(t, security.Tally{Applied: true}, one(t, s, later, security.Hit{Key: key, Window: window, Reset: true}), "a reset")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(later, window)}, one(t, s, later, security.Hit{Key: key, Window: window, Add: 1}), "counting again")
	one(t, s, later, security.Hit{Key: key, Window: window, Add: 4})
	// Reset comes before Max is checked: a full counter is emptied and the
	// Add applied.
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(later, window)}, one(t, s, later, security.Hit{Key: key, Window: window, Add: 1, Max: 1, Reset: true}), "Reset then Add under Max")
}

func testCounterBatch(t *testing.T, s security.CounterStore) {
	now := start()
	a, b := unique("count"), unique("count")
	got := count(t, s, now,
		security.Hit{Key: a, Window: time.Hour, Add: 1},
		security.Hit{Key: b, Window: time.Minute, Add: 1, Max: 1},
		security.Hit{Key: b, Window: time.Minute, Add: 1, Max: 1},
		security.Hit{Key: a, Window: time.Hour, Add: 1},
		security.Hit{Key: unique("count"), Window: 24 * time.Hour},
	)
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(now, time.Hour)}, got[0], "hit 0")
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(now, time.Minute)}, got[1], "hit 1")
	requireTally(t, security.Tally{Count: 1, Next: leaves(now, time.Minute)}, got[2], "hit 2: the batch's own earlier hit filled b")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: leaves(now, time.Hour)}, got[3], "hit 3")
	requireTally(t, security.Tally{Applied: true}, got[4], "hit 4")
	empty, err := s.Count(t.Context(), now, nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func testCounterLongWindow(t *testing.T, s security.CounterStore) {
	const window = 30 * 24 * time.Hour
	key, now := unique("count"), start()
	one(t, s, now, security.Hit{Key: key, Window: window, Add: 1})
	requireTally(t, security.Tally{Count: 1, Applied: true, Next: leaves(now, window)}, one(t, s, now.Add(window-time.Hour), read2(key, window)), "within 30 days")
	requireTally(t, security.Tally{Applied: true}, one(t, s, leaves(now, window), read2(key, window)), "after its bucket left")
}

func testCounterKeys(t *testing.T, s security.CounterStore) {
	now := start()
	a, b := unique("count"), unique("count")
	one(t, s, now, security.Hit{Key: a, Window: time.Hour, Add: 3})
	requireTally(t, security.Tally{Applied: true}, one(t, s, now, read2(b, time.Hour)), "another key")
	requireTally(t, security.Tally{Applied: true}, one(t, s, now, security.Hit{Key: b, Window: time.Hour, Reset: true}), "a reset of another key")
	requireTally(t, security.Tally{Count: 3, Applied: true, Next: leaves(now, time.Hour)}, one(t, s, now, read2(a, time.Hour)), "untouched")
}

// testCounterKeyWindow: the Service never mixes windows on a key, and the
// tagged keys it uses carry a shard prefix; both must work.
func testCounterKeyWindow(t *testing.T, s security.CounterStore) {
	now := start()
	key := tagged("Ab_-", "count")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: leaves(now, 10*time.Minute)}, one(t, s, now, security.Hit{Key: key, Window: 10 * time.Minute, Add: 2}), "a tagged key")
	requireTally(t, security.Tally{Count: 2, Applied: true, Next: leaves(now, 10*time.Minute)}, one(t, s, now.Add(time.Minute), read2(key, 10*time.Minute)), "read back")
}

func testCounterInvalid(t *testing.T, s security.CounterStore) {
	now := start()
	good := unique("count")
	for name, bad := range map[string]security.Hit{
		"empty key":     {Window: time.Hour, Add: 1},
		"zero window":   {Key: unique("count"), Add: 1},
		"window < 12ns": {Key: unique("count"), Window: security.CounterBuckets - 1, Add: 1},
		"negative":      {Key: unique("count"), Window: -time.Hour, Add: 1},
	} {
		_, err := s.Count(t.Context(), now, []security.Hit{{Key: good, Window: time.Hour, Add: 1}, bad})
		require.Truef(t, errors.Is(err, security.ErrInvalidArgument), "%s: want ErrInvalidArgument, got %v", name, err)
	}
	requireTally(t, security.Tally{Applied: true}, one(t, s, now, read2(good, time.Hour)), "nothing of a refused batch is applied")
}

func testCounterConcurrentMax(t *testing.T, s security.CounterStore) {
	const n, max = 60, 10
	key, now := unique("count"), start()
	applied := make([]bool, n)
	errs := make([]error, n)
	race(n, func(i int) {
		got, err := s.Count(t.Context(), now, []security.Hit{{Key: key, Window: time.Hour, Add: 1, Max: max}})
		errs[i] = err
		if err == nil {
			applied[i] = got[0].Applied
		}
	})
	n2 := 0
	for i := range n {
		require.NoError(t, errs[i])
		if applied[i] {
			n2++
		}
	}
	require.Equal(t, max, n2, "conditional hits applied")
	requireTally(t, security.Tally{Count: max, Applied: true, Next: leaves(now, time.Hour)}, one(t, s, now, read2(key, time.Hour)), "final count")
}

func testCounterConcurrentAdds(t *testing.T, s security.CounterStore) {
	const n = 60
	key, now := unique("count"), start()
	errs := make([]error, n)
	race(n, func(i int) {
		// Spread over two buckets, with refunds of half.
		at := now.Add(time.Duration(i%2) * 5 * time.Minute)
		_, errs[i] = s.Count(t.Context(), at, []security.Hit{{Key: key, Window: time.Hour, Add: 2}, {Key: key, Window: time.Hour, Add: -1}})
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	got := one(t, s, now.Add(5*time.Minute), read2(key, time.Hour))
	require.Equal(t, n, got.Count)
}
