package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/redisstore"
	"github.com/acctsec/security/storetest"
)

// op is one StateStore call, with the command it must send.
type op struct {
	name string
	cmd  string // "evalsha" or "del"
	run  func(ctx context.Context, s security.StateStore) error
}

func randomMAC() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// ops returns one call of every StateStore method on keys derived from
// tag (which may contain braces or be empty), at now.
func ops(tag string, now time.Time) []op {
	mac := randomMAC()
	// A scope and failure keys with one shard prefix, as the Service makes.
	shard := "sh" + tag
	failures := []security.Hit{
		{Key: shard + ".fail1", Window: time.Hour, Add: 1, Max: 10},
		{Key: shard + ".fail2", Window: 24 * time.Hour, Add: 1},
	}
	// A code and the tickets it carries with one shard prefix, as the
	// Service makes them; hex keeps braces out, so that the code's tag
	// (escaped) and the tickets' (not) are the same text.
	flow := fmt.Sprintf("fl%x", tag)
	flowTicket := func(id string, verified bool) *security.Ticket {
		return &security.Ticket{ID: flow + "." + id, Scope: flow + ".flows", UserID: "u", Verified: verified, ExpiresAt: now.Add(time.Hour)}
	}
	return []op{
		{"PutCode", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return storetest.StoreCode(ctx, s, security.Code{Scope: "code" + tag, MAC: mac, ExpiresAt: now.Add(5 * time.Minute)})
		}},
		{"VerifyCode(wrong)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: "code" + tag, MAC: randomMAC(), MaxTries: 5})
			return expect(err, r == security.CodeWrong)
		}},
		{"VerifyCode(right)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: "code" + tag, MAC: mac, MaxTries: 5})
			return expect(err, r == security.CodeMatched)
		}},
		{"DeleteCode", "del", func(ctx context.Context, s security.StateStore) error {
			return s.DeleteCode(ctx, "code"+tag)
		}},
		{"PutCode(shard prefix)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return storetest.StoreCode(ctx, s, security.Code{Scope: shard + ".code", MAC: mac, ExpiresAt: now.Add(5 * time.Minute)})
		}},
		{"VerifyCode(failures, wrong)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, tl, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: shard + ".code", MAC: randomMAC(), MaxTries: 5, Failures: failures})
			return expect(err, r == security.CodeWrong && tl[0].Applied && tl[1].Count == 1)
		}},
		{"VerifyCode(failures, right)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, tl, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: shard + ".code", MAC: mac, MaxTries: 5, Failures: failures})
			return expect(err, r == security.CodeMatched && !tl[0].Applied)
		}},
		{"PutCode(ticket)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			return storetest.StoreCode(ctx, s, security.Code{Scope: flow + ".code", MAC: mac, ExpiresAt: now.Add(5 * time.Minute), Ticket: flowTicket("t1", false)})
		}},
		{"VerifyCode(OnMatch, wrong)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: flow + ".code", MAC: randomMAC(), MaxTries: 5,
				OnMatch: flowTicket("t2", true), Failures: []security.Hit{{Key: flow + ".fail", Window: time.Hour, Add: 1, Max: 10}}})
			return expect(err, r == security.CodeWrong)
		}},
		{"VerifyCode(OnMatch, right)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			r, _, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: flow + ".code", MAC: mac, MaxTries: 5,
				OnMatch: flowTicket("t2", true), Failures: []security.Hit{{Key: flow + ".fail", Window: time.Hour, Add: 1, Max: 10}}})
			return expect(err, r == security.CodeMatched)
		}},
		{"TakeTicket(OnMatch)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			tk, err := s.TakeTicket(ctx, flow+".t2", now, true)
			return expect(err, tk != nil && tk.Verified)
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
		{"Count", "evalsha", func(ctx context.Context, s security.StateStore) error {
			tl, err := s.Count(ctx, now, []security.Hit{{Key: "cnt" + tag, Window: time.Hour, Add: 1, Max: 100}})
			return expect(err, len(tl) == 1 && tl[0].Applied)
		}},
		{"Count(batch)", "evalsha", func(ctx context.Context, s security.StateStore) error {
			tl, err := s.Count(ctx, now, []security.Hit{
				{Key: "cnt" + tag, Window: time.Hour, Add: 1},
				{Key: "other" + tag, Window: time.Minute, Add: 1},
				{Key: shard + ".cnt", Window: 24 * time.Hour, Add: 1},
				{Key: "cnt" + tag, Window: time.Hour, Add: -1},
			})
			return expect(err, len(tl) == 4 && tl[0].Count == tl[3].Count+1)
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
// DEL for DeleteCode); a Count batch is one pipeline of EVALSHAs.
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
				for _, k := range keys {
					require.True(t, strings.HasPrefix(k, e.prefix), "key %q outside the prefix", k)
				}
				if name(c) == "evalsha" && fmt.Sprint(c[1]) == redisstore.CountScriptSHA {
					// A Count batch is one call on a single node; a
					// Cluster client splits it by slot.
					for _, call := range clusterBatches(t, keys) {
						assert.Len(t, slots(call), 1, "keys %q of one Count call on a cluster", call)
					}
					continue
				}
				want := slot(keys[0])
				assert.Equal(t, []int{want}, slots(keys), "keys %q of one %s", keys, name(c))
				if name(c) == "del" {
					continue
				}
				// Scripts that build ticket keys get their base as an
				// argument (PutTicket and TakeTicket first, PutCode and
				// VerifyCode after the code's and counters' arguments).
				for _, base := range scriptArgs(c) {
					if strings.HasPrefix(base, e.prefix) {
						assert.Equal(t, want, slot(base+"t:any-id"), "ticket keys built in the script")
						assert.Equal(t, want, slot(base+"s:any-scope"), "scope keys built in the script")
					}
				}
			}
			// Keys of different codes, limits and counters spread over
			// slots: their tags are their own keys.
			assert.NotEqual(t, slot(e.prefix+"code:{a}"), slot(e.prefix+"code:{b}"))
		})
	}
}

// slots returns the distinct Cluster slots of keys, sorted.
func slots(keys []string) []int {
	var out []int
	for _, k := range keys {
		out = append(out, slot(k))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// clusterBatches returns keys as a store on a Cluster client groups them
// into Count calls (the client never connects).
func clusterBatches(t *testing.T, keys []string) [][]string {
	t.Helper()
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer client.Close()
	s, err := redisstore.New(client)
	require.NoError(t, err)
	var out [][]string
	for _, call := range s.Batches(keys) {
		var ks []string
		for _, i := range call {
			ks = append(ks, keys[i])
		}
		out = append(out, ks)
	}
	return out
}
