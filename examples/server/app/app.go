// Package app is the account-security DEMO behind examples/server: every
// documented route on an in-memory store, the account-security page at /,
// a development notifier that prints each outgoing SMS and email (codes
// and links included) and keeps the last ones in a dev inbox, and a demo
// sign-in. It is a package of its own so that the browser tests
// (examples/browser) can serve exactly what `go run ./examples/server`
// serves.
//
// DEVELOPMENT ONLY. Members are whoever the X-User-ID header or the demo
// session cookie names, anyone can register, GET /demo/inbox shows every
// code and link to anyone who asks, flow cookies work over plain HTTP, and
// everything is lost at exit. A random secret is generated at each start.
package app

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
	"github.com/acctsec/security/examples/server/web"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/importer"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/notify"
)

// DefaultInboxSize is how many messages the dev inbox keeps by default.
const DefaultInboxSize = 50

// Options configure New.
type Options struct {
	// Base is the server's own "http://host:port": email links point back
	// to it.
	Base string
	// Stdout receives every printed message as one JSON line (default
	// io.Discard).
	Stdout io.Writer
	// Email, when set, takes the email instead of the printing notifier
	// (SMS is still printed). Email it takes is not in the dev inbox.
	Email security.Notifier
	// Logger receives the adapter's and the Service's records (default
	// slog.Default()).
	Logger *slog.Logger
	// Limits are the Service's limits (zero: the library's defaults).
	Limits security.Limits
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
	// InboxSize is how many messages the dev inbox keeps (default
	// DefaultInboxSize).
	InboxSize int
}

// App is the demo's Service, store and HTTP handler.
type App struct {
	// Handler serves the page, the demo routes and the API.
	Handler http.Handler
	// Inbox holds the last printed messages.
	Inbox *Inbox

	svc   *security.Service
	store *memstore.Store
}

// New builds the demo: memstore, messages printed as JSON lines and kept
// in the dev inbox, email links back to opts.Base, demo sessions signed
// with a key drawn at each start.
func New(opts Options) (*App, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sessions, err := newSessions(opts.Now)
	if err != nil {
		return nil, err
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.InboxSize <= 0 {
		opts.InboxSize = DefaultInboxSize
	}
	inbox := NewInbox(opts.InboxSize, notify.NewWriter(opts.Stdout), opts.Now)
	var notifier security.Notifier = inbox
	if opts.Email != nil {
		notifier = notify.Router{SMS: inbox, Email: opts.Email}
	}
	store := memstore.New(memstore.WithClock(opts.Now))
	svc, err := security.New(store, notifier, security.Config{
		Secret:             secret,
		LinkBaseURL:        opts.Base + "/web/userservice/security/verifyMail",
		AllowInsecureLinks: true,
		Limits:             opts.Limits,
		Logger:             opts.Logger,
		Now:                opts.Now,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	h := demo.NewHandler(svc, demo.Options{
		Logger: opts.Logger,
		UserID: sessions.userID,
		Routes: func(mux *http.ServeMux, ad *httpadapter.Handler) {
			mux.Handle("GET /{$}", web.Page())
			mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(httpadapter.OpenAPI())
			})
			mux.Handle("GET /assets/", web.Assets())
			mux.Handle("/demo/inbox", inbox.handler(ad))
			mux.Handle("/demo/signin", http.NewCrossOriginProtection().Handler(sessions.signIn(svc, ad)))
			mux.Handle("/demo/signout", http.NewCrossOriginProtection().Handler(sessions.signOut(ad)))
			mux.Handle("/demo/session", sessions.current(ad))
		},
	})
	return &App{
		Handler: httpadapter.Timeout(demo.RequestTimeout)(h),
		Inbox:   inbox,
		svc:     svc,
		store:   store,
	}, nil
}

// Close drains queued messages and stops the store.
func (a *App) Close(ctx context.Context) error {
	return errors.Join(a.svc.Close(ctx), a.store.Close())
}

// Import loads members from in (package importer's JSON Lines or CSV) into
// the demo's store, through the same code path as cmd/acctsec-import: each
// refused row goes to report, in line order. Cheap legacy digests are
// wrapped in argon2id, as in a real migration.
func (a *App) Import(ctx context.Context, in io.Reader, format importer.Format, report func(importer.Refusal)) (importer.Summary, error) {
	return importer.Run(ctx, a.svc, in, importer.StoreSink{Store: a.store}, importer.Options{Format: format, Report: report})
}
