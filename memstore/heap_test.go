package memstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// heapPerEntry bounds the heap one entry of any kind holds, as the Service
// fills it (keys of the Service's length: a kind and 22 base64 characters).
// The largest kind, a ticket, measures about 305 bytes; the bound leaves room
// for the GC's rounding. README's figure (about 610 MB at the default cap)
// is DefaultMaxEntries times the ticket's measure.
const heapPerEntry = 352

// TestHeapPerEntryKind measures, for each kind of entry, the heap that
// 50,000 of them hold, shaped as the Service makes them: a throttle key with
// one event in three windows, a pending code, a ticket with its scope, and
// a failure counter (per destination and requester) with one failure in
// its window. Every kind stays under heapPerEntry.
func TestHeapPerEntryKind(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 4 x 50,000 entries")
	}
	const n = 50_000
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	key := func(kind string, i int) string { // the Service's key shape
		s := strconv.Itoa(i)
		return kind + ":" + "AAAAAAAAAAAAAAAAAAAAAA"[len(s):] + s
	}
	kinds := []struct {
		name string
		fill func(s *Store, i int)
	}{
		{"throttle", func(s *Store, i int) {
			_, err := s.Allow(ctx, key("send-dest", i), now, []security.Window{{Period: time.Minute, Max: 1}, {Period: time.Hour, Max: 5}, {Period: 24 * time.Hour, Max: 10}})
			require.NoError(t, err)
		}},
		{"code", func(s *Store, i int) {
			require.NoError(t, s.PutCode(ctx, security.Code{Scope: key("code-member", i), MAC: make([]byte, 32), ExpiresAt: now.Add(5 * time.Minute)}))
		}},
		{"ticket", func(s *Store, i int) {
			require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: key("", i) + "AAAAAAAAAAAAAAAAAAAAA", Scope: key("forgot", i),
				UserID: strconv.Itoa(i), Destination: "+8613800138000", ExpiresAt: now.Add(15 * time.Minute)}))
		}},
		{"failures", func(s *Store, i int) {
			_, err := s.BeginAttempt(ctx, key("fail", i), now, security.LockPolicy{Window: 24 * time.Hour, WindowMax: 10})
			require.NoError(t, err)
		}},
	}
	for _, k := range kinds {
		s := New(WithSweepInterval(0))
		before := heapAlloc()
		for i := range n {
			k.fill(s, i)
		}
		per := float64(heapAlloc()-before) / n
		t.Logf("heap per %s entry: %.0f B", k.name, per)
		require.LessOrEqual(t, per, float64(heapPerEntry), k.name)
		require.NoError(t, s.Close())
	}
}
