package httpadapter

import (
	"context"
	"net/http"
	"time"
)

// Timeout returns middleware that gives every request's context a
// deadline d from when the request reaches it (an earlier deadline the
// context already has is kept). The Service waits for a hashing slot, and
// the stores for their servers, only as long as the context allows, so a
// request out of time answers "503" unavailable instead of queueing behind
// a flood or hanging on an unreachable database. d <= 0 returns handlers
// unchanged.
//
//	srv := &http.Server{Handler: httpadapter.Timeout(10 * time.Second)(h)}
//
// It bounds the work, not the connection: keep http.Server's
// ReadHeaderTimeout, ReadTimeout and WriteTimeout for slow clients.
func Timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		if d <= 0 {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			h.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
