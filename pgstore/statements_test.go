package pgstore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/storetest"
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

// TestHotOperationsAreOneStatement: every operation is exactly one
// statement, whatever its outcome, so it is one round trip once prepared;
// the one exception is UpdateAccount on a miss, which asks a second query
// whether the record exists (ErrNotFound) or has moved on (ErrConflict).
func TestHotOperationsAreOneStatement(t *testing.T) {
	ctx := context.Background()
	tracer := &queryCounter{}
	pool := newPool(t, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
	st := newStore(t, pool, pgstore.Config{})
	limit := security.Hit{Key: "k", Window: time.Minute, Add: 1, Max: 2}
	fails := []security.Hit{{Key: "f1", Window: time.Hour, Add: 1, Max: 1}, {Key: "f2", Window: time.Hour, Add: 1}}
	check := func(mac []byte, f []security.Hit) func() error {
		return func() error {
			_, _, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: mac, MaxTries: 3, Failures: f})
			return err
		}
	}
	flow, verified := ticket("flow1", "flow", false), ticket("flow2", "flow", true)
	checkOnMatch := func(mac []byte) func() error {
		return func() error {
			_, _, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: mac, MaxTries: 3, OnMatch: &verified, Failures: fails[1:]})
			return err
		}
	}
	acct := &security.Account{UserID: "u1", Phone: "+8613800138000", Email: "u1@example.com"}
	// notFound lets an operation end in security.ErrNotFound.
	notFound := func(err error) error {
		if err != nil && !assert.ErrorIs(t, err, security.ErrNotFound) {
			return err
		}
		return nil
	}

	ops := []struct {
		name string
		op   func() error
	}{
		{"CreateAccount", func() error { return st.CreateAccount(ctx, acct) }},
		{"GetAccount", func() error { _, err := st.GetAccount(ctx, "u1"); return err }},
		{"GetAccount missing", func() error { _, err := st.GetAccount(ctx, "nobody"); return notFound(err) }},
		{"AccountByPhone", func() error { _, err := st.AccountByPhone(ctx, acct.Phone); return err }},
		{"AccountByPhone missing", func() error {
			_, err := st.AccountByPhone(ctx, "+8613900139000")
			return notFound(err)
		}},
		{"AccountByEmail", func() error { _, err := st.AccountByEmail(ctx, acct.Email); return err }},
		{"AccountByEmail missing", func() error {
			_, err := st.AccountByEmail(ctx, "nobody@example.com")
			return notFound(err)
		}},
		{"UpdateAccount", func() error { return st.UpdateAccount(ctx, acct) }},
		{"UpdateAccount conflict", func() error {
			stale := *acct
			stale.Version--
			if err := st.UpdateAccount(ctx, &stale); !assert.ErrorIs(t, err, security.ErrConflict) {
				return err
			}
			return nil
		}},
		{"UpdateAccount missing", func() error {
			return notFound(st.UpdateAccount(ctx, &security.Account{UserID: "nobody", Version: 1}))
		}},
		{"PutCode", func() error {
			return storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute)})
		}},
		{"VerifyCode wrong", check(macWrong, nil)},
		{"VerifyCode right", check(macRight, nil)},
		{"VerifyCode missing", check(macRight, nil)},
		{"PutCode again", func() error {
			return storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute)})
		}},
		{"VerifyCode wrong with failures", check(macWrong, fails)},
		{"VerifyCode blocked", check(macRight, fails)},
		{"VerifyCode right with failures", check(macRight, fails[1:])},
		{"Count new key", func() error { _, err := st.Count(ctx, base, []security.Hit{limit}); return err }},
		{"Count applied", func() error { _, err := st.Count(ctx, base, []security.Hit{limit}); return err }},
		{"Count refused", func() error { _, err := st.Count(ctx, base, []security.Hit{limit}); return err }},
		{"Count batch", func() error {
			_, err := st.Count(ctx, base, []security.Hit{limit, fails[0], fails[1], {Key: "r", Window: time.Hour, Reset: true}})
			return err
		}},
		{"PutCode with ticket", func() error {
			return storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight, ExpiresAt: base.Add(time.Minute), Ticket: &flow})
		}},
		{"VerifyCode wrong with OnMatch", checkOnMatch(macWrong)},
		{"VerifyCode right with OnMatch", checkOnMatch(macRight)},
		{"VerifyCode missing with OnMatch", checkOnMatch(macRight)},
		{"DeleteCode", func() error { return st.DeleteCode(ctx, "s") }},
		{"PutTicket", func() error { return st.PutTicket(ctx, ticket("t", "flow", true)) }},
		{"GetTicket", func() error { _, err := st.GetTicket(ctx, "t", base); return err }},
		{"TakeTicket", func() error { _, err := st.TakeTicket(ctx, "t", base, true); return err }},
		{"GetTicket missing", func() error { _, err := st.GetTicket(ctx, "t", base); return notFound(err) }},
		{"TakeTicket missing", func() error { _, err := st.TakeTicket(ctx, "t", base, true); return notFound(err) }},
		{"DeleteTicketScope", func() error { return st.DeleteTicketScope(ctx, "flow") }},
		{"DeleteAccount", func() error { return st.DeleteAccount(ctx, "u1") }},
		{"DeleteAccount missing", func() error { return notFound(st.DeleteAccount(ctx, "u1")) }},
	}
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			want := int64(1)
			if strings.HasPrefix(tt.name, "UpdateAccount ") {
				want = 2 // a miss: the UPDATE, then whether the record exists
			}
			before := tracer.n.Load()
			require.NoError(t, tt.op())
			assert.Equal(t, want, tracer.n.Load()-before)
		})
	}
}
