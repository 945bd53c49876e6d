package security_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// TestOnEventAfterSlotReleased: events a flow raises while it holds the
// only hashing slot and the user's PIN turn reach OnEvent after both are
// released, in order, on a context that carries neither: a handler that
// calls the Service (a password check, which needs a slot; a PIN check for
// the same user, which needs the turn) neither deadlocks nor borrows the
// flow's slot.
func TestOnEventAfterSlotReleased(t *testing.T) {
	var (
		svc *security.Service
		mu  sync.Mutex
		got []security.EventType
		// What the handler saw and did, per event.
		slotsInUse []int
		nestedErrs []error
		nested     bool
	)
	e := newEnv(t, func(c *security.Config) {
		c.MaxConcurrentHashes = 1
		c.OnEvent = func(ctx context.Context, ev security.Event) {
			mu.Lock()
			got = append(got, ev.Type)
			slotsInUse = append(slotsInUse, svc.Stats().HashSlotsInUse)
			first := ev.Type == security.EventPayPasswordCheckFailed && !nested
			if first {
				nested = true
			}
			mu.Unlock()
			if !first {
				return
			}
			// A deadlock would end at this guard with ErrBusy, not hang the
			// test run.
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			errPass := svc.VerifyPassword(ctx, "u1", goodPass)
			errPIN := svc.VerifyPayPassword(ctx, "u1", pin1)
			fresh, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel2()
			errFresh := svc.VerifyPassword(fresh, "u1", goodPass)
			mu.Lock()
			nestedErrs = append(nestedErrs, errPass, errPIN, errFresh)
			mu.Unlock()
		}
	})
	svc = e.svc
	e.register(t, "u1", phoneA)
	require.NoError(t, svc.SetPayPassword(bg, "u1", pin1))

	require.ErrorIs(t, svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, nestedErrs, 3, "the handler ran its calls")
	for i, err := range nestedErrs {
		assert.NoError(t, err, "nested call %d", i)
	}
	// The handler's right PIN reset the consecutive count the wrong one
	// started; neither nested check raised an event.
	assert.Equal(t, []security.EventType{security.EventAccountCreated, security.EventPayPasswordSet, security.EventPayPasswordCheckFailed}, got)
	for i, n := range slotsInUse {
		assert.Zero(t, n, "event %s delivered while a hashing slot was held", got[i])
	}
}

// TestOnEventOrder: the events a flow raises while it holds its slot come
// out in the order they were raised: the fifth wrong PIN is a failure,
// then the lock.
func TestOnEventOrder(t *testing.T) {
	e := newEnv(t, func(c *security.Config) { c.MaxConcurrentHashes = 1 })
	e.register(t, "u1", phoneA)
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	for range 4 {
		require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	}
	before := len(e.events.All())
	require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	var last []security.EventType
	for _, ev := range e.events.All()[before:] {
		last = append(last, ev.Type)
	}
	assert.Equal(t, []security.EventType{security.EventPayPasswordCheckFailed, security.EventPayPasswordLocked}, last)
}
