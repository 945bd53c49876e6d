package security

import (
	"context"
	"sync"
)

// eventsKey marks a context whose flow holds something a handler of its
// events might wait for (a hashing slot, a lockout key's turn); its value
// is the *eventHold.
type eventsKey struct{}

// eventHold keeps the events a flow raises while it holds a hashing slot or
// a key's turn, and hands them to OnEvent, in order, once it holds neither.
// A handler that calls the Service (VerifyPassword for the same user, with
// MaxConcurrentHashes 1) then finds the slot and the turn free.
type eventHold struct {
	s       *Service
	mu      sync.Mutex
	holds   int
	pending []pendingEvent
}

// pendingEvent is an event kept by an eventHold, and the context it was
// raised on.
type pendingEvent struct {
	ctx context.Context
	e   Event
}

// holdEvents opens a hold on the events raised on the returned context,
// joining the hold ctx already has, if open. The returned function
// (idempotent) closes it; closing the last hands the kept events to
// OnEvent.
func (s *Service) holdEvents(ctx context.Context) (context.Context, func()) {
	if h, ok := ctx.Value(eventsKey{}).(*eventHold); ok && h.s == s {
		h.mu.Lock()
		open := h.holds > 0
		if open {
			h.holds++
		}
		h.mu.Unlock()
		if open {
			return ctx, sync.OnceFunc(h.close)
		}
	}
	h := &eventHold{s: s, holds: 1}
	return context.WithValue(ctx, eventsKey{}, h), sync.OnceFunc(h.close)
}

func (h *eventHold) close() {
	h.mu.Lock()
	h.holds--
	if h.holds > 0 {
		h.mu.Unlock()
		return
	}
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	for _, p := range pending {
		h.s.deliverEvent(p.ctx, p.e)
	}
}

// keepEvent keeps e, raised on ctx, until ctx's hold closes. It reports
// false when ctx has no open hold of s: then e is due now.
func (s *Service) keepEvent(ctx context.Context, e Event) bool {
	h, ok := ctx.Value(eventsKey{}).(*eventHold)
	if !ok || h.s != s {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holds == 0 {
		return false
	}
	h.pending = append(h.pending, pendingEvent{ctx, e})
	return true
}

// takeTurn waits, at most as long as ctx allows, for key's turn (see
// keyLocks) and returns the context the turn runs on and the function that
// ends it. Events raised on that context wait until the turn ends.
func (s *Service) takeTurn(ctx context.Context, key string) (context.Context, func(), error) {
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return ctx, nil, err
	}
	ctx, flush := s.holdEvents(ctx)
	return ctx, sync.OnceFunc(func() {
		unlock()
		flush()
	}), nil
}

// deliverEvent calls OnEvent with e on ctx, minus the hashing slot and the
// hold ctx carries: a handler calling the Service takes slots and turns of
// its own.
func (s *Service) deliverEvent(ctx context.Context, e Event) {
	if ctx.Value(slotKey{}) != nil {
		ctx = context.WithValue(ctx, slotKey{}, nil)
	}
	if ctx.Value(eventsKey{}) != nil {
		ctx = context.WithValue(ctx, eventsKey{}, nil)
	}
	s.cfg.OnEvent(ctx, e)
}
