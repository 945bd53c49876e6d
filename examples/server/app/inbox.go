package app

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// InboxMessage is one message of the dev inbox: what the printing notifier
// printed, code and link included, and when.
type InboxMessage struct {
	// ID grows by one with each message, from 1.
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Purpose string    `json:"purpose"`
	Code    string    `json:"code,omitempty"`
	Link    string    `json:"link,omitempty"`
}

// Inbox is the DEVELOPMENT-ONLY dev inbox: a security.Notifier that hands
// each message to the next notifier (the printing one) and, once printed,
// keeps it in a ring buffer of the last few. GET /demo/inbox shows them to
// anyone, codes and links included: that is its whole point, and why it
// must never exist outside a demo. It is safe for concurrent use.
type Inbox struct {
	next security.Notifier
	now  func() time.Time

	mu    sync.Mutex
	ring  []InboxMessage // ring[(last-i) % len] is the i-th newest
	count int64          // messages recorded so far
}

// NewInbox returns an Inbox keeping the last size messages that next
// accepted, stamped by now.
func NewInbox(size int, next security.Notifier, now func() time.Time) *Inbox {
	if size < 1 {
		size = 1
	}
	return &Inbox{next: next, now: now, ring: make([]InboxMessage, size)}
}

// Send hands m to the next notifier and records it if that succeeded: a
// message that was not printed was not received either.
func (in *Inbox) Send(ctx context.Context, m security.Message) error {
	if err := in.next.Send(ctx, m); err != nil {
		return err
	}
	t := in.now().UTC()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.count++
	in.ring[(in.count-1)%int64(len(in.ring))] = InboxMessage{
		ID: in.count, Time: t, Channel: string(m.Channel), To: m.To,
		Purpose: string(m.Purpose), Code: m.Code, Link: m.Link,
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (in *Inbox) Messages() []InboxMessage {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := min(in.count, int64(len(in.ring)))
	out := make([]InboxMessage, 0, n)
	for i := range n {
		out = append(out, in.ring[(in.count-1-i)%int64(len(in.ring))])
	}
	return out
}

// handler serves GET /demo/inbox: the kept messages, newest first, as the
// data of a "200" envelope.
func (in *Inbox) handler(ad *httpadapter.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			ad.WriteError(w, r, httpadapter.ErrMethodNotAllowed)
			return
		}
		writeData(w, r, in.Messages())
	})
}

// writeData writes a "200" envelope whose data is v, with the headers of
// the adapter's answers.
func writeData(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(struct {
		Code string `json:"code"`
		Msg  string `json:"msg"`
		Data any    `json:"data"`
	}{"200", "success", v})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodHead {
		w.Write(b) //nolint:errcheck // the client is gone; nothing to do
	}
}
