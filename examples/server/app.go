package main

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify"
)

// app is the demo's Service, store and HTTP handler.
type app struct {
	svc     *security.Service
	store   *memstore.Store
	handler http.Handler
}

// newApp builds the demo on base (its own "http://host:port"): memstore,
// messages as JSON lines on stdout, email links back to base, limits (the
// zero value: the library's defaults). A non-nil email notifier takes the
// email (SMS is still printed). now is the clock (nil: time.Now); tests
// move it.
func newApp(base string, stdout io.Writer, email security.Notifier, logger *slog.Logger, limits security.Limits, now func() time.Time) (*app, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	var notifier security.Notifier = notify.NewWriter(stdout)
	if email != nil {
		notifier = notify.Router{SMS: notifier, Email: email}
	}
	store := memstore.New(memstore.WithClock(now))
	svc, err := security.New(store, notifier, security.Config{
		Secret:             secret,
		LinkBaseURL:        base + "/web/userservice/security/verifyMail",
		AllowInsecureLinks: true,
		Limits:             limits,
		Logger:             logger,
		Now:                now,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return &app{svc: svc, store: store, handler: httpadapter.Timeout(demo.RequestTimeout)(demo.NewHandler(svc, demo.Options{Logger: logger}))}, nil
}

// close drains queued messages and stops the store.
func (a *app) close(ctx context.Context) error {
	return errors.Join(a.svc.Close(ctx), a.store.Close())
}
