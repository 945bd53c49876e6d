package memstore

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

const testCap = 100

// capT0 is the time at which every capacity test starts.
var capT0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// capStore returns a Store capped at testCap entries, with no sweeper, and
// the clock it reads, set to capT0.
func capStore(t *testing.T) (*Store, *atomic.Int64) {
	clock := new(atomic.Int64)
	clock.Store(capT0.UnixNano())
	s := New(WithSweepInterval(0), WithMaxEntries(testCap), WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, clock
}

// capWindow is the window of the capacity tests' counters, and capMax
// their Max.
const (
	capWindow = time.Minute
	capMax    = 3
)

// hit is one conditional event on key over window.
func hit(key string, window time.Duration) security.Hit {
	return security.Hit{Key: key, Window: window, Add: 1, Max: capMax}
}

// requireFull checks that err is the refusal of a full Store.
func requireFull(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, security.ErrBusy)
	require.ErrorContains(t, err, "memstore: full")
}

// fillCounters counts one event for each of testCap distinct keys at t0
// and checks that a new key is then refused.
func fillCounters(t *testing.T, s *Store, t0 time.Time, window time.Duration) {
	t.Helper()
	for i := range testCap {
		got, err := s.Count(t.Context(), t0, []security.Hit{hit("k"+strconv.Itoa(i), window)})
		require.NoError(t, err)
		require.True(t, got[0].Applied, "key %d", i)
	}
	_, err := s.Count(t.Context(), t0, []security.Hit{hit("new", window)})
	requireFull(t, err)
	require.Equal(t, testCap, s.counts()["counters"], "the refused key was not stored")
}

// requireNewCounted checks that the new key is counted at at, the
// refusal's sweep having removed every other key, and that the counter is
// exact.
func requireNewCounted(t *testing.T, s *Store, at time.Time, window time.Duration) {
	t.Helper()
	got, err := s.Count(t.Context(), at, []security.Hit{hit("new", window)})
	require.NoError(t, err)
	require.Equal(t, 1, got[0].Count)
	require.Equal(t, 1, s.counts()["counters"])
	requireExact(t, s)
}

// requireExact checks that the counter equals the entries the maps hold.
func requireExact(t *testing.T, s *Store) {
	t.Helper()
	c := s.counts()
	require.Equal(t, int64(c["codes"]+c["counters"]+c["tickets"]), s.entries.Load(), "counter %v", c)
}

// verify checks mac against the code of scope at now and returns the result.
func verify(t *testing.T, s *Store, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally) {
	t.Helper()
	res, tallies, err := s.VerifyCode(t.Context(), now, c)
	require.NoError(t, err)
	return res, tallies
}

func TestWithMaxEntriesDefault(t *testing.T) {
	for _, n := range []int{0, -5} {
		s := New(WithSweepInterval(0), WithMaxEntries(n))
		require.Equal(t, int64(DefaultMaxEntries), s.maxEntries)
		require.NoError(t, s.Close())
	}
}

func TestCapCount(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)

	fillCounters(t, s, t0, capWindow)

	// An existing key still counts, and its own Max still applies.
	for i := 2; i <= capMax; i++ {
		got, err := s.Count(ctx, t0, []security.Hit{hit("k7", capWindow)})
		require.NoError(t, err)
		require.Equal(t, security.Tally{Count: i, Applied: true, Next: leaves(t0, capWindow)}, got[0])
	}
	got, err := s.Count(ctx, t0, []security.Hit{hit("k7", capWindow)})
	require.NoError(t, err)
	require.Equal(t, security.Tally{Count: capMax, Next: leaves(t0, capWindow)}, got[0], "k7 is at its Max")

	// What creates no counter needs no slot: reads, refused hits, refunds
	// and resets of new keys.
	got, err = s.Count(ctx, t0, []security.Hit{
		{Key: "new", Window: capWindow},
		{Key: "new", Window: capWindow, Add: capMax + 1, Max: capMax},
		{Key: "new", Window: capWindow, Add: -1},
		{Key: "new", Window: capWindow, Reset: true},
	})
	require.NoError(t, err)
	require.Equal(t, []security.Tally{{Applied: true}, {}, {Applied: true}, {Applied: true}}, got)

	// A batch stops at the hit it has no room for: the hits before it
	// were applied, those after it not.
	_, err = s.Count(ctx, t0, []security.Hit{
		{Key: "k8", Window: capWindow, Add: 1},
		{Key: "new", Window: capWindow, Add: 1},
		{Key: "k9", Window: capWindow, Add: 1},
	})
	requireFull(t, err)
	require.ErrorContains(t, err, "hit 1")
	got, err = s.Count(ctx, t0, []security.Hit{{Key: "k8", Window: capWindow}, {Key: "k9", Window: capWindow}})
	require.NoError(t, err)
	require.Equal(t, []int{2, 1}, []int{got[0].Count, got[1].Count})
	require.Equal(t, testCap, s.counts()["counters"])
	requireExact(t, s)

	// Once the buckets have left the window, the refusal's sweep makes room.
	requireNewCounted(t, s, leaves(t0, capWindow), capWindow)
}

func TestCapSweepAtMostOnceASecond(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	const short = 120 * time.Millisecond // buckets of 10 ms

	// The first refusal sweeps, but nothing has expired yet.
	fillCounters(t, s, t0, short)

	// Expired, but the last sweep was under a second ago.
	_, err := s.Count(ctx, t0.Add(999*time.Millisecond), []security.Hit{hit("new", short)})
	requireFull(t, err)
	require.Equal(t, testCap, s.counts()["counters"])

	requireNewCounted(t, s, t0.Add(time.Second), short)
}

func TestCapPutCode(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, clock := capStore(t)
	code := func(scope string) security.Code {
		return security.Code{Scope: scope, MAC: []byte("m"), ExpiresAt: t0.Add(5 * time.Minute)}
	}

	for i := range testCap {
		require.NoError(t, storetest.StoreCode(ctx, s, code("c"+strconv.Itoa(i))))
	}
	requireFull(t, storetest.StoreCode(ctx, s, code("new")))
	res, _ := verify(t, s, t0, security.CodeCheck{Scope: "new", MAC: []byte("m"), MaxTries: 5})
	require.Equal(t, security.CodeMissing, res, "the refused code was not stored")

	// Replacing an existing code never fails.
	c := code("c3")
	c.MAC = []byte("n")
	require.NoError(t, storetest.StoreCode(ctx, s, c))
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "c3", MAC: []byte("n"), MaxTries: 5})
	require.Equal(t, security.CodeMatched, res)
	// Consuming c3 freed a slot.
	require.NoError(t, storetest.StoreCode(ctx, s, code("new")))
	require.ErrorIs(t, storetest.StoreCode(ctx, s, code("new2")), security.ErrBusy)
	requireExact(t, s)

	// After expiry by the Store's clock, the refusal's sweep makes room.
	clock.Store(t0.Add(5 * time.Minute).UnixNano())
	require.NoError(t, storetest.StoreCode(ctx, s, code("new2")))
	require.Equal(t, 1, s.counts()["codes"])
	requireExact(t, s)
}

// TestCapPutCodeTakesBackItsGates: a code refused for want of a slot takes
// back what its gates added, so the send that stored nothing spends none
// of its caps.
func TestCapPutCodeTakesBackItsGates(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	add(t, s, "g", t0, time.Hour, 1)
	for i := range testCap - 1 {
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "c" + strconv.Itoa(i), MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour)}))
	}
	_, _, err := s.PutCode(ctx, t0, security.Code{Scope: "new", MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour)},
		[]security.Hit{{Key: "g", Window: time.Hour, Add: 1, Max: 5}})
	requireFull(t, err)
	require.Equal(t, 1, add(t, s, "g", t0, time.Hour, 0).Count, "the gate's event was taken back")
	requireExact(t, s)
}

// TestCapVerifyCode: a wrong code on a full Store that would create a
// failure counter moves none of its counters but counts its try on the
// code (a try needs no slot); checks that create no counter are
// unaffected.
func TestCapVerifyCode(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	const window = 24 * time.Hour
	fail := func(keys ...string) []security.Hit {
		var hits []security.Hit
		for _, k := range keys {
			hits = append(hits, security.Hit{Key: k, Window: window, Add: 1, Max: 5})
		}
		return hits
	}
	count := func(key string) int {
		return add(t, s, key, t0, window, 0).Count
	}

	require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "x.code", MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour)}))
	add(t, s, "x.old", t0, window, 1)
	for i := range testCap - 2 {
		add(t, s, "k"+strconv.Itoa(i), t0, window, 1)
	}
	require.Equal(t, int64(testCap), s.entries.Load())

	_, _, err := s.VerifyCode(ctx, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("wrong"), MaxTries: 2, Failures: fail("x.old", "x.new")})
	requireFull(t, err)
	require.Equal(t, 1, count("x.old"), "a refused check moves no counter")
	require.Zero(t, count("x.new"))
	// The refused check counted its try: one more wrong one voids the code.
	res, tallies := verify(t, s, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("wrong"), MaxTries: 2, Failures: fail("x.old")})
	require.Equal(t, security.CodeVoided, res)
	require.Equal(t, 2, tallies[0].Count)
	require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "x.code", MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour)}))

	// A match, a miss and a block need no slot.
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("m"), MaxTries: 2, Failures: fail("x.new")})
	require.Equal(t, security.CodeMatched, res)
	require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "x.code", MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour)}))
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "x.none", MAC: []byte("m"), MaxTries: 2, Failures: fail("x.new")})
	require.Equal(t, security.CodeMissing, res)
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("m"), MaxTries: 2,
		Failures: []security.Hit{{Key: "x.old", Window: window, Add: 1, Max: 2}, {Key: "x.new", Window: window, Add: 1}}})
	require.Equal(t, security.CodeBlocked, res)
	requireExact(t, s)

	// One free slot admits a wrong check with one new counter.
	_, err = s.Count(ctx, t0, []security.Hit{{Key: "x.old", Window: window, Reset: true}})
	require.NoError(t, err)
	res, tallies = verify(t, s, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("wrong"), MaxTries: 2, Failures: fail("x.new", "x.new")})
	require.Equal(t, security.CodeWrong, res)
	require.Equal(t, []int{1, 2}, []int{tallies[0].Count, tallies[1].Count}, "a key twice in Failures needs one slot")
	require.Equal(t, int64(testCap), s.entries.Load())
	requireExact(t, s)
}

// TestCapFullStoreBoundsGuesses: on a full Store a wrong guess whose
// failure counter cannot be created is refused, but still counts its try,
// so a code cannot be guessed past MaxTries while the Store stays full.
func TestCapFullStoreBoundsGuesses(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "x.code", MAC: []byte("right"), ExpiresAt: t0.Add(time.Hour)}))
	for i := range testCap - 1 {
		add(t, s, "k"+strconv.Itoa(i), t0, time.Hour, 1)
	}
	guess := func(i int) (security.CodeResult, error) {
		res, _, err := s.VerifyCode(ctx, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("wrong"), MaxTries: 3,
			Failures: []security.Hit{{Key: "x.attacker" + strconv.Itoa(i), Window: time.Hour, Add: 1, Max: 10}}})
		return res, err
	}
	for i := range 2 {
		_, err := guess(i)
		requireFull(t, err)
	}
	// The third voids the code, whose slot then takes the counter.
	res, err := guess(2)
	require.NoError(t, err)
	require.Equal(t, security.CodeVoided, res)
	res, _ = verify(t, s, t0, security.CodeCheck{Scope: "x.code", MAC: []byte("right"), MaxTries: 3})
	require.Equal(t, security.CodeMissing, res, "the right code comes too late")
	requireExact(t, s)
}

// TestCapEntriesReturnToZero fills every kind of entry, removes some the
// lazy way and the rest by sweeping, and checks the counter at each step.
func TestCapEntriesReturnToZero(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	const day = 24 * time.Hour

	for i := range 20 {
		k := strconv.Itoa(i)
		add(t, s, "l"+k, t0, capWindow, 1)
		add(t, s, "d"+k, t0, day, 1)
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: "c" + k, MAC: []byte("m"), ExpiresAt: t0.Add(time.Minute)}))
		require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: "t" + k, Scope: "s" + k, ExpiresAt: t0.Add(time.Minute)}))
	}
	require.Equal(t, int64(80), s.entries.Load())
	requireExact(t, s)

	// Lazy and explicit removals.
	check := func(scope, mac string, at time.Time, maxTries int) {
		_, _, err := s.VerifyCode(ctx, at, security.CodeCheck{Scope: scope, MAC: []byte(mac), MaxTries: maxTries,
			Failures: []security.Hit{{Key: "d5", Window: day, Add: 1}}})
		require.NoError(t, err)
	}
	check("c0", "m", t0, 5)
	check("c1", "x", t0, 1)
	check("c2", "m", t0.Add(time.Minute), 5)
	require.NoError(t, s.DeleteCode(ctx, "c3"))
	require.NoError(t, s.DeleteCode(ctx, "c3"))
	_, err := s.TakeTicket(ctx, "t0", t0, false)
	require.NoError(t, err)
	_, err = s.GetTicket(ctx, "t1", t0.Add(time.Minute))
	require.ErrorIs(t, err, security.ErrNotFound)
	require.NoError(t, s.DeleteTicketScope(ctx, "s2"))
	require.NoError(t, s.DeleteTicketScope(ctx, "s2"))
	add(t, s, "l0", t0, capWindow, -1)
	_, err = s.Count(ctx, t0, []security.Hit{{Key: "d0", Window: day, Reset: true}, {Key: "d0", Window: day, Reset: true}})
	require.NoError(t, err)
	require.Equal(t, int64(80-4-3-2), s.entries.Load())
	requireExact(t, s)

	s.sweep(leaves(t0, capWindow))
	require.Equal(t, int64(19), s.entries.Load(), "only the day's counters are left")
	requireExact(t, s)
	s.sweep(leaves(t0, day).Add(-time.Nanosecond))
	require.Equal(t, int64(19), s.entries.Load(), "a counter is kept while its bucket is counted")
	s.sweep(leaves(t0, day))
	require.Zero(t, s.entries.Load())
	require.Equal(t, empty(), s.counts())
}

// TestCapConcurrent inserts many more distinct keys than the cap from many
// goroutines: exactly the cap succeeds and the counter never passes it.
func TestCapConcurrent(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	const workers, perWorker = 16, 40

	var ok, peak atomic.Int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		for {
			peak.Store(max(peak.Load(), s.entries.Load()))
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				k := strconv.Itoa(w) + "-" + strconv.Itoa(i)
				var err error
				switch i % 4 {
				case 0:
					_, err = s.Count(ctx, t0, []security.Hit{hit("l"+k, capWindow)})
				case 1:
					err = storetest.StoreCode(ctx, s, security.Code{Scope: "c" + k, MAC: []byte("m"), ExpiresAt: t0.Add(time.Hour)})
				case 2:
					err = s.PutTicket(ctx, security.Ticket{ID: "t" + k, Scope: "s" + k, ExpiresAt: t0.Add(time.Hour)})
				case 3:
					_, err = s.Count(ctx, t0, []security.Hit{{Key: "d" + k, Window: 24 * time.Hour, Add: 2}})
				}
				if err == nil {
					ok.Add(1)
				} else if !errors.Is(err, security.ErrBusy) {
					assert.NoError(t, err)
				}
				if n := s.entries.Load(); n > testCap {
					assert.Failf(t, "over the cap", "%d entries", n)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	require.Equal(t, int64(testCap), ok.Load())
	require.LessOrEqual(t, peak.Load(), int64(testCap))
	require.Equal(t, int64(testCap), s.entries.Load())
	requireExact(t, s)
}
