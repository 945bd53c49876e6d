package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ticket(id, scope string, verified bool) security.Ticket {
	return security.Ticket{
		ID: id, Scope: scope, UserID: "u1", Destination: "+8613800138000",
		Verified: verified, ExpiresAt: base.Add(10*time.Minute + time.Nanosecond),
	}
}

func TestTickets(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})

	t.Run("round trip", func(t *testing.T) {
		tk := ticket("t1", "", false)
		require.NoError(t, st.PutTicket(ctx, tk))
		got, err := st.GetTicket(ctx, "t1", base)
		require.NoError(t, err)
		assert.Equal(t, &tk, got)
		_, err = st.GetTicket(ctx, "t1", tk.ExpiresAt)
		assert.ErrorIs(t, err, security.ErrNotFound, "expired at ExpiresAt")
		_, err = st.TakeTicket(ctx, "t1", tk.ExpiresAt, false)
		assert.ErrorIs(t, err, security.ErrNotFound, "an expired ticket cannot be taken")
		got, err = st.TakeTicket(ctx, "t1", base, false)
		require.NoError(t, err)
		assert.Equal(t, &tk, got)
		_, err = st.TakeTicket(ctx, "t1", base, false)
		assert.ErrorIs(t, err, security.ErrNotFound, "taken once")
		_, err = st.GetTicket(ctx, "t1", base)
		assert.ErrorIs(t, err, security.ErrNotFound)
	})

	t.Run("verified only", func(t *testing.T) {
		require.NoError(t, st.PutTicket(ctx, ticket("t2", "flow:u1", false)))
		_, err := st.TakeTicket(ctx, "t2", base, true)
		assert.ErrorIs(t, err, security.ErrNotFound)
		_, err = st.GetTicket(ctx, "t2", base)
		require.NoError(t, err, "an unverified ticket is left alone")
		// Marking it verified rewrites the same ticket.
		require.NoError(t, st.PutTicket(ctx, ticket("t2", "flow:u1", true)))
		got, err := st.TakeTicket(ctx, "t2", base, true)
		require.NoError(t, err)
		assert.True(t, got.Verified)
	})

	t.Run("scope voids the previous", func(t *testing.T) {
		require.NoError(t, st.PutTicket(ctx, ticket("a", "link:u1", false)))
		require.NoError(t, st.PutTicket(ctx, ticket("b", "link:u1", false)))
		require.NoError(t, st.PutTicket(ctx, ticket("c", "link:u2", false)))
		require.NoError(t, st.PutTicket(ctx, ticket("d", "", false)))
		require.NoError(t, st.PutTicket(ctx, ticket("e", "", false)))
		_, err := st.GetTicket(ctx, "a", base)
		assert.ErrorIs(t, err, security.ErrNotFound)
		for _, id := range []string{"b", "c", "d", "e"} {
			_, err = st.GetTicket(ctx, id, base)
			assert.NoError(t, err, id)
		}
		require.NoError(t, st.DeleteTicketScope(ctx, "link:u1"))
		require.NoError(t, st.DeleteTicketScope(ctx, ""), "the empty scope groups nothing")
		_, err = st.GetTicket(ctx, "b", base)
		assert.ErrorIs(t, err, security.ErrNotFound)
		for _, id := range []string{"c", "d", "e"} {
			_, err = st.GetTicket(ctx, id, base)
			assert.NoError(t, err, id)
		}
	})
}

func TestTicketsConcurrent(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, nil)
	st := newStore(t, pool, pgstore.Config{})

	t.Run("take once", func(t *testing.T) {
		require.NoError(t, st.PutTicket(ctx, ticket("once", "", true)))
		var got atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, err := st.TakeTicket(ctx, "once", base, true)
				if err == nil {
					got.Add(1)
				} else {
					assert.ErrorIs(t, err, security.ErrNotFound)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), got.Load())
	})

	t.Run("one per scope", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				assert.NoError(t, st.PutTicket(ctx, ticket(fmt.Sprint("race", i), "flow:race", false)))
			})
		}
		wg.Wait()
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+st.Schema()+".tickets WHERE scope = 'flow:race'").Scan(&n))
		assert.Equal(t, 1, n)
	})
}
