package securitytest

import (
	"context"
	"sync"

	"github.com/acctsec/security"
)

// Events records the security events a Service raises. Pass its Add
// method as security.Config.OnEvent. Its zero value is ready to use, and it
// is safe for concurrent use.
type Events struct {
	mu sync.Mutex
	ev []security.Event
}

// Add records e. Its signature is that of security.Config.OnEvent.
func (r *Events) Add(_ context.Context, e security.Event) {
	r.mu.Lock()
	r.ev = append(r.ev, e)
	r.mu.Unlock()
}

// All returns the events recorded so far, oldest first.
func (r *Events) All() []security.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]security.Event(nil), r.ev...)
}

// Of returns the events of type typ recorded so far, oldest first.
func (r *Events) Of(typ security.EventType) []security.Event {
	var out []security.Event
	for _, e := range r.All() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// Count returns how many events of type typ were recorded.
func (r *Events) Count(typ security.EventType) int { return len(r.Of(typ)) }

// Reasons counts the events of type typ by their Reason.
func (r *Events) Reasons(typ security.EventType) map[string]int {
	n := map[string]int{}
	for _, e := range r.Of(typ) {
		n[e.Reason]++
	}
	return n
}
