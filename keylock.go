package security

import (
	"context"
	"fmt"
	"sync"
)

// keyLocks lets one check at a time run per lockout key in this process.
//
// A check reserves its try in the store before the secret is evaluated, and
// a reservation counts as a failure until it succeeds: that is what makes
// racing guesses unable to exceed the limits. Without this, enough
// simultaneous right passwords from the owner (a client retrying, several
// tabs) would reach a limit with reservations alone and lock the account.
// Taking turns per key keeps at most one reservation in flight per key and
// replica, so right answers never lock; wrong ones are evaluated one after
// the other, which only slows a guesser. The map holds only keys with a
// check in flight.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{}
	refs int
}

// lock waits, at most as long as ctx allows, for key's turn and returns the
// function that ends it.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	put := func() {
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
	case <-ctx.Done():
		put()
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	return sync.OnceFunc(func() {
		<-l.ch
		put()
	}), nil
}
