package redisstore_test

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/redisstore"
)

// TestNewRejectsNil checks the constructor's validation.
func TestNewRejectsNil(t *testing.T) {
	_, err := redisstore.New(nil)
	require.Error(t, err)
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	_, err = redisstore.New(client, redisstore.WithClock(nil))
	require.Error(t, err)
}

// TestUnreachable checks that with nothing listening every method fails
// (never reports "not found" or a verdict) and the error carries no MAC.
func TestUnreachable(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { require.NoError(t, client.Close()) })
	s, err := redisstore.New(client)
	require.NoError(t, err)
	for _, o := range ops("down", time.Now()) {
		t.Run(o.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := o.run(ctx, s)
			require.Error(t, err)
			assert.NotErrorIs(t, err, security.ErrNotFound)
			var u unexpected
			assert.False(t, errors.As(err, &u), "a failure must be an error, not a verdict")
			assert.Contains(t, err.Error(), "redisstore:")
		})
	}
	t.Run("VerifyCodeError", func(t *testing.T) {
		mac := randomMAC()
		r, tallies, err := s.VerifyCode(t.Context(), time.Now(), security.CodeCheck{Scope: "scope", MAC: mac, MaxTries: 5})
		require.Error(t, err)
		assert.Equal(t, security.CodeMissing, r)
		assert.Nil(t, tallies)
		assert.NotContains(t, err.Error(), hex.EncodeToString(mac))
		assert.NotContains(t, err.Error(), string(mac))
	})
}

// blackhole accepts connections and reads from them but never answers, like
// a server that hangs mid-request. It stops when the test ends.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestHangingServer checks that a server that never answers makes every
// method return the context's deadline error rather than block: the
// deadline, not a driver timeout, ends the call.
func TestHangingServer(t *testing.T) {
	addr := blackhole(t)
	client := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true,
		// Driver timeouts far beyond the context deadline, so only the
		// context can end the calls.
		DialTimeout: time.Hour, ReadTimeout: time.Hour, WriteTimeout: time.Hour,
		Protocol: 2, DisableIdentity: true,
	})
	t.Cleanup(func() { require.NoError(t, client.Close()) })
	s, err := redisstore.New(client)
	require.NoError(t, err)
	for _, o := range ops("hang", time.Now()) {
		t.Run(o.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			err := o.run(ctx, s)
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}

// failCodeScript is a hook that fails every script call touching a code
// key, as a lost connection between a sharded PutCode's Count and its code
// script would.
type failCodeScript struct{}

func (failCodeScript) DialHook(next redis.DialHook) redis.DialHook { return next }
func (failCodeScript) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (failCodeScript) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		for _, a := range cmd.Args() {
			if s, ok := a.(string); ok && strings.Contains(s, ":code:") {
				err := errors.New("connection lost")
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmd)
	}
}

// TestShardedPutCodeFailureTakesBackItsGates: on a sharded client (here a
// Ring) PutCode applies its gates in a Count, then stores the code in a
// script. When that script fails, the gates' events are taken back, so a
// send that stored nothing spends none of its caps.
func TestShardedPutCodeFailureTakesBackItsGates(t *testing.T) {
	e := newEnv(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"only": e.client.Options().Addr}, DB: e.client.Options().DB})
	t.Cleanup(func() { _ = ring.Close() })
	ring.AddHook(failCodeScript{})
	s, err := redisstore.New(ring, redisstore.WithPrefix(e.prefix))
	require.NoError(t, err)
	now := time.Now()
	gates := []security.Hit{{Key: "t.cooldown", Window: time.Minute, Add: 1, Max: 1}, {Key: "t.read", Window: time.Hour, Max: 5}}
	_, _, err = s.PutCode(t.Context(), now, security.Code{Scope: "t.code", MAC: randomMAC(), ExpiresAt: now.Add(time.Minute)}, gates)
	require.ErrorContains(t, err, "connection lost")
	got, err := e.store.Count(t.Context(), now, []security.Hit{{Key: "t.cooldown", Window: time.Minute}})
	require.NoError(t, err)
	assert.Zero(t, got[0].Count, "the failed send's cooldown was taken back")
}
