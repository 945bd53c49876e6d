package memstore

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
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

// fillLimits records one event for each of testCap distinct rate-limit
// keys at t0 and checks that a new key is then refused.
func fillLimits(t *testing.T, s *Store, t0 time.Time, windows []security.Window) {
	t.Helper()
	for i := range testCap {
		wait, err := s.Allow(t.Context(), "k"+strconv.Itoa(i), t0, windows)
		require.NoError(t, err)
		require.Zero(t, wait, "key %d", i)
	}
	wait, err := s.Allow(t.Context(), "new", t0, windows)
	require.NoError(t, err)
	require.Equal(t, fullWait, wait, "a new key beyond the cap waits")
}

// requireNewAllowed checks that the new key is allowed at at, the refusal's
// sweep having removed every other key, and that the counter is exact.
func requireNewAllowed(t *testing.T, s *Store, at time.Time, windows []security.Window) {
	t.Helper()
	wait, err := s.Allow(t.Context(), "new", at, windows)
	require.NoError(t, err)
	require.Zero(t, wait)
	require.Equal(t, 1, s.counts()["limits"])
	requireExact(t, s)
}

// requireExact checks that the counter equals the entries the maps hold.
func requireExact(t *testing.T, s *Store) {
	t.Helper()
	c := s.counts()
	require.Equal(t, int64(c["codes"]+c["limits"]+c["attempts"]+c["tickets"]), s.entries.Load(), "counter %v", c)
}

var capWindows = []security.Window{{Period: time.Minute, Max: 3}}

func TestWithMaxEntriesDefault(t *testing.T) {
	for _, n := range []int{0, -5} {
		s := New(WithSweepInterval(0), WithMaxEntries(n))
		require.Equal(t, int64(DefaultMaxEntries), s.maxEntries)
		require.NoError(t, s.Close())
	}
}

func TestCapAllow(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)

	fillLimits(t, s, t0, capWindows)
	require.Equal(t, testCap, s.counts()["limits"])

	// An existing key still records, and its own limit still applies.
	for range 2 {
		wait, err := s.Allow(ctx, "k7", t0, capWindows)
		require.NoError(t, err)
		require.Zero(t, wait)
	}
	wait, err := s.Allow(ctx, "k7", t0, capWindows)
	require.NoError(t, err)
	require.Equal(t, time.Minute, wait, "k7 holds three events")
	requireExact(t, s)

	// Once the windows have passed, the refusal's sweep makes room.
	requireNewAllowed(t, s, t0.Add(time.Minute), capWindows)
}

func TestCapSweepAtMostOnceASecond(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	short := []security.Window{{Period: 100 * time.Millisecond, Max: 1}}

	// The first refusal sweeps, but nothing has expired yet.
	fillLimits(t, s, t0, short)

	// Expired, but the last sweep was under a second ago.
	wait, err := s.Allow(ctx, "new", t0.Add(999*time.Millisecond), short)
	require.NoError(t, err)
	require.Equal(t, fullWait, wait)
	require.Equal(t, testCap, s.counts()["limits"])

	requireNewAllowed(t, s, t0.Add(time.Second), short)
}

func TestCapPutCode(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, clock := capStore(t)
	code := func(scope string) security.Code {
		return security.Code{Scope: scope, MAC: []byte("m"), ExpiresAt: t0.Add(5 * time.Minute)}
	}

	for i := range testCap {
		require.NoError(t, s.PutCode(ctx, code("c"+strconv.Itoa(i))))
	}
	err := s.PutCode(ctx, code("new"))
	require.ErrorIs(t, err, security.ErrBusy)
	require.ErrorContains(t, err, "memstore: full")
	res, err := s.VerifyCode(ctx, "new", []byte("m"), t0, 5)
	require.NoError(t, err)
	require.Equal(t, security.CodeMissing, res, "the refused code was not stored")

	// Replacing an existing code never fails.
	c := code("c3")
	c.MAC = []byte("n")
	require.NoError(t, s.PutCode(ctx, c))
	res, err = s.VerifyCode(ctx, "c3", []byte("n"), t0, 5)
	require.NoError(t, err)
	require.Equal(t, security.CodeMatched, res)
	// Consuming c3 freed a slot.
	require.NoError(t, s.PutCode(ctx, code("new")))
	require.ErrorIs(t, s.PutCode(ctx, code("new2")), security.ErrBusy)
	requireExact(t, s)

	// After expiry by the Store's clock, the refusal's sweep makes room.
	clock.Store(t0.Add(5 * time.Minute).UnixNano())
	require.NoError(t, s.PutCode(ctx, code("new2")))
	require.Equal(t, 1, s.counts()["codes"])
	requireExact(t, s)
}

func TestCapPutTicket(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, clock := capStore(t)
	ticket := func(id, scope string) security.Ticket {
		return security.Ticket{ID: id, Scope: scope, ExpiresAt: t0.Add(15 * time.Minute)}
	}

	for i := range testCap {
		require.NoError(t, s.PutTicket(ctx, ticket("t"+strconv.Itoa(i), "s"+strconv.Itoa(i))))
	}
	err := s.PutTicket(ctx, ticket("new", "snew"))
	require.ErrorIs(t, err, security.ErrBusy)
	_, err = s.GetTicket(ctx, "new", t0)
	require.ErrorIs(t, err, security.ErrNotFound)

	// Re-putting an ID, or a new ID displacing its scope's ticket, still works.
	up := ticket("t1", "s1")
	up.Verified = true
	require.NoError(t, s.PutTicket(ctx, up))
	got, err := s.GetTicket(ctx, "t1", t0)
	require.NoError(t, err)
	require.True(t, got.Verified)
	require.NoError(t, s.PutTicket(ctx, ticket("t2b", "s2")))
	_, err = s.GetTicket(ctx, "t2", t0)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.GetTicket(ctx, "t2b", t0)
	require.NoError(t, err)
	require.Equal(t, testCap, s.counts()["tickets"])
	requireExact(t, s)

	clock.Store(t0.Add(15 * time.Minute).UnixNano())
	require.NoError(t, s.PutTicket(ctx, ticket("new", "snew")))
	require.Equal(t, 1, s.counts()["tickets"])
	requireExact(t, s)
}

func TestCapBeginAttempt(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	p := security.LockPolicy{Window: time.Hour, WindowMax: 3}

	for i := range testCap {
		a, err := s.BeginAttempt(ctx, "a"+strconv.Itoa(i), t0, p)
		require.NoError(t, err)
		require.True(t, a.Allowed)
	}
	a, err := s.BeginAttempt(ctx, "new", t0, p)
	require.NoError(t, err)
	require.Equal(t, security.Attempt{LockedUntil: t0.Add(time.Minute)}, a)

	// Status creates nothing and stays allowed.
	a, err = s.AttemptStatus(ctx, "new", t0, p)
	require.NoError(t, err)
	require.True(t, a.Allowed)

	// An existing key still counts its attempts and locks.
	a, err = s.BeginAttempt(ctx, "a5", t0, p)
	require.NoError(t, err)
	require.True(t, a.Allowed)
	a, err = s.BeginAttempt(ctx, "a5", t0, p)
	require.NoError(t, err)
	require.True(t, a.Allowed)
	a, err = s.BeginAttempt(ctx, "a5", t0, p)
	require.NoError(t, err)
	require.False(t, a.Allowed)
	require.Equal(t, t0.Add(time.Hour), a.LockedUntil)
	require.Equal(t, testCap, s.counts()["attempts"])
	requireExact(t, s)

	// A success frees the slot of a key with nothing left to remember.
	q := security.LockPolicy{Consecutive: 5, LockFor: time.Minute}
	require.NoError(t, s.ClearAttempts(ctx, "a0"))
	b, err := s.BeginAttempt(ctx, "b", t0, q)
	require.NoError(t, err)
	require.True(t, b.Allowed)
	require.NoError(t, s.SucceedAttempt(ctx, "b", b.ID, t0))
	b, err = s.BeginAttempt(ctx, "c", t0, q)
	require.NoError(t, err)
	require.True(t, b.Allowed)
	requireExact(t, s)
}

// TestCapCounterReturnsToZero fills every kind of entry, removes some the
// lazy way and the rest by sweeping, and checks the counter at each step.
func TestCapCounterReturnsToZero(t *testing.T) {
	ctx := t.Context()
	t0 := capT0
	s, _ := capStore(t)
	// A consecutive rule: its runs are remembered for runMemory (a
	// window-only key would be gone with its window).
	p := security.LockPolicy{Window: time.Hour, WindowMax: 5, Consecutive: 10, LockFor: time.Minute}

	for i := range 20 {
		k := strconv.Itoa(i)
		_, err := s.Allow(ctx, "l"+k, t0, capWindows)
		require.NoError(t, err)
		require.NoError(t, s.PutCode(ctx, security.Code{Scope: "c" + k, MAC: []byte("m"), ExpiresAt: t0.Add(time.Minute)}))
		require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: "t" + k, Scope: "s" + k, ExpiresAt: t0.Add(time.Minute)}))
		_, err = s.BeginAttempt(ctx, "a"+k, t0, p)
		require.NoError(t, err)
	}
	require.Equal(t, int64(80), s.entries.Load())
	requireExact(t, s)

	// Lazy and explicit removals.
	_, err := s.VerifyCode(ctx, "c0", []byte("m"), t0, 5)
	require.NoError(t, err)
	_, err = s.VerifyCode(ctx, "c1", []byte("x"), t0, 1)
	require.NoError(t, err)
	_, err = s.VerifyCode(ctx, "c2", []byte("m"), t0.Add(time.Minute), 5)
	require.NoError(t, err)
	require.NoError(t, s.DeleteCode(ctx, "c3"))
	require.NoError(t, s.DeleteCode(ctx, "c3"))
	_, err = s.TakeTicket(ctx, "t0", t0, false)
	require.NoError(t, err)
	_, err = s.GetTicket(ctx, "t1", t0.Add(time.Minute))
	require.ErrorIs(t, err, security.ErrNotFound)
	require.NoError(t, s.DeleteTicketScope(ctx, "s2"))
	require.NoError(t, s.DeleteTicketScope(ctx, "s2"))
	require.NoError(t, s.ClearAttempts(ctx, "a0"))
	require.NoError(t, s.ClearAttempts(ctx, "a0"))
	require.Equal(t, int64(80-4-3-1), s.entries.Load())
	requireExact(t, s)

	s.sweep(t0.Add(time.Minute))
	require.Equal(t, int64(19), s.entries.Load(), "only the attempts are left")
	requireExact(t, s)
	s.sweep(t0.Add(runMemory - time.Nanosecond))
	require.Equal(t, int64(19), s.entries.Load(), "a run of failures is remembered")
	s.sweep(t0.Add(runMemory))
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
				var done bool
				switch i % 4 {
				case 0:
					wait, err := s.Allow(ctx, "l"+k, t0, capWindows)
					assert.NoError(t, err)
					done = wait == 0
				case 1:
					done = s.PutCode(ctx, security.Code{Scope: "c" + k, ExpiresAt: t0.Add(time.Hour)}) == nil
				case 2:
					done = s.PutTicket(ctx, security.Ticket{ID: "t" + k, Scope: "s" + k, ExpiresAt: t0.Add(time.Hour)}) == nil
				case 3:
					a, err := s.BeginAttempt(ctx, "a"+k, t0, security.LockPolicy{Consecutive: 5, LockFor: time.Minute})
					assert.NoError(t, err)
					done = a.Allowed
				}
				if done {
					ok.Add(1)
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
