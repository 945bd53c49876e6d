// Command production is the example server of the account-security API on
// the production stores: account records (and everything durable) in
// PostgreSQL through pgstore, codes, tickets, throttles and lockout counters
// in Redis through redisstore, joined with security.Compose. Any number of
// replicas pointed at the same database, schema, Redis and prefix, with the
// same ACCTSEC_SECRET, share every code, flow, throttle and lockout.
//
//	go run . [-addr 127.0.0.1:8287] [-postgres URL] [-redis URL] [-schema acctsec] [-prefix acctsec:]
//	         [-trusted-proxies CIDR,...] [-client-ip-header NAME] [-otel off|stdout|otlp] [-max-limits]
//
// Every flag but -max-limits has an environment variable (the flag wins
// when both are set):
//
//	-postgres          ACCTSEC_POSTGRES_URL     default postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	-redis             ACCTSEC_REDIS_URL        default redis://127.0.0.1:6379/0
//	-addr              ACCTSEC_ADDR             default 127.0.0.1:8287
//	-schema            ACCTSEC_SCHEMA           default acctsec (pgstore.DefaultSchema)
//	-prefix            ACCTSEC_PREFIX           default acctsec: (redisstore.DefaultPrefix)
//	-request-timeout   ACCTSEC_REQUEST_TIMEOUT  default 10s: the deadline of each request's store calls
//	-cleanup-interval  ACCTSEC_CLEANUP_INTERVAL default 1m: pgstore's background cleanup period
//	-trusted-proxies   ACCTSEC_TRUSTED_PROXIES  default none: comma-separated CIDRs of reverse proxies
//	-client-ip-header  ACCTSEC_CLIENT_IP_HEADER default X-Forwarded-For: the one header those proxies set
//	-otel              ACCTSEC_OTEL             default off: OpenTelemetry export, off, stdout or otlp
//
// -trusted-proxies lists the networks of the reverse proxies (load
// balancers) in front of the replicas, such as "10.0.0.0/8,fd00::/8". Only
// a request whose connection comes from one of them has its
// -client-ip-header believed; the client is then the right-most address in
// it that is not itself a trusted proxy. Per-IP throttles count that
// address. By default nothing is trusted and every request's client is its
// connection's peer, so behind a proxy all clients would share one IP's
// throttles. Each entry must be a prefix (a single host is "10.1.2.3/32");
// anything else stops the start-up.
//
// -client-ip-header names the one header the proxies write: X-Forwarded-For
// (the default) when they append the peer to it, X-Real-IP behind an nginx
// that sets only that (its X-Forwarded-For is then the client's own, and
// believing it would let a client pick its throttle bucket),
// CF-Connecting-IP behind Cloudflare. No other header is read. It needs
// -trusted-proxies.
// -otel exports traces and metrics through otelsecurity: a span per
// request, per flow, per store call and per delivery, and the acctsec.*
// metrics. "stdout" prints them as JSON on stderr (stdout carries the
// outgoing messages); "otlp" sends them over OTLP/HTTP to the collector the
// standard variables name (OTEL_EXPORTER_OTLP_ENDPOINT, default
// http://localhost:4318, and the other OTEL_EXPORTER_OTLP_* settings).
// Telemetry never carries phones, addresses, codes, tokens or user IDs.
//
// -max-limits raises every throttle to the top of its allowed range
// (demo.MaxLimits), for load tests, and warns on stderr. It has no
// environment variable, so that a deployment cannot keep it on unseen.
//
// ACCTSEC_SECRET (environment only, never a flag: argv is visible to every
// local user) is the Service secret, base64 of at least 32 bytes; replicas
// must share it. Without it a random one is generated, which is only good
// for a single replica that may lose its codes and pay passwords at exit.
//
// The schema is migrated at start (safe when replicas start together),
// pgstore's cleanup loop runs until shutdown, and SIGINT or SIGTERM shut the
// server down cleanly: in-flight requests finish, queued messages are
// delivered, the cleanup loop stops, the pool and the client are closed.
//
// Like examples/server it keeps the DEMO parts: members are identified by
// the X-User-ID header, POST /demo/register creates accounts for anyone,
// and outgoing SMS and email, codes included, are printed as JSON lines on
// stdout. A real host replaces those three with its session, its sign-up
// and a real notifier (notify/sms, notify/smtp).
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/acctsec/security/examples/internal/demo"
)

// Defaults of the flags.
const (
	defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultRedisURL    = "redis://127.0.0.1:6379/0"
	defaultAddr        = "127.0.0.1:8287"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "production:", err)
		os.Exit(1)
	}
}

// settings are the parsed flags and environment.
type settings struct {
	addr, postgres, redis, schema, prefix string
	requestTimeout, cleanupInterval       time.Duration
	trustedProxies                        []netip.Prefix
	clientIPHeader                        string
	otel                                  string
	maxLimits                             bool
	secret                                []byte
}

// parseSettings reads args, falling back to the environment (getenv), then
// to the defaults.
func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envDur := func(name string, def time.Duration) (time.Duration, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	var s settings
	reqTimeout, err := envDur("ACCTSEC_REQUEST_TIMEOUT", demo.RequestTimeout)
	if err != nil {
		return s, err
	}
	cleanup, err := envDur("ACCTSEC_CLEANUP_INTERVAL", time.Minute)
	if err != nil {
		return s, err
	}
	fs := flag.NewFlagSet("production", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.addr, "addr", env("ACCTSEC_ADDR", defaultAddr), "listen address (ACCTSEC_ADDR)")
	fs.StringVar(&s.postgres, "postgres", env("ACCTSEC_POSTGRES_URL", defaultPostgresURL), "PostgreSQL URL (ACCTSEC_POSTGRES_URL)")
	fs.StringVar(&s.redis, "redis", env("ACCTSEC_REDIS_URL", defaultRedisURL), "Redis URL (ACCTSEC_REDIS_URL)")
	fs.StringVar(&s.schema, "schema", env("ACCTSEC_SCHEMA", ""), "PostgreSQL schema (ACCTSEC_SCHEMA; default acctsec)")
	fs.StringVar(&s.prefix, "prefix", env("ACCTSEC_PREFIX", ""), "Redis key prefix (ACCTSEC_PREFIX; default acctsec:)")
	fs.DurationVar(&s.requestTimeout, "request-timeout", reqTimeout, "deadline of each request (ACCTSEC_REQUEST_TIMEOUT)")
	fs.DurationVar(&s.cleanupInterval, "cleanup-interval", cleanup, "period of pgstore's cleanup loop (ACCTSEC_CLEANUP_INTERVAL)")
	proxies := fs.String("trusted-proxies", env("ACCTSEC_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (ACCTSEC_TRUSTED_PROXIES; default none)")
	fs.StringVar(&s.clientIPHeader, "client-ip-header", env("ACCTSEC_CLIENT_IP_HEADER", ""),
		"the one header the trusted proxies set to the client's address (ACCTSEC_CLIENT_IP_HEADER; default X-Forwarded-For)")
	fs.StringVar(&s.otel, "otel", env("ACCTSEC_OTEL", otelOff), "OpenTelemetry export: off, stdout (on stderr) or otlp (OTEL_EXPORTER_OTLP_ENDPOINT) (ACCTSEC_OTEL)")
	fs.BoolVar(&s.maxLimits, demo.MaxLimitsFlag, false, demo.MaxLimitsUsage)
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if s.otel, err = parseOTel(s.otel); err != nil {
		return s, err
	}
	if s.trustedProxies, err = parsePrefixes(*proxies); err != nil {
		return s, fmt.Errorf("-trusted-proxies (ACCTSEC_TRUSTED_PROXIES): %w", err)
	}
	s.clientIPHeader = strings.TrimSpace(s.clientIPHeader)
	if s.clientIPHeader != "" {
		if !isHeaderName(s.clientIPHeader) {
			return s, fmt.Errorf("-client-ip-header (ACCTSEC_CLIENT_IP_HEADER): %q is not a header name", s.clientIPHeader)
		}
		if len(s.trustedProxies) == 0 {
			return s, errors.New("-client-ip-header (ACCTSEC_CLIENT_IP_HEADER) is read only from -trusted-proxies; set them too")
		}
	}
	if v := getenv("ACCTSEC_SECRET"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) < 32 {
			// Never echo the value.
			return s, errors.New("ACCTSEC_SECRET must be the standard base64 of at least 32 bytes")
		}
		s.secret = b
	}
	return s, nil
}

// parsePrefixes parses a comma-separated list of CIDR prefixes with
// netip.ParsePrefix; blank entries are skipped. A bare address is an error
// (a single host is written 10.1.2.3/32). Host bits are masked off.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR prefix such as 10.0.0.0/8", item)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// connect opens the pool and the client of s. ContextTimeoutEnabled makes
// the request deadline bound Redis reads and writes, not only dials.
func connect(ctx context.Context, s settings) (*pgxpool.Pool, *redis.Client, error) {
	pcfg, err := pgxpool.ParseConfig(s.postgres)
	if err != nil {
		return nil, nil, errors.New("-postgres: not a valid PostgreSQL URL") // the URL may hold a password
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	ropt, err := redis.ParseURL(s.redis)
	if err != nil {
		pool.Close()
		return nil, nil, errors.New("-redis: not a valid Redis URL")
	}
	ropt.ContextTimeoutEnabled = true
	return pool, redis.NewClient(ropt), nil
}

// run serves until ctx ends, then shuts down cleanly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, err := parseSettings(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	limits := demo.Limits(s.maxLimits, logger)
	telemetry, stopTelemetry, err := setupTelemetry(ctx, s.otel, stderr)
	if err != nil {
		return fmt.Errorf("-otel: %w", err)
	}
	defer func() {
		// After the server and the Service: the last spans and metrics
		// are flushed, within a bound of their own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := stopTelemetry(ctx); err != nil {
			logger.Warn("telemetry shutdown", "error", err.Error())
		}
	}()
	pool, rdb, err := connect(ctx, s)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer rdb.Close()

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if s.secret == nil {
		logger.Warn("ACCTSEC_SECRET not set: using a random secret; replicas will not share codes, and pay passwords are lost at exit")
	}
	startCtx, cancelStart := context.WithTimeout(ctx, 30*time.Second)
	a, err := newApp(startCtx, appConfig{
		Pool:            pool,
		Redis:           rdb,
		Schema:          s.schema,
		Prefix:          s.prefix,
		Secret:          s.secret,
		Base:            base,
		Stdout:          stdout,
		Logger:          logger,
		Limits:          limits,
		RequestTimeout:  s.requestTimeout,
		CleanupInterval: s.cleanupInterval,
		TrustedProxies:  s.trustedProxies,
		ClientIPHeader:  s.clientIPHeader,
		Telemetry:       telemetry,
	})
	cancelStart()
	if err != nil {
		ln.Close()
		return err
	}
	demo.PrintUsage(stderr, base,
		"account-security example server on "+base+": accounts in PostgreSQL, codes and counters in Redis",
		"  DEMO PARTS: X-User-ID identifies members, anyone can register, no TLS.",
		"  Outgoing SMS and email (codes and links) are printed as JSON lines on stdout.")
	return demo.Serve(ctx, ln, a.handler, logger, a.close)
}

// isHeaderName reports whether s is an HTTP field name (RFC 9110 token) of
// reasonable length.
func isHeaderName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
