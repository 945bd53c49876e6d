package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

var attemptTests = []stateTest{
	{"ConsecutiveLock", testAttemptConsecutive},
	{"SuccessResetsRun", testAttemptSuccessResets},
	{"SuccessLiftsInFlightLock", testAttemptSuccessLiftsLock},
	{"MaxConsecutiveForever", testAttemptMaxConsecutive},
	{"PINPolicy", testAttemptPINPolicy},
	{"WindowLock", testAttemptWindow},
	{"WindowForgetsSuccesses", testAttemptWindowSuccess},
	{"ZeroPolicyNeverLocks", testAttemptZeroPolicy},
	{"StatusDoesNotReserve", testAttemptStatus},
	{"ClearAttempts", testAttemptClear},
	{"KeysIsolated", testAttemptKeys},
	{"Concurrent", testAttemptConcurrent},
}

var loginPolicy = security.LockPolicy{Consecutive: 5, LockFor: 15 * time.Minute}

func begin(t *testing.T, s security.StateStore, key string, now time.Time, p security.LockPolicy) security.Attempt {
	t.Helper()
	a, err := s.BeginAttempt(t.Context(), key, now, p)
	require.NoError(t, err)
	return a
}

// beginAllowed begins an attempt that must be allowed and returns its ID.
func beginAllowed(t *testing.T, s security.StateStore, key string, now time.Time, p security.LockPolicy, msg ...any) string {
	t.Helper()
	a := begin(t, s, key, now, p)
	require.True(t, a.Allowed, msg...)
	require.NotEmpty(t, a.ID, "an allowed attempt has an ID")
	require.False(t, a.Forever)
	require.True(t, a.LockedUntil.IsZero(), "an allowed attempt has no LockedUntil")
	return a.ID
}

// requireLocked checks that both AttemptStatus and BeginAttempt report a
// lock until until (zero for Forever).
func requireLocked(t *testing.T, s security.StateStore, key string, now time.Time, p security.LockPolicy, until time.Time, msg ...any) {
	t.Helper()
	st, err := s.AttemptStatus(t.Context(), key, now, p)
	require.NoError(t, err)
	a := begin(t, s, key, now, p)
	for _, got := range []security.Attempt{st, a} {
		require.False(t, got.Allowed, msg...)
		require.Equal(t, until.IsZero(), got.Forever, msg...)
		requireTime(t, until, got.LockedUntil, "LockedUntil")
	}
}

func requireForever(t *testing.T, s security.StateStore, key string, now time.Time, p security.LockPolicy, msg ...any) {
	t.Helper()
	requireLocked(t, s, key, now, p, time.Time{}, msg...)
}

func requireOpen(t *testing.T, s security.StateStore, key string, now time.Time, p security.LockPolicy, msg ...any) {
	t.Helper()
	st, err := s.AttemptStatus(t.Context(), key, now, p)
	require.NoError(t, err)
	require.True(t, st.Allowed, msg...)
	require.False(t, st.Forever, msg...)
}

func succeed(t *testing.T, s security.StateStore, key, id string, now time.Time) {
	t.Helper()
	require.NoError(t, s.SucceedAttempt(t.Context(), key, id, now))
}

func testAttemptConsecutive(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	ids := map[string]bool{}
	for i := range 5 {
		id := beginAllowed(t, s, key, now.Add(time.Duration(i)*time.Second), loginPolicy, "attempt %d", i+1)
		require.False(t, ids[id], "attempt IDs must differ")
		ids[id] = true
	}
	fifth := now.Add(4 * time.Second)
	lock := fifth.Add(loginPolicy.LockFor)
	requireLocked(t, s, key, now.Add(5*time.Second), loginPolicy, lock, "6th attempt")
	requireLocked(t, s, key, lock.Add(-time.Millisecond), loginPolicy, lock)

	// After the lock, the next run of five locks again (at 10, 2N).
	for i := range 5 {
		beginAllowed(t, s, key, lock.Add(time.Duration(i)*time.Second), loginPolicy, "attempt %d", i+6)
	}
	tenth := lock.Add(4 * time.Second)
	requireLocked(t, s, key, tenth, loginPolicy, tenth.Add(loginPolicy.LockFor), "11th attempt")
}

func testAttemptSuccessResets(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	for i := range 4 {
		beginAllowed(t, s, key, now, loginPolicy, "attempt %d", i+1)
	}
	id := beginAllowed(t, s, key, now, loginPolicy, "attempt 5")
	succeed(t, s, key, id, now)
	requireOpen(t, s, key, now, loginPolicy, "a success ends the run")

	for i := range 4 {
		beginAllowed(t, s, key, now, loginPolicy, "attempt %d after success", i+1)
	}
	requireOpen(t, s, key, now, loginPolicy, "4 failures after a success")
	beginAllowed(t, s, key, now, loginPolicy, "attempt 5 after success")
	requireLocked(t, s, key, now, loginPolicy, now.Add(loginPolicy.LockFor))
}

func testAttemptSuccessLiftsLock(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = beginAllowed(t, s, key, now, loginPolicy, "attempt %d", i+1)
	}
	// The fifth reservation locked the key, but the second, still in
	// flight, turns out to be right.
	succeed(t, s, key, ids[1], now.Add(time.Second))
	requireOpen(t, s, key, now.Add(time.Second), loginPolicy, "a success lifts the lock")
	for i := range 4 {
		beginAllowed(t, s, key, now.Add(2*time.Second), loginPolicy, "attempt %d after success", i+1)
	}
}

func testAttemptMaxConsecutive(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	p := loginPolicy
	p.MaxConsecutive = 100
	at := now
	for round := range 20 {
		for i := range 5 {
			beginAllowed(t, s, key, at, p, "attempt %d", round*5+i+1)
		}
		if round < 19 {
			requireLocked(t, s, key, at, p, at.Add(p.LockFor), "after %d attempts", round*5+5)
		}
		at = at.Add(p.LockFor)
	}
	requireForever(t, s, key, at, p, "after 100 consecutive failures")
	requireForever(t, s, key, at.Add(365*24*time.Hour), p, "a year later")

	require.NoError(t, s.ClearAttempts(t.Context(), key))
	requireOpen(t, s, key, at, p)
	beginAllowed(t, s, key, at, p, "after ClearAttempts")
}

func testAttemptPINPolicy(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	p := security.LockPolicy{
		Consecutive: 5, LockFor: 3 * time.Hour,
		Window: 24 * time.Hour, WindowMax: 10, WindowLocksUntilClear: true,
	}
	at := now
	step := func() time.Time { at = at.Add(time.Minute); return at }

	// Twice: four failures, then a success (whose reservation, the fifth
	// of the run, briefly locked the key). Eight failures stay in the window.
	for round := range 2 {
		for i := range 4 {
			beginAllowed(t, s, key, step(), p, "round %d failure %d", round+1, i+1)
		}
		id := beginAllowed(t, s, key, step(), p, "round %d success", round+1)
		succeed(t, s, key, id, at)
		requireOpen(t, s, key, at, p, "after round %d", round+1)
	}
	// Had the successes stayed in the window, the next attempt would be the
	// eleventh and refused.
	beginAllowed(t, s, key, step(), p, "9th failure in the window")
	requireOpen(t, s, key, at, p, "9 failures in the window")
	id := beginAllowed(t, s, key, step(), p, "10th failure in the window")
	requireForever(t, s, key, at, p, "10 failures in the window")

	// The tenth, still in flight, succeeds: it leaves the window and the
	// lock it set is lifted; the next failure is the tenth again.
	succeed(t, s, key, id, at)
	requireOpen(t, s, key, at, p, "a success lifts a lock until cleared set by its own run")
	beginAllowed(t, s, key, step(), p, "10th failure in the window, again")
	requireForever(t, s, key, at, p, "10 failures in the window, again")
	requireForever(t, s, key, at.Add(48*time.Hour), p, "the window lock lasts until cleared")

	require.NoError(t, s.ClearAttempts(t.Context(), key))
	beginAllowed(t, s, key, at, p, "after ClearAttempts")
}

func testAttemptWindow(t *testing.T, s security.StateStore) {
	key, first := unique("attempt"), start()
	p := security.LockPolicy{Window: 24 * time.Hour, WindowMax: 10}
	for i := range 10 {
		beginAllowed(t, s, key, first.Add(time.Duration(i)*time.Minute), p, "failure %d", i+1)
	}
	requireLocked(t, s, key, first.Add(10*time.Minute), p, first.Add(24*time.Hour), "11th in the window")
	requireLocked(t, s, key, first.Add(24*time.Hour-time.Millisecond), p, first.Add(24*time.Hour))

	beginAllowed(t, s, key, first.Add(24*time.Hour), p, "the first failure left the window")
	requireLocked(t, s, key, first.Add(24*time.Hour), p, first.Add(24*time.Hour+time.Minute), "full again")
}

func testAttemptWindowSuccess(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	p := security.LockPolicy{Window: time.Hour, WindowMax: 3}
	beginAllowed(t, s, key, now, p)
	beginAllowed(t, s, key, now.Add(time.Minute), p)
	id := beginAllowed(t, s, key, now.Add(2*time.Minute), p)
	succeed(t, s, key, id, now.Add(2*time.Minute))
	beginAllowed(t, s, key, now.Add(3*time.Minute), p, "the success left the window")
	requireLocked(t, s, key, now.Add(4*time.Minute), p, now.Add(time.Hour))
}

func testAttemptZeroPolicy(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	for i := range 50 {
		beginAllowed(t, s, key, now, security.LockPolicy{}, "attempt %d", i+1)
	}
	requireOpen(t, s, key, now, security.LockPolicy{})
}

func testAttemptStatus(t *testing.T, s security.StateStore) {
	key, now := unique("attempt"), start()
	for range 20 {
		requireOpen(t, s, key, now, loginPolicy, "AttemptStatus of a fresh key")
	}
	for i := range 4 {
		beginAllowed(t, s, key, now, loginPolicy, "attempt %d", i+1)
		requireOpen(t, s, key, now, loginPolicy, "AttemptStatus must not reserve")
	}
	beginAllowed(t, s, key, now, loginPolicy, "attempt 5")
	requireLocked(t, s, key, now, loginPolicy, now.Add(loginPolicy.LockFor))
}

func testAttemptClear(t *testing.T, s security.StateStore) {
	ctx := t.Context()
	key, now := unique("attempt"), start()
	for i := range 5 {
		beginAllowed(t, s, key, now, loginPolicy, "attempt %d", i+1)
	}
	requireLocked(t, s, key, now, loginPolicy, now.Add(loginPolicy.LockFor))
	require.NoError(t, s.ClearAttempts(ctx, key))
	for i := range 4 {
		beginAllowed(t, s, key, now, loginPolicy, "attempt %d after clear", i+1)
	}
	requireOpen(t, s, key, now, loginPolicy, "the count restarted")
	require.NoError(t, s.ClearAttempts(ctx, unique("never")), "clearing a key never used")
}

func testAttemptKeys(t *testing.T, s security.StateStore) {
	a, b, now := unique("attempt"), unique("attempt"), start()
	for i := range 5 {
		beginAllowed(t, s, a, now, loginPolicy, "attempt %d", i+1)
	}
	requireLocked(t, s, a, now, loginPolicy, now.Add(loginPolicy.LockFor))
	requireOpen(t, s, b, now, loginPolicy, "another key")
	beginAllowed(t, s, b, now, loginPolicy)
}

func testAttemptConcurrent(t *testing.T, s security.StateStore) {
	const n = 100
	ctx := t.Context()
	key, now := unique("attempt"), start()

	got := make([]security.Attempt, n)
	errs := make([]error, n)
	race(n, func(i int) { got[i], errs[i] = s.BeginAttempt(ctx, key, now, loginPolicy) })

	ids := map[string]bool{}
	for i := range n {
		require.NoError(t, errs[i])
		if got[i].Allowed {
			require.NotEmpty(t, got[i].ID)
			require.False(t, ids[got[i].ID], "attempt IDs must differ")
			ids[got[i].ID] = true
			continue
		}
		require.False(t, got[i].Forever)
		requireTime(t, now.Add(loginPolicy.LockFor), got[i].LockedUntil, "LockedUntil")
	}
	require.Len(t, ids, 5, "attempts allowed out of %d concurrent", n)
}
