package securitytest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// LinkBaseURL is the Config.LinkBaseURL of a Service built here.
const LinkBaseURL = "https://accounts.example.com/verify"

// closeTimeout bounds the drain of background deliveries at Close.
const closeTimeout = 10 * time.Second

// Service is a security.Service on memstore with the fakes wired in: its
// Config.Now is Clock.Now (the store's clock too), its Notifier is Outbox,
// its Config.OnEvent records into Events, and it logs at debug level, as
// JSON, into Logs. The embedded Service runs the flows.
type Service struct {
	*security.Service
	// Store is the memstore the Service runs on (wrapped, when WithStore
	// was given).
	Store  *memstore.Store
	Clock  *Clock
	Outbox *Outbox
	Events *Events
	Logs   *Logs
	// Config is the configuration the Service was built with.
	Config security.Config
}

// Option tweaks how NewService and Open build a Service.
type Option func(*options)

type options struct {
	config []func(*security.Config)
	store  func(*memstore.Store) security.Store
	mem    []memstore.Option
	clock  *Clock
}

// WithConfig lets f change the Config before the Service is built, after
// the fakes are wired in: set Limits, SendVeto, RequireClientIP and so on.
// An OnEvent that f sets runs after Events records the event. A Now that f
// sets replaces the Clock for the Service, not for the store.
func WithConfig(f func(*security.Config)) Option {
	return func(o *options) { o.config = append(o.config, f) }
}

// WithStore runs the Service on wrap(memstore) instead of the memstore
// itself: a store that counts calls or injects faults.
func WithStore(wrap func(*memstore.Store) security.Store) Option {
	return func(o *options) { o.store = wrap }
}

// WithMemstore adds options to the memstore the Service runs on. Its clock
// is always the Service's Clock.
func WithMemstore(opts ...memstore.Option) Option {
	return func(o *options) { o.mem = append(o.mem, opts...) }
}

// WithClock makes the Service and its store read c instead of a new Clock
// at Start, e.g. to share one clock between several Services.
func WithClock(c *Clock) Option {
	return func(o *options) { o.clock = c }
}

// NewService returns a Service built by Open and closed, its background
// deliveries drained, when t and its subtests end. It fails the test at
// once when the Config an Option produced is refused.
func NewService(t testing.TB, opts ...Option) *Service {
	t.Helper()
	s, err := Open(opts...)
	if err != nil {
		t.Fatalf("securitytest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("securitytest: %v", err)
		}
	})
	return s
}

// Open returns a Service with a new Clock at Start, an empty Outbox and
// Events, a random 32-byte secret and LinkBaseURL, changed by opts. The
// caller must Close it; in a test, NewService does.
func Open(opts ...Option) (*Service, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	s := &Service{Clock: o.clock, Outbox: &Outbox{}, Events: &Events{}, Logs: &Logs{}}
	if s.Clock == nil {
		s.Clock = &Clock{}
	}
	s.Store = memstore.New(append(o.mem, memstore.WithClock(s.Clock.Now))...)
	var store security.Store = s.Store
	if o.store != nil {
		store = o.store(s.Store)
	}
	cfg := security.Config{
		Secret:      secret,
		LinkBaseURL: LinkBaseURL,
		Now:         s.Clock.Now,
		Logger:      slog.New(slog.NewJSONHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range o.config {
		f(&cfg)
	}
	host := cfg.OnEvent
	cfg.OnEvent = func(ctx context.Context, e security.Event) {
		s.Events.Add(ctx, e)
		if host != nil {
			host(ctx, e)
		}
	}
	svc, err := security.New(store, s.Outbox, cfg)
	if err != nil {
		_ = s.Store.Close()
		return nil, fmt.Errorf("security.New: %w", err)
	}
	s.Service, s.Config = svc, cfg
	return s, nil
}

// Close closes the Service, waiting up to ctx for its background
// deliveries, then the store.
func (s *Service) Close(ctx context.Context) error {
	err := s.Service.Close(ctx)
	if err != nil {
		err = fmt.Errorf("draining deliveries: %w", err)
	}
	return errors.Join(err, s.Store.Close())
}
