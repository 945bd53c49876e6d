package demo

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout bounds the shutdown: in-flight requests, then closeApp.
const ShutdownTimeout = 10 * time.Second

// Serve serves h on ln until ctx ends, then shuts down: the listener
// closes, in-flight requests finish, and closeApp (which drains queued
// messages and stops the app's stores or loops) runs with what is left of
// ShutdownTimeout. If serving fails first, closeApp runs without a deadline
// and Serve returns the failure. Server errors are logged on logger at Warn.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, closeApp func(context.Context) error) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		_ = closeApp(context.Background())
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return errors.Join(err, closeApp(sctx))
}
