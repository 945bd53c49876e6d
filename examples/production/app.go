package main

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/notify"
	"github.com/acctsec/security/otelsecurity"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/redisstore"
)

// appConfig is what newApp builds a replica from. Pool and Redis stay
// owned by the caller, who closes them after app.close.
type appConfig struct {
	Pool  *pgxpool.Pool
	Redis redis.UniversalClient
	// Schema and Prefix isolate this deployment (defaults: pgstore's and
	// redisstore's).
	Schema, Prefix string
	// Secret is the Service secret; nil generates a random one.
	Secret []byte
	// Base is the server's own "http://host:port", for email links.
	Base   string
	Stdout io.Writer
	Logger *slog.Logger
	// Limits are the Service's throttles (the zero value: the library's
	// defaults).
	Limits security.Limits
	// Now is the clock of the Service, of redisstore's TTLs and of
	// pgstore's cleanup (nil: time.Now). Tests share one between replicas.
	Now func() time.Time
	// RequestTimeout bounds each request, store calls included
	// (0: no deadline beyond the client's).
	RequestTimeout time.Duration
	// CleanupInterval is the period of pgstore's cleanup loop (<= 0:
	// pgstore.DefaultCleanupInterval).
	CleanupInterval time.Duration
	// TrustedProxies and ClientIPHeader are passed to the adapter.
	TrustedProxies []netip.Prefix
	ClientIPHeader string
	// Telemetry, when set, instruments the Service, its stores, its
	// notifier and the handler (nil: no telemetry).
	Telemetry *otelsecurity.Instrumentation
}

// app is one replica: the Service on pgstore + redisstore and its handler.
type app struct {
	svc         *security.Service
	accounts    *pgstore.Store
	state       *redisstore.Store
	handler     http.Handler
	stopCleanup func()
}

// newApp migrates the schema (ctx bounds it), composes the stores, starts
// pgstore's cleanup loop and returns the replica. Close it with close.
func newApp(ctx context.Context, cfg appConfig) (*app, error) {
	if cfg.Pool == nil || cfg.Redis == nil {
		return nil, errors.New("production: Pool and Redis are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	secret := cfg.Secret
	if secret == nil {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	accounts, err := pgstore.New(cfg.Pool, pgstore.Config{
		Schema: cfg.Schema,
		Now:    cfg.Now,
		CleanupReport: func(deleted int64, err error) {
			if err != nil {
				cfg.Logger.Warn("pgstore cleanup failed", "error", err.Error())
			} else if deleted > 0 {
				cfg.Logger.Debug("pgstore cleanup", "deleted", deleted)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	if err := accounts.Migrate(ctx); err != nil {
		return nil, err
	}
	opts := []redisstore.Option{redisstore.WithClock(cfg.Now)}
	if cfg.Prefix != "" {
		opts = append(opts, redisstore.WithPrefix(cfg.Prefix))
	}
	state, err := redisstore.New(cfg.Redis, opts...)
	if err != nil {
		return nil, err
	}
	newService := security.New
	if cfg.Telemetry != nil {
		newService = cfg.Telemetry.NewService
	}
	svc, err := newService(security.Compose(accounts, state), notify.NewWriter(cfg.Stdout), security.Config{
		Secret:             secret,
		LinkBaseURL:        cfg.Base + "/web/userservice/security/verifyMail",
		AllowInsecureLinks: true,
		Limits:             cfg.Limits,
		Logger:             cfg.Logger,
		Now:                cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	a := &app{svc: svc, accounts: accounts, state: state}
	a.handler = httpadapter.Timeout(cfg.RequestTimeout)(demo.NewHandler(svc, demo.Options{Logger: cfg.Logger, TrustedProxies: cfg.TrustedProxies,
		ClientIPHeader: cfg.ClientIPHeader}))
	if cfg.Telemetry != nil {
		a.handler = cfg.Telemetry.Handler(a.handler, otelsecurity.HTTPOptions{Routes: []string{"/demo/register"}})
	}
	// The loop's context is not ctx, which only bounds the start-up.
	a.stopCleanup = accounts.StartCleanup(context.Background(), cfg.CleanupInterval)
	return a, nil
}

// close drains queued messages and stops the cleanup loop. The pool and
// the Redis client are the caller's to close afterwards.
func (a *app) close(ctx context.Context) error {
	err := a.svc.Close(ctx)
	a.stopCleanup()
	return err
}
