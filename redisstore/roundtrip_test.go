package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// op is one StateStore call, with the command it must send.
type op struct {
	name string
	cmd  string // "evalsha" or "del"
	run  func(ctx context.Context, s security.StateStore) error
}

var (
	lockPolicy = security.LockPolicy{
		Consecutive: 5, LockFor: time.Hour, MaxConsecutive: 100,
		Window: 24 * time.Hour, WindowMax: 10, WindowLocksUntilClear: true,
	}
	windows = []security.Window{{Period: time.Minute, Max: 1}, {Period: time.Hour, Max: 5}}
)

func randomMAC() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// ops returns one call of every StateStore method on keys derived from
// tag (which may contain braces or be empty), at now.
func ops(tag string, now time.Time) []op {
	mac := randomMAC()
	return []op{
		{"PutCode", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return s.PutCode(ctx, security.Code{Scope: "code" + tag, MAC: mac, ExpiresAt: now.Add(5 * time.Minute)})
		}},
		{"VerifyCode(wrong)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, err := s.VerifyCode(ctx, "code"+tag, randomMAC(), now, 5)
			return expect(err, r == security.CodeWrong)
		}},
		{"VerifyCode(right)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, err := s.VerifyCode(ctx, "code"+tag, mac, now, 5)
			return expect(err, r == security.CodeMatched)
		}},
		{"DeleteCode", "del", func(ctx context.Context, s security.StateStore) error {
			return s.DeleteCode(ctx, "code"+tag)
		}},
		{"PutTicket", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return s.PutTicket(ctx, security.Ticket{ID: "t1" + tag, Scope: "scope" + tag, UserID: "u", ExpiresAt: now.Add(time.Hour)})
		}},
		{"PutTicket(replace)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return s.PutTicket(ctx, security.Ticket{ID: "t2" + tag, Scope: "scope" + tag, UserID: "u", Verified: true, ExpiresAt: now.Add(time.Hour)})
		}},
		{"GetTicket", "evalsha", func(ctx context.Context, s security.StateStore) error {
			_, err := s.GetTicket(ctx, "t1"+tag, now)
			if errors.Is(err, security.ErrNotFound) {
				return nil // the replaced ticket is gone
			}
			return expect(err, false)
		}},
		{"TakeTicket", "evalsha", func(ctx context.Context, s security.StateStore) error {
			tk, err := s.TakeTicket(ctx, "t2"+tag, now, true)
			return expect(err, tk != nil && tk.Verified)
		}},
		{"DeleteTicketScope", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return s.DeleteTicketScope(ctx, "scope"+tag)
		}},
		{"Allow", "evalsha", func(ctx context.Context, s security.StateStore) error {
			_, err := s.Allow(ctx, "rl"+tag, now, windows)
			return err
		}},
		{"BeginAttempt", "evalsha", func(ctx context.Context, s security.StateStore) error {
			a, err := s.BeginAttempt(ctx, "att"+tag, now, lockPolicy)
			return expect(err, a.Allowed)
		}},
		{"AttemptStatus", "evalsha", func(ctx context.Context, s security.StateStore) error {
			a, err := s.AttemptStatus(ctx, "att"+tag, now, lockPolicy)
			return expect(err, a.Allowed)
		}},
		{"SucceedAttempt", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return s.SucceedAttempt(ctx, "att"+tag, "some-id", now)
		}},
		{"ClearAttempts", "del", func(ctx context.Context, s security.StateStore) error {
			return s.ClearAttempts(ctx, "att"+tag)
		}},
	}
}

type unexpected struct{}

func (unexpected) Error() string { return "unexpected result" }

func expect(err error, ok bool) error {
	if err == nil && !ok {
		return unexpected{}
	}
	return err
}

// TestOneRoundTrip checks that, once its script is cached by the server,
// every StateStore method costs exactly one round trip: one EVALSHA (or one
// DEL for the deletes).
func TestOneRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now()
	// Warm up: the first EVALSHA of each script may meet NOSCRIPT and fall
	// back to EVAL, a second round trip.
	for _, o := range ops("warm", now) {
		require.NoError(t, o.run(ctx, e.store), o.name)
	}
	e.trips.take()
	for _, o := range ops("measured", now) {
		t.Run(o.name, func(t *testing.T) {
			require.NoError(t, o.run(ctx, e.store))
			trips := e.trips.take()
			require.Len(t, trips, 1, "round trips")
			assert.Equal(t, o.cmd, name(trips[0]))
		})
	}
	t.Run("DeleteTicketScope(empty)", func(t *testing.T) {
		require.NoError(t, e.store.DeleteTicketScope(ctx, ""))
		assert.Empty(t, e.trips.take(), "an empty scope groups no tickets")
	})
}

// TestClusterSlots checks that every key one command names, and every key
// a ticket script builds from its base argument, hashes to one Cluster
// slot, including for keys that contain braces or are empty. Redis Cluster
// refuses a script whose keys span slots; this is the check a single test
// server can make.
func TestClusterSlots(t *testing.T) {
	require.Equal(t, 0x31C3, int(crc16("123456789")), "CRC16 test vector of the Cluster spec")
	require.Equal(t, 12182, slot("foo"))
	require.Equal(t, slot("{user1000}.following"), slot("{user1000}.followers"))

	for _, tag := range []string{"plain", "", "{", "}", "}x{", "{a}b", "%7D", "%"} {
		t.Run("tag="+tag, func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			for _, o := range ops(tag, time.Now()) {
				require.NoError(t, o.run(ctx, e.store), o.name)
			}
			for _, c := range e.trips.take() {
				if n := name(c); n == "hello" || n == "client" {
					continue // a new pooled connection's handshake
				}
				keys := keysOf(c)
				require.NotEmpty(t, keys, "%v", name(c))
				want := slot(keys[0])
				for _, k := range keys {
					require.True(t, strings.HasPrefix(k, e.prefix), "key %q outside the prefix", k)
					assert.Equal(t, want, slot(k), "keys %q of one %s", keys, name(c))
				}
				if name(c) == "del" || !strings.Contains(keys[0], "{tickets}") {
					continue
				}
				// Ticket scripts that build keys get the base as ARGV[1].
				if base := scriptArgs(c)[0]; strings.HasPrefix(base, e.prefix) {
					assert.Equal(t, want, slot(base+"t:any-id"), "ticket keys built in the script")
					assert.Equal(t, want, slot(base+"s:any-scope"), "scope keys built in the script")
				}
			}
			// Keys of different codes, limits and counters spread over
			// slots: their tags are their own keys.
			assert.NotEqual(t, slot(e.prefix+"code:{a}"), slot(e.prefix+"code:{b}"))
		})
	}
}
