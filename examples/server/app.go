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
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify"
)

// app is the demo's Service, store and HTTP handler.
type app struct {
	svc     *security.Service
	store   *memstore.Store
	adapter *httpadapter.Handler
	handler http.Handler
}

// newApp builds the demo on base (its own "http://host:port"): memstore,
// messages as JSON lines on stdout, email links back to base, the library's
// default limits. A non-nil email notifier takes the email (SMS is still
// printed). now is the clock (nil: time.Now); tests move it.
func newApp(base string, stdout io.Writer, email security.Notifier, logger *slog.Logger, now func() time.Time) (*app, error) {
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
		Logger:             logger,
		Now:                now,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &app{svc: svc, store: store}
	a.adapter = httpadapter.New(svc, httpadapter.Options{
		UserID:          demoUserID,
		InsecureCookies: true,
		Logger:          logger,
	})
	mux := http.NewServeMux()
	mux.Handle("/demo/register", http.NewCrossOriginProtection().Handler(http.HandlerFunc(a.register)))
	mux.Handle("/", a.adapter)
	a.handler = mux
	return a, nil
}

// demoUserID trusts the X-User-ID header. DEMO ONLY: a real host reads its
// session here.
func demoUserID(r *http.Request) (string, bool) {
	id := r.Header.Get("X-User-ID")
	return id, id != ""
}

// register serves POST /demo/register (userId, password, optional phone
// and email): it creates the security record and answers "201".
func (a *app) register(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.adapter.WriteError(w, r, httpadapter.ErrMethodNotAllowed)
		return
	}
	p, err := a.adapter.Params(r, "userId", "password", "phone", "email")
	if err != nil {
		a.adapter.WriteError(w, r, err)
		return
	}
	for _, name := range []string{"userId", "password"} {
		if p[name] == "" {
			a.adapter.WriteError(w, r, httpadapter.MissingParam(name))
			return
		}
	}
	err = a.svc.CreateAccount(r.Context(), security.NewAccount{
		UserID: p["userId"], Password: p["password"], Phone: p["phone"], Email: p["email"],
	})
	if err != nil {
		a.adapter.WriteError(w, r, err)
		return
	}
	a.adapter.WriteSuccess(w, r, "201")
}

// close drains queued messages and stops the store.
func (a *app) close(ctx context.Context) error {
	return errors.Join(a.svc.Close(ctx), a.store.Close())
}
