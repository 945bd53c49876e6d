package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demotest"
)

// TestMain fails the run when a test leaves a goroutine behind: every
// pool, client, server and Service a test opens is closed in its cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func postgresURL() string {
	if u := os.Getenv("ACCTSEC_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultPostgresURL
}

func redisURL() string {
	if u := os.Getenv("ACCTSEC_REDIS_URL"); u != "" {
		return u
	}
	return defaultRedisURL
}

var (
	probeOnce sync.Once
	probeErr  string
)

// requireServices skips the test when PostgreSQL or Redis is unreachable,
// or fails it when ACCTSEC_REQUIRE_SERVICES=1. The servers are probed once
// per test binary.
func requireServices(t testing.TB) {
	t.Helper()
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if pool, err := pgxpool.New(ctx, postgresURL()); err != nil {
			probeErr = "PostgreSQL at ACCTSEC_POSTGRES_URL (default " + defaultPostgresURL + "): " + err.Error()
		} else {
			if err := pool.Ping(ctx); err != nil {
				probeErr = "PostgreSQL not reachable at ACCTSEC_POSTGRES_URL (default " + defaultPostgresURL + "): " + err.Error()
			}
			pool.Close()
		}
		if probeErr != "" {
			return
		}
		opt, err := redis.ParseURL(redisURL())
		if err != nil {
			probeErr = "ACCTSEC_REDIS_URL: " + err.Error()
			return
		}
		c := redis.NewClient(opt)
		defer c.Close()
		if err := c.Ping(ctx).Err(); err != nil {
			probeErr = "Redis not reachable at ACCTSEC_REDIS_URL (default " + defaultRedisURL + "): " + err.Error()
		}
	})
	if probeErr == "" {
		return
	}
	if os.Getenv("ACCTSEC_REQUIRE_SERVICES") == "1" {
		t.Fatal(probeErr + " (ACCTSEC_REQUIRE_SERVICES=1)")
	}
	t.Skip(probeErr + "; set ACCTSEC_REQUIRE_SERVICES=1 to fail instead")
}

// randomName returns prefix followed by 12 random hex digits.
func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// isolate returns a fresh schema and key prefix for t, and registers their
// removal (DROP SCHEMA ... CASCADE; SCAN + DEL of the prefix, never
// FLUSHDB) through connections of their own, so it works even when the
// test broke its stores.
func isolate(t testing.TB) (schema, prefix string) {
	t.Helper()
	schema = randomName("acctsec_prod_test_")
	prefix = randomName("acctsec-prod-test:") + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pool, err := pgxpool.New(ctx, postgresURL())
		require.NoError(t, err)
		defer pool.Close()
		_, err = pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		require.NoError(t, err)

		opt, err := redis.ParseURL(redisURL())
		require.NoError(t, err)
		c := redis.NewClient(opt)
		defer c.Close()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		require.NoError(t, iter.Err())
		for len(keys) > 0 {
			n := min(len(keys), 500)
			require.NoError(t, c.Del(ctx, keys[:n]...).Err())
			keys = keys[n:]
		}
	})
	return schema, prefix
}

// newPool opens a pool on url, closed when the test ends.
func newPool(t testing.TB, url string, tweak func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	if tweak != nil {
		tweak(cfg)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// newRedis opens a client on addr ("" for the test server), closed when
// the test ends.
func newRedis(t testing.TB, addr string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisURL())
	require.NoError(t, err)
	if addr != "" {
		opt.Addr = addr
	}
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// withHost returns the PostgreSQL URL with its host:port replaced.
func withHost(t *testing.T, raw, hostport string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.Host = hostport
	return u.String()
}

// upstream returns host:port of the test servers.
func pgUpstream(t *testing.T) string {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(postgresURL())
	require.NoError(t, err)
	return net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
}

func redisUpstream(t *testing.T) string {
	t.Helper()
	opt, err := redis.ParseURL(redisURL())
	require.NoError(t, err)
	return opt.Addr
}

// replica is one app behind its own httptest server.
type replica struct {
	name string
	app  *app
	srv  *httptest.Server
}

// replicaConfig is what a test varies between replicas.
type replicaConfig struct {
	name           string
	pool           *pgxpool.Pool
	redis          *redis.Client
	schema, prefix string
	secret         []byte
	clock          *demotest.Clock
	out            demotest.Lines
	requestTimeout time.Duration
	limits         security.Limits
}

var trustLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// startReplica builds an app on rc and serves it; both are closed when the
// test ends (server first, then the app).
func startReplica(t *testing.T, rc replicaConfig) *replica {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := newApp(ctx, appConfig{
		Pool:            rc.pool,
		Redis:           rc.redis,
		Schema:          rc.schema,
		Prefix:          rc.prefix,
		Secret:          rc.secret,
		Base:            base,
		Stdout:          rc.out,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits:          rc.limits,
		Now:             rc.clock.Now,
		RequestTimeout:  rc.requestTimeout,
		CleanupInterval: time.Hour,
		TrustedProxies:  trustLoopback,
	})
	if err != nil {
		srv.Close()
		require.NoError(t, err)
	}
	srv.Config.Handler = a.handler
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, a.close(ctx))
	})
	return &replica{name: rc.name, app: a, srv: srv}
}

// answer is a decoded envelope.
type answer struct {
	Status int
	Code   string
	Msg    string
	Data   json.RawMessage
	Body   string
	Header http.Header
}

// key is the data key of an error answer.
func (a answer) key() string {
	var s string
	_ = json.Unmarshal(a.Data, &s)
	return s
}

// req describes one HTTP call.
type req struct {
	method, path, user string
	form               url.Values
	header             map[string]string
}

// do sends q to r and decodes the envelope.
func (r *replica) do(t *testing.T, q req) answer {
	t.Helper()
	a, err := r.try(q)
	require.NoError(t, err)
	return a
}

// try is do without a testing.T, for goroutines.
func (r *replica) try(q req) (answer, error) {
	return send(r.srv.Client(), r.srv.URL, q)
}

// send sends q with client to the server at base and decodes the envelope.
func send(client *http.Client, base string, q req) (answer, error) {
	hr, err := demotest.NewRequest(q.method, base+q.path, q.user, q.form)
	if err != nil {
		return answer{}, err
	}
	for k, v := range q.header {
		hr.Header.Set(k, v)
	}
	resp, err := client.Do(hr)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	var env struct {
		Code string          `json:"code"`
		Msg  string          `json:"msg"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return answer{}, err
	}
	return answer{Status: resp.StatusCode, Code: env.Code, Msg: env.Msg, Data: env.Data, Body: string(raw), Header: resp.Header}, nil
}

// requireAnswer checks the envelope code (and the HTTP status) and, for
// errors, the data key.
func requireAnswer(t *testing.T, a answer, code, key string) {
	t.Helper()
	require.Equal(t, code, a.Code, "body %s", a.Body)
	require.Equal(t, code, strconv.Itoa(a.Status))
	if key != "" {
		require.Equal(t, key, a.key(), "body %s", a.Body)
	}
}
