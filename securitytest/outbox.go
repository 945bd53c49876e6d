package securitytest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/acctsec/security"
)

// Outbox is a security.Notifier that keeps every message instead of
// delivering it. Its zero value is ready to use, and it is safe for
// concurrent use: the Service sends notices and public-route codes from
// background goroutines, which Wait lets a test await.
type Outbox struct {
	mu     sync.Mutex
	msgs   []security.Message
	failed []security.Message
	err    error
	// sent is closed, and replaced, by every Send: a broadcast to waiters.
	sent chan struct{}
}

var _ security.Notifier = (*Outbox)(nil)

// Send records m, or, while Fail has set an error, records it as failed
// and returns that error. It never blocks.
func (o *Outbox) Send(_ context.Context, m security.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.signal()
	if o.err != nil {
		o.failed = append(o.failed, m)
		return o.err
	}
	o.msgs = append(o.msgs, m)
	return nil
}

// signal wakes every waiter; o.mu is held.
func (o *Outbox) signal() {
	if o.sent != nil {
		close(o.sent)
		o.sent = nil
	}
}

// Fail makes every later Send fail with err, as a provider outage would;
// Fail(nil) makes them succeed again.
func (o *Outbox) Fail(err error) {
	o.mu.Lock()
	o.err = err
	o.mu.Unlock()
}

// Messages returns the messages delivered so far, oldest first.
func (o *Outbox) Messages() []security.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]security.Message(nil), o.msgs...)
}

// Failed returns the messages whose Send failed because of Fail, oldest
// first.
func (o *Outbox) Failed() []security.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]security.Message(nil), o.failed...)
}

// To returns the messages delivered to dest (an E.164 phone or an email
// address, as normalised by the Service), oldest first.
func (o *Outbox) To(dest string) []security.Message {
	return o.filter(func(m security.Message) bool { return m.To == dest })
}

// Count returns how many messages of purpose p were delivered to dest.
func (o *Outbox) Count(dest string, p security.Purpose) int {
	return len(o.filter(func(m security.Message) bool { return m.To == dest && m.Purpose == p }))
}

func (o *Outbox) filter(match func(security.Message) bool) []security.Message {
	var out []security.Message
	for _, m := range o.Messages() {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

// Last returns the last message delivered to dest that carries a code, and
// whether there is one.
func (o *Outbox) Last(dest string) (security.Message, bool) {
	msgs := o.To(dest)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Code != "" {
			return msgs[i], true
		}
	}
	return security.Message{}, false
}

// LastCode returns the code of the last message delivered to dest that
// carries one, and fails the test at once when there is none.
func (o *Outbox) LastCode(t testing.TB, dest string) string {
	t.Helper()
	m, ok := o.Last(dest)
	if !ok {
		t.Fatalf("securitytest: no code delivered to %s", security.Mask(dest))
	}
	return m.Code
}

// Wait returns the messages delivered to dest once there are at least n,
// or ctx's error when ctx ends first. It wakes on each Send rather than
// polling.
func (o *Outbox) Wait(ctx context.Context, dest string, n int) ([]security.Message, error) {
	msgs, err := o.WaitFunc(ctx, n, func(m security.Message) bool { return m.To == dest })
	if err != nil {
		return msgs, fmt.Errorf("securitytest: %d of %d messages to %s: %w", len(msgs), n, security.Mask(dest), err)
	}
	return msgs, nil
}

// WaitFunc returns the delivered messages for which match is true once
// there are at least n, or those there are and ctx's error when ctx ends
// first.
func (o *Outbox) WaitFunc(ctx context.Context, n int, match func(security.Message) bool) ([]security.Message, error) {
	for {
		o.mu.Lock()
		var got []security.Message
		for _, m := range o.msgs {
			if match(m) {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			o.mu.Unlock()
			return got, nil
		}
		if o.sent == nil {
			o.sent = make(chan struct{})
		}
		sent := o.sent
		o.mu.Unlock()
		select {
		case <-sent:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}
