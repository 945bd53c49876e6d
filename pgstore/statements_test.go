package pgstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queryCounter counts the statements pgx sends (Query, QueryRow and Exec).
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestHotOperationsAreOneStatement: every hot operation is exactly one
// statement, whatever its outcome, so it is one round trip once prepared.
func TestHotOperationsAreOneStatement(t *testing.T) {
	ctx := context.Background()
	tracer := &queryCounter{}
	pool := newPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
	st := newStore(t, pool, pgstore.Config{})
	windows := []security.Window{{Period: time.Minute, Max: 2}}
	var attemptID string

	ops := []struct {
		name string
		op   func() error
	}{
		{"PutCode", func() error {
			return st.PutCode(ctx, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute)})
		}},
		{"VerifyCode wrong", func() error { _, err := st.VerifyCode(ctx, "s", macWrong, base, 3); return err }},
		{"VerifyCode right", func() error { _, err := st.VerifyCode(ctx, "s", macRight, base, 3); return err }},
		{"VerifyCode missing", func() error { _, err := st.VerifyCode(ctx, "s", macRight, base, 3); return err }},
		{"Allow new key", func() error { _, err := st.Allow(ctx, "k", base, windows); return err }},
		{"Allow allowed", func() error { _, err := st.Allow(ctx, "k", base, windows); return err }},
		{"Allow refused", func() error { _, err := st.Allow(ctx, "k", base, windows); return err }},
		{"BeginAttempt", func() error {
			a, err := st.BeginAttempt(ctx, "a", base, passwordPolicy)
			attemptID = a.ID
			return err
		}},
		{"SucceedAttempt", func() error { return st.SucceedAttempt(ctx, "a", attemptID, base) }},
		{"PutTicket", func() error { return st.PutTicket(ctx, ticket("t", "flow", true)) }},
		{"TakeTicket", func() error { _, err := st.TakeTicket(ctx, "t", base, true); return err }},
		{"TakeTicket missing", func() error {
			_, err := st.TakeTicket(ctx, "t", base, true)
			if err != nil && !assert.ErrorIs(t, err, security.ErrNotFound) {
				return err
			}
			return nil
		}},
	}
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			before := tracer.n.Load()
			require.NoError(t, tt.op())
			assert.Equal(t, int64(1), tracer.n.Load()-before)
		})
	}
}
