package demo_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/examples/internal/demo"
)

// closeRecorder is a closeApp that counts its calls and records whether
// its context had a deadline.
type closeRecorder struct {
	calls       atomic.Int32
	hadDeadline atomic.Bool
	err         error
}

func (c *closeRecorder) close(ctx context.Context) error {
	c.calls.Add(1)
	_, ok := ctx.Deadline()
	c.hadDeadline.Store(ok)
	return c.err
}

// TestServeShutsDown: a request in flight when ctx ends still gets its
// answer, then closeApp runs once, with the shutdown deadline, and its
// error is returned.
func TestServeShutsDown(t *testing.T) {
	errClose := errors.New("close failed")
	tests := []struct {
		name     string
		closeErr error
	}{
		{name: "clean"},
		{name: "closeApp fails", closeErr: errClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			entered, release := make(chan struct{}), make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				<-release
				w.WriteHeader(http.StatusTeapot)
			})
			rec := &closeRecorder{err: tc.closeErr}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			served := make(chan error, 1)
			go func() {
				served <- demo.Serve(ctx, ln, h, slog.New(slog.NewTextHandler(io.Discard, nil)), rec.close)
			}()

			answered := make(chan int, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err != nil {
					answered <- 0
					return
				}
				resp.Body.Close()
				answered <- resp.StatusCode
			}()
			<-entered
			cancel()
			assert.Zero(t, rec.calls.Load(), "closeApp waits for the request")
			close(release)
			assert.Equal(t, http.StatusTeapot, <-answered)
			err = <-served
			if tc.closeErr != nil {
				require.ErrorIs(t, err, tc.closeErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, int32(1), rec.calls.Load())
			assert.True(t, rec.hadDeadline.Load())
		})
	}
}

// TestServeFails: when serving fails (here the listener is already
// closed), closeApp still runs and the failure is returned.
func TestServeFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	rec := &closeRecorder{}
	err = demo.Serve(context.Background(), ln, http.NotFoundHandler(), slog.New(slog.NewTextHandler(io.Discard, nil)), rec.close)
	require.Error(t, err)
	require.NotErrorIs(t, err, http.ErrServerClosed)
	assert.Equal(t, int32(1), rec.calls.Load())
	assert.False(t, rec.hadDeadline.Load())
}
