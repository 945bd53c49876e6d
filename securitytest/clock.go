package securitytest

import (
	"sync"
	"time"
)

// Start is the instant a Clock reads until it is moved: a fixed time, so
// that a test's timestamps are the same on every run. Treat it as a
// constant.
var Start = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// Clock is a fake clock that moves only when told to. Its zero value reads
// Start. Pass its Now method as security.Config.Now and to
// memstore.WithClock, so that the Service and the store agree on the time.
// It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
	set bool
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock {
	return &Clock{now: t, set: true}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.set {
		return Start
	}
	return c.now
}

// Advance moves the clock by d (back, when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.set {
		c.now, c.set = Start, true
	}
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now, c.set = t, true
	c.mu.Unlock()
}
