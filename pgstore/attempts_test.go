package pgstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	passwordPolicy = security.LockPolicy{Consecutive: 5, LockFor: 15 * time.Minute, MaxConsecutive: 100}
	pinPolicy      = security.LockPolicy{Consecutive: 5, LockFor: 3 * time.Hour,
		Window: 24 * time.Hour, WindowMax: 10, WindowLocksUntilClear: true}
	slidingPolicy = security.LockPolicy{Window: time.Hour, WindowMax: 3}
)

// fail reserves n attempts of key at now and lets them count as failures.
func fail(t *testing.T, st security.StateStore, key string, now time.Time, p security.LockPolicy, n int) {
	t.Helper()
	for i := range n {
		a, err := st.BeginAttempt(context.Background(), key, now, p)
		require.NoError(t, err)
		require.True(t, a.Allowed, "attempt %d", i+1)
		require.NotEmpty(t, a.ID)
	}
}

func status(t *testing.T, st security.StateStore, key string, now time.Time, p security.LockPolicy) security.Attempt {
	t.Helper()
	a, err := st.AttemptStatus(context.Background(), key, now, p)
	require.NoError(t, err)
	return a
}

func TestAttemptsConsecutive(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	p := passwordPolicy

	assert.Equal(t, security.Attempt{Allowed: true}, status(t, st, "pw:u1", base, p))
	fail(t, st, "pw:u1", base, p, 5) // the fifth reservation starts the lock
	locked := security.Attempt{LockedUntil: base.Add(15 * time.Minute)}
	assert.Equal(t, locked, status(t, st, "pw:u1", base, p))
	a, err := st.BeginAttempt(ctx, "pw:u1", base.Add(time.Minute), p)
	require.NoError(t, err)
	assert.Equal(t, locked, a)
	assert.Equal(t, security.Attempt{Allowed: true}, status(t, st, "pw:u1", base.Add(15*time.Minute), p))

	// Failures 6..9 pass, the tenth locks again.
	later := base.Add(15 * time.Minute)
	fail(t, st, "pw:u1", later, p, 4)
	a, err = st.BeginAttempt(ctx, "pw:u1", later, p)
	require.NoError(t, err)
	require.True(t, a.Allowed)
	assert.Equal(t, security.Attempt{LockedUntil: later.Add(15 * time.Minute)}, status(t, st, "pw:u1", later, p))

	// The tenth attempt turns out right: the lock it set is lifted and the
	// consecutive count starts again.
	require.NoError(t, st.SucceedAttempt(ctx, "pw:u1", a.ID, later))
	assert.Equal(t, security.Attempt{Allowed: true}, status(t, st, "pw:u1", later, p))
	fail(t, st, "pw:u1", later, p, 4)
	assert.True(t, status(t, st, "pw:u1", later, p).Allowed)
	require.NoError(t, st.ClearAttempts(ctx, "pw:u1"))
	fail(t, st, "pw:u1", later, p, 4)
	assert.True(t, status(t, st, "pw:u1", later, p).Allowed)

	t.Run("max consecutive locks until clear", func(t *testing.T) {
		p := security.LockPolicy{MaxConsecutive: 3}
		fail(t, st, "pw:u2", base, p, 3)
		a, err := st.BeginAttempt(ctx, "pw:u2", base.Add(1000*time.Hour), p)
		require.NoError(t, err)
		assert.Equal(t, security.Attempt{Forever: true}, a)
		require.NoError(t, st.ClearAttempts(ctx, "pw:u2"))
		assert.True(t, status(t, st, "pw:u2", base, p).Allowed)
	})
}

func TestAttemptsWindow(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})

	t.Run("until the oldest leaves", func(t *testing.T) {
		p := slidingPolicy
		for i := range 3 {
			fail(t, st, "k", base.Add(time.Duration(i)*time.Minute), p, 1)
		}
		a, err := st.BeginAttempt(ctx, "k", base.Add(30*time.Minute), p)
		require.NoError(t, err)
		assert.Equal(t, security.Attempt{LockedUntil: base.Add(time.Hour)}, a)
		// At base+1h the first failure has left: one more is allowed and
		// locks until the second leaves.
		fail(t, st, "k", base.Add(time.Hour), p, 1)
		assert.Equal(t, security.Attempt{LockedUntil: base.Add(time.Hour + time.Minute)},
			status(t, st, "k", base.Add(time.Hour), p))
	})

	t.Run("success does not forgive the window", func(t *testing.T) {
		p := pinPolicy
		// Nine failures spread so that no five are consecutive.
		at := base
		for range 3 {
			fail(t, st, "pin", at, p, 3)
			a, err := st.BeginAttempt(ctx, "pin", at, p)
			require.NoError(t, err)
			require.NoError(t, st.SucceedAttempt(ctx, "pin", a.ID, at))
			at = at.Add(time.Minute)
		}
		assert.True(t, status(t, st, "pin", at, p).Allowed)
		// The tenth wrong try within 24h locks until a reset.
		fail(t, st, "pin", at, p, 1)
		assert.Equal(t, security.Attempt{Forever: true}, status(t, st, "pin", at, p))
		require.NoError(t, st.ClearAttempts(ctx, "pin"))
		assert.True(t, status(t, st, "pin", at, p).Allowed)
	})

	t.Run("in-flight reservation that succeeds lifts its lock", func(t *testing.T) {
		p := pinPolicy
		at := base
		for range 3 {
			fail(t, st, "pin2", at, p, 3)
			a, err := st.BeginAttempt(ctx, "pin2", at, p)
			require.NoError(t, err)
			require.NoError(t, st.SucceedAttempt(ctx, "pin2", a.ID, at))
		}
		a, err := st.BeginAttempt(ctx, "pin2", at, p) // the tenth reservation
		require.NoError(t, err)
		require.True(t, a.Allowed)
		assert.Equal(t, security.Attempt{Forever: true}, status(t, st, "pin2", at, p))
		require.NoError(t, st.SucceedAttempt(ctx, "pin2", a.ID, at))
		assert.True(t, status(t, st, "pin2", at, p).Allowed)
		// A failure after 24h no longer meets the nine old ones.
		fail(t, st, "pin2", at.Add(24*time.Hour), p, 1)
		assert.True(t, status(t, st, "pin2", at.Add(24*time.Hour), p).Allowed)
	})
}

// TestAttemptsConcurrent: of many concurrent reservations no more than the
// policy allows are let through, and the count stays exact.
func TestAttemptsConcurrent(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			a, err := st.BeginAttempt(ctx, "pin:race", base, pinPolicy)
			assert.NoError(t, err)
			if a.Allowed {
				allowed.Add(1)
			} else {
				assert.Equal(t, base.Add(3*time.Hour), a.LockedUntil)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(5), allowed.Load())
}
