package redisstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/acctsec/security/redisstore"
)

// TestMain fails the run if any test leaves a goroutine behind (every
// client a test opens is closed in its cleanup).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const defaultRedisURL = "redis://127.0.0.1:6379/0"

// redisOptions returns the options of the test server from
// ACCTSEC_REDIS_URL (default defaultRedisURL).
func redisOptions(t *testing.T) *redis.Options {
	t.Helper()
	url := os.Getenv("ACCTSEC_REDIS_URL")
	if url == "" {
		url = defaultRedisURL
	}
	opt, err := redis.ParseURL(url)
	require.NoError(t, err, "ACCTSEC_REDIS_URL")
	opt.ContextTimeoutEnabled = true
	return opt
}

// env is one test's view of the real server: a client, a store on a
// random prefix, and a hook recording the store's round trips.
type env struct {
	client *redis.Client
	store  *redisstore.Store
	prefix string
	trips  *recorder
}

// newEnv connects to the test server, or skips the test when it is
// unreachable (fails instead when ACCTSEC_REQUIRE_SERVICES=1). The keys
// under the test's prefix are deleted when the test ends.
func newEnv(t *testing.T, opts ...redisstore.Option) *env {
	t.Helper()
	if err := probe(t); err != nil {
		msg := "redisstore: Redis unreachable at ACCTSEC_REDIS_URL (default " + defaultRedisURL + "): " + err.Error()
		if os.Getenv("ACCTSEC_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; set ACCTSEC_REQUIRE_SERVICES=1 to fail instead")
	}
	client := redis.NewClient(redisOptions(t))
	prefix := "acctsec-test:" + strings.ToLower(rand.Text()) + ":"
	t.Cleanup(func() {
		deletePrefix(t, client, prefix)
		require.NoError(t, client.Close())
	})
	// Open a connection before hooking, so its handshake is not recorded.
	require.NoError(t, client.Ping(t.Context()).Err())
	trips := &recorder{}
	client.AddHook(trips)
	s, err := redisstore.New(client, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...)
	require.NoError(t, err)
	return &env{client: client, store: s, prefix: prefix, trips: trips}
}

var (
	probeOnce sync.Once
	probeErr  error
)

// probe pings the test server once per test binary, so an unreachable
// server costs one dial, not one per subtest.
func probe(t *testing.T) error {
	probeOnce.Do(func() {
		client := redis.NewClient(redisOptions(t))
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		probeErr = client.Ping(ctx).Err()
	})
	return probeErr
}

// keys returns every key under the test's prefix.
func (e *env) keys(t *testing.T) []string {
	t.Helper()
	var all []string
	iter := e.client.Scan(context.Background(), 0, e.prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		all = append(all, iter.Val())
	}
	require.NoError(t, iter.Err())
	return all
}

// deletePrefix removes every key under prefix with SCAN and DEL (never
// FLUSHDB: the database may be shared).
func deletePrefix(t *testing.T, client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			require.NoError(t, client.Del(ctx, batch...).Err())
			batch = batch[:0]
		}
	}
	require.NoError(t, iter.Err())
	if len(batch) > 0 {
		require.NoError(t, client.Del(ctx, batch...).Err())
	}
}
