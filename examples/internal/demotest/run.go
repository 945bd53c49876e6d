package demotest

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
)

// Banner is the text Start waits for: the first curl example of the usage
// text, printed once the server listens.
const Banner = "curl -s"

// Output collects what a run writes, safe for its goroutines. The zero
// value is a plain locked buffer; Start makes one that also waits for
// Banner.
type Output struct {
	mu    sync.Mutex
	b     bytes.Buffer
	want  string
	ready chan struct{}
	seen  bool // ready is closed
}

// Write appends p and, for an Output of Start, marks it ready once it
// contains the text Start waits for.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b.Write(p)
	if o.ready != nil && !o.seen && bytes.Contains(o.b.Bytes(), []byte(o.want)) {
		o.seen = true
		close(o.ready)
	}
	return len(p), nil
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// Start calls run in a goroutine with a context and the stderr it should
// write to, and returns once that stderr contains Banner (it fails t if
// run returns first). stop cancels the context and returns run's error;
// it also runs when the test ends, so a failed test leaves no server
// behind.
func Start(t testing.TB, run func(ctx context.Context, stderr io.Writer) error) (stderr *Output, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &Output{want: Banner, ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- run(ctx, stderr) }()
	select {
	case <-stderr.ready:
	case err := <-done:
		cancel()
		t.Fatalf("run returned early: %v\n%s", err, stderr.String())
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stderr, stop
}
