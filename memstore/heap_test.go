package memstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

// heapPerEntry bounds the heap one entry of any kind holds, as the Service
// fills it (keys of the Service's length: a shard prefix, a kind and 22
// base64 characters), at 50,000 entries, where the maps are about full.
// The largest kind, a ticket, measures about 337 bytes there; the bound
// leaves room for the GC's rounding. Just after a map has doubled an
// entry costs up to 1.4 times as much; the package documentation gives
// both figures.
const heapPerEntry = 384

// TestHeapPerEntryKind measures, for each kind of entry, the heap that
// 50,000 of them hold, shaped as the Service makes them: a counter (a
// throttle or failure key) with one event, a pending code, and a ticket
// with its scope. Every kind stays under heapPerEntry.
func TestHeapPerEntryKind(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 3 x 50,000 entries")
	}
	const n = 50_000
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	key := func(kind string, i int) string { // the Service's key shape
		s := strconv.Itoa(i)
		return "AbC_." + kind + ":" + "AAAAAAAAAAAAAAAAAAAAAA"[len(s):] + s
	}
	kinds := []struct {
		name string
		fill func(s *Store, i int)
	}{
		{"counter", func(s *Store, i int) {
			_, err := s.Count(ctx, now, []security.Hit{{Key: key("send-dest", i), Window: 24 * time.Hour, Add: 1, Max: 10}})
			require.NoError(t, err)
		}},
		{"code", func(s *Store, i int) {
			require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: key("code-member", i), MAC: make([]byte, 32), ExpiresAt: now.Add(5 * time.Minute)}))
		}},
		{"ticket", func(s *Store, i int) {
			require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: key("", i) + "AAAAAAAAAAAAAAAAAAAAA", Scope: key("forgot", i),
				UserID: strconv.Itoa(i), Destination: "+8613800138000", ExpiresAt: now.Add(15 * time.Minute)}))
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
