package demo

import (
	"context"
	"net/http"
	"time"
)

// RequestTimeout is the examples' default deadline per request.
const RequestTimeout = 10 * time.Second

// WithDeadline bounds every request handled by h to d (none when d <= 0).
// The Service waits for a hashing slot only as long as the request's
// context allows, so under a flood requests end in "503" unavailable
// instead of queueing without end.
func WithDeadline(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
