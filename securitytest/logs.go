package securitytest

import (
	"bytes"
	"sync"
)

// Logs is an io.Writer that keeps what is written, for a slog handler the
// Service logs into, so that a test can check what reached the logs (and
// that no code or password did). It is safe for concurrent use.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
