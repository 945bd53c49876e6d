package pgstore_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// allOps calls every method of the Store once.
func allOps(st *pgstore.Store) map[string]func(context.Context) error {
	a := &security.Account{UserID: "u1", Version: 1}
	h := []security.Hit{{Key: "k", Window: time.Minute, Add: 1, Max: 1}}
	return map[string]func(context.Context) error{
		"Migrate":        st.Migrate,
		"CreateAccount":  func(ctx context.Context) error { return st.CreateAccount(ctx, a) },
		"GetAccount":     func(ctx context.Context) error { _, err := st.GetAccount(ctx, "u1"); return err },
		"AccountByPhone": func(ctx context.Context) error { _, err := st.AccountByPhone(ctx, "+1"); return err },
		"AccountByEmail": func(ctx context.Context) error { _, err := st.AccountByEmail(ctx, "a@b.c"); return err },
		"UpdateAccount":  func(ctx context.Context) error { return st.UpdateAccount(ctx, a) },
		"DeleteAccount":  func(ctx context.Context) error { return st.DeleteAccount(ctx, "u1") },
		"PutCode": func(ctx context.Context) error {
			return storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: macRight})
		},
		"VerifyCode": func(ctx context.Context) error {
			_, _, err := st.VerifyCode(ctx, base, security.CodeCheck{Scope: "s", MAC: macRight, MaxTries: 3, Failures: h})
			return err
		},
		"DeleteCode": func(ctx context.Context) error { return st.DeleteCode(ctx, "s") },
		"PutTicket":  func(ctx context.Context) error { return st.PutTicket(ctx, ticket("t", "", false)) },
		"GetTicket":  func(ctx context.Context) error { _, err := st.GetTicket(ctx, "t", base); return err },
		"TakeTicket": func(ctx context.Context) error {
			_, err := st.TakeTicket(ctx, "t", base, false)
			return err
		},
		"DeleteTicketScope": func(ctx context.Context) error { return st.DeleteTicketScope(ctx, "x") },
		"Count":             func(ctx context.Context) error { _, err := st.Count(ctx, base, h); return err },
		"Cleanup":           func(ctx context.Context) error { _, err := st.Cleanup(ctx); return err },
	}
}

// assertAllFail runs every operation under a deadline and checks each
// returns an internal error (none of the store's sentinels) before the
// deadline has long passed.
func assertAllFail(t *testing.T, st *pgstore.Store, timeout time.Duration) {
	t.Helper()
	for name, op := range allOps(st) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			err := op(ctx)
			require.Error(t, err)
			assert.ErrorContains(t, err, "pgstore: ")
			for _, sentinel := range []error{security.ErrNotFound, security.ErrConflict,
				security.ErrAccountExists, security.ErrPhoneTaken, security.ErrEmailTaken} {
				assert.NotErrorIs(t, err, sentinel)
			}
		})
	}
}

func TestFaultUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	t.Run("refused", func(t *testing.T) {
		pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable")
		require.NoError(t, err)
		defer pool.Close()
		st, err := pgstore.New(pool, pgstore.Config{})
		require.NoError(t, err)
		assertAllFail(t, st, 30*time.Second)
	})

	t.Run("silent", func(t *testing.T) {
		// A server that accepts connections and never answers: every
		// operation must end with its context.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		accepted := make(chan struct{})
		go func() {
			defer close(accepted)
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		pool, err := pgxpool.New(context.Background(), "postgres://postgres@"+ln.Addr().String()+"/test?sslmode=disable")
		require.NoError(t, err)
		st, err := pgstore.New(pool, pgstore.Config{})
		require.NoError(t, err)
		assertAllFail(t, st, 100*time.Millisecond)
		pool.Close()
		ln.Close()
		<-accepted
	})
}

func TestFaultClosedPool(t *testing.T) {
	pool := newPool(t, nil)
	st := newStore(t, nil, pgstore.Config{}) // its own pool, so the schema can be dropped
	closed, err := pgstore.New(pool, pgstore.Config{Schema: st.Schema()})
	require.NoError(t, err)
	pool.Close()
	assertAllFail(t, closed, 30*time.Second)
}
