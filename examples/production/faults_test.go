package main

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demotest"
	"github.com/acctsec/security/pgstore"
	"github.com/acctsec/security/redisstore"
	"github.com/acctsec/security/storetest"
)

// storeOps calls every method of a composed Store once.
func storeOps(st security.Store) map[string]func(context.Context) error {
	now := time.Now()
	a := &security.Account{UserID: "fault-user", Version: 1}
	return map[string]func(context.Context) error{
		"CreateAccount":  func(ctx context.Context) error { return st.CreateAccount(ctx, a) },
		"GetAccount":     func(ctx context.Context) error { _, err := st.GetAccount(ctx, "fault-user"); return err },
		"AccountByPhone": func(ctx context.Context) error { _, err := st.AccountByPhone(ctx, "+8613800138000"); return err },
		"AccountByEmail": func(ctx context.Context) error { _, err := st.AccountByEmail(ctx, "a@example.com"); return err },
		"UpdateAccount":  func(ctx context.Context) error { return st.UpdateAccount(ctx, a) },
		"PutCode": func(ctx context.Context) error {
			return storetest.StoreCode(ctx, st, security.Code{Scope: "s", MAC: make([]byte, 32), ExpiresAt: now.Add(time.Minute)})
		},
		"VerifyCode": func(ctx context.Context) error {
			_, _, err := st.VerifyCode(ctx, now, security.CodeCheck{Scope: "s", MAC: make([]byte, 32), MaxTries: 5})
			return err
		},
		"DeleteCode": func(ctx context.Context) error { return st.DeleteCode(ctx, "s") },
		"PutTicket": func(ctx context.Context) error {
			return st.PutTicket(ctx, security.Ticket{ID: "t", Scope: "sc", UserID: "u", ExpiresAt: now.Add(time.Minute)})
		},
		"GetTicket":         func(ctx context.Context) error { _, err := st.GetTicket(ctx, "t", now); return err },
		"TakeTicket":        func(ctx context.Context) error { _, err := st.TakeTicket(ctx, "t", now, false); return err },
		"DeleteTicketScope": func(ctx context.Context) error { return st.DeleteTicketScope(ctx, "sc") },
		"Count": func(ctx context.Context) error {
			_, err := st.Count(ctx, now, []security.Hit{{Key: "k", Window: time.Hour, Add: 1, Max: 5}})
			return err
		},
	}
}

var stateOps = map[string]bool{
	"PutCode": true, "VerifyCode": true, "DeleteCode": true, "PutTicket": true, "GetTicket": true,
	"TakeTicket": true, "DeleteTicketScope": true, "Count": true,
}

// callBounded runs op under a timeout and returns its error. The wait for
// it is a hang guard, far beyond the timeout, not a performance bound.
func callBounded(t *testing.T, op func(context.Context) error, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout + time.Minute):
		t.Fatal("operation did not return after its context ended")
		return nil
	}
}

// assertStoreFails checks that every operation of the half of st served by
// the dead backend fails with an internal error (no store sentinel), and
// when deadline is set, one wrapping context.DeadlineExceeded.
func assertStoreFails(t *testing.T, st security.Store, state bool, timeout time.Duration, deadline bool) {
	t.Helper()
	for name, op := range storeOps(st) {
		if stateOps[name] != state {
			continue
		}
		t.Run(name, func(t *testing.T) {
			err := callBounded(t, op, timeout)
			require.Error(t, err)
			for _, s := range []error{security.ErrNotFound, security.ErrConflict, security.ErrAccountExists,
				security.ErrPhoneTaken, security.ErrEmailTaken} {
				assert.NotErrorIs(t, err, s)
			}
			if deadline {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
		})
	}
}

// TestFaultDeadBackends: stores on a port nothing listens on, a closed
// pool and a closed client fail every operation, and newApp refuses to
// start on an unreachable database.
func TestFaultDeadBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits out dial timeouts; runs in the full suite")
	}
	requireServices(t)
	schema, prefix := isolate(t)

	deadPool := newPool(t, withHost(t, postgresURL(), "127.0.0.1:1"), nil)
	deadRedis := newRedis(t, "127.0.0.1:1")

	closedPool := newPool(t, postgresURL(), nil)
	closedRedis := newRedis(t, "")
	// Migrate the schema first, so the closed pool is all that fails.
	live, err := pgstore.New(closedPool, pgstore.Config{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, live.Migrate(context.Background()))
	closedPool.Close()
	require.NoError(t, closedRedis.Close())

	for _, tc := range []struct {
		name  string
		pool  *pgxpool.Pool
		redis *redis.Client
	}{
		{"nothing listening", deadPool, deadRedis},
		{"closed", closedPool, closedRedis},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts, err := pgstore.New(tc.pool, pgstore.Config{Schema: schema})
			require.NoError(t, err)
			state, err := redisstore.New(tc.redis, redisstore.WithPrefix(prefix))
			require.NoError(t, err)
			st := security.Compose(accounts, state)
			t.Run("postgres", func(t *testing.T) { assertStoreFails(t, st, false, 30*time.Second, false) })
			t.Run("redis", func(t *testing.T) { assertStoreFails(t, st, true, 30*time.Second, false) })
		})
	}

	t.Run("newApp", func(t *testing.T) {
		_, err := newApp(context.Background(), appConfig{Pool: deadPool, Redis: newRedis(t, ""), Schema: schema, Stdout: make(demotest.Lines, 1)})
		require.Error(t, err)
	})
}

// cutTracer cuts a proxy just before the next UPDATE of the accounts
// table is sent, when armed: the request has read the account and done its
// Redis work, and fails at its one write.
type cutTracer struct {
	armed atomic.Bool
	px    *proxy
}

func (c *cutTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.HasPrefix(strings.TrimSpace(d.SQL), "UPDATE") && strings.Contains(d.SQL, "accounts") && c.armed.CompareAndSwap(true, false) {
		c.px.Cut(proxyRefuse)
	}
	return ctx
}

func (c *cutTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// faultRig is one replica whose PostgreSQL and Redis connections go
// through proxies.
type faultRig struct {
	r      *replica
	pg, rd *proxy
	tracer *cutTracer
	out    demotest.Lines
}

func newFaultRig(t *testing.T, requestTimeout time.Duration) *faultRig {
	t.Helper()
	requireServices(t)
	schema, prefix := isolate(t)
	f := &faultRig{pg: startProxy(t, pgUpstream(t)), rd: startProxy(t, redisUpstream(t)), out: make(demotest.Lines, 1024)}
	f.tracer = &cutTracer{px: f.pg}
	pool := newPool(t, withHost(t, postgresURL(), f.pg.Addr()), func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = f.tracer
	})
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	f.r = startReplica(t, replicaConfig{
		name: "F", pool: pool, redis: newRedis(t, f.rd.Addr()),
		schema: schema, prefix: prefix, secret: secret,
		clock: demotest.NewClock(), out: f.out, requestTimeout: requestTimeout,
	})
	return f
}

// leaks are fragments of driver and network error texts that must never
// reach a response body.
var leaks = []string{"pgx", "pgconn", "redis", "dial", "tcp", "127.0.0.1", "refused", "EOF", "reset",
	"timeout", "deadline", "closed", "store", "SQLSTATE", "connect"}

// requireOpaque checks a "500" internal or "503" unavailable answer whose
// body is exactly the adapter's fixed text.
func requireOpaque(t *testing.T, a answer, code, key, msg string) {
	t.Helper()
	requireAnswer(t, a, code, key)
	assert.Equal(t, msg, a.Msg)
	for _, s := range leaks {
		assert.NotContains(t, strings.ToLower(a.Body), strings.ToLower(s))
	}
}

const (
	internalMsg    = "Internal error."
	unavailableMsg = "The service is busy; please try again."
)

// TestFaultAdapter: with PostgreSQL or Redis cut, every route that needs
// it answers "500" internal without driver text, nothing is half-applied,
// and the replica works again once the server is back.
func TestFaultAdapter(t *testing.T) {
	f := newFaultRig(t, 0)
	r := f.r
	register(t, r, "alice", phoneN(1))
	requireAnswer(t, r.do(t, req{method: http.MethodPut, path: "/member/userservice/security/payPassword",
		user: "alice", form: demotest.Form("payPasswordFirst", pin)}), "201", "")
	status := req{method: http.MethodGet, path: "/member/userservice/security/status", user: "alice"}

	// Requests that need the cut backend, in the order a user might send them.
	routes := []struct {
		name  string
		q     req
		state bool // needs Redis (every one of them needs PostgreSQL)
	}{
		{"status", status, false},
		{"register", req{method: http.MethodPost, path: "/demo/register", form: demotest.Form("userId", "carol", "password", password)}, false},
		{"send code", sendCode("alice", phoneN(3), nil), true},
		{"bind phone", req{method: http.MethodPut, path: "/member/userservice/security/bindingPhone", user: "alice",
			form: demotest.Form("phone", phoneN(3), "message", "123456", "oldMessage", "654321")}, true},
		{"change password", req{method: http.MethodPut, path: "/member/userservice/security", user: "alice",
			form: demotest.Form("oldPassword", password, "newPasswordFirst", password2)}, true},
		{"update pay password", req{method: http.MethodPut, path: "/member/userservice/security/updatePayPassword", user: "alice",
			form: demotest.Form("oldPassword", pin, "payPasswordFirst", "639418")}, true},
	}
	for _, backend := range []string{"postgres", "redis"} {
		t.Run(backend+" refused", func(t *testing.T) {
			px := f.pg
			if backend == "redis" {
				px = f.rd
			}
			px.Cut(proxyRefuse)
			for _, rt := range routes {
				if backend == "redis" && !rt.state {
					continue
				}
				t.Run(rt.name, func(t *testing.T) {
					requireOpaque(t, r.do(t, rt.q), "500", "internal", internalMsg)
				})
			}
			px.Restore()
			requireAnswer(t, r.do(t, status), "200", "")
		})
	}

	// Nothing above was applied: the old password and PIN still work, the
	// phone is the old one, carol does not exist.
	ctx := context.Background()
	require.NoError(t, r.app.svc.VerifyPassword(ctx, "alice", password))
	require.NoError(t, r.app.svc.VerifyPayPassword(ctx, "alice", pin))
	acct, err := r.app.accounts.GetAccount(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "+86"+phoneN(1), acct.Phone)
	_, err = r.app.accounts.GetAccount(ctx, "carol")
	require.ErrorIs(t, err, security.ErrNotFound)

	t.Run("cut at the account write", func(t *testing.T) {
		// Change phone: both codes are verified (and consumed) in Redis,
		// then the write of the account fails: the old phone stays bound.
		requireAnswer(t, r.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
		current := f.out.Next(t, "confirm_phone").Code
		requireAnswer(t, r.do(t, sendCode("alice", phoneN(2), nil)), "200", "")
		code := f.out.Next(t, "bind_phone").Code
		f.tracer.armed.Store(true)
		requireOpaque(t, r.do(t, req{method: http.MethodPut, path: "/member/userservice/security/bindingPhone",
			user: "alice", form: demotest.Form("phone", phoneN(2), "message", code, "oldMessage", current)}), "500", "internal", internalMsg)
		require.False(t, f.tracer.armed.Load(), "the write was not reached")
		f.pg.Restore()
		acct, err := r.app.accounts.GetAccount(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "+86"+phoneN(1), acct.Phone)
		_, err = r.app.accounts.AccountByPhone(ctx, "+86"+phoneN(2))
		require.ErrorIs(t, err, security.ErrNotFound)

		// Password change: both hashes done, the write fails: the old
		// password is still the valid one.
		f.tracer.armed.Store(true)
		requireOpaque(t, r.do(t, req{method: http.MethodPut, path: "/member/userservice/security", user: "alice",
			form: demotest.Form("oldPassword", password, "newPasswordFirst", password2)}), "500", "internal", internalMsg)
		require.False(t, f.tracer.armed.Load(), "the write was not reached")
		f.pg.Restore()
		require.NoError(t, r.app.svc.VerifyPassword(ctx, "alice", password))
		require.ErrorIs(t, r.app.svc.VerifyPassword(ctx, "alice", password2), security.ErrWrongPassword)

		// And now both go through.
		requireAnswer(t, r.do(t, req{method: http.MethodPut, path: "/member/userservice/security", user: "alice",
			form: demotest.Form("oldPassword", password, "newPasswordFirst", password2)}), "201", "")
		require.NoError(t, r.app.svc.VerifyPassword(ctx, "alice", password2))
	})
}

// TestFaultUnresponsive: a backend that accepts connections and never
// answers (the proxy holds them) costs each store call its context's
// deadline: the call returns context.DeadlineExceeded and a request
// bounded by the replica's RequestTimeout answers "503" unavailable.
func TestFaultUnresponsive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits out request deadlines; runs in the full suite")
	}
	f := newFaultRig(t, 2*time.Second)
	r := f.r
	register(t, r, "alice", "")
	st := security.Compose(r.app.accounts, r.app.state)

	for _, backend := range []string{"postgres", "redis"} {
		t.Run(backend, func(t *testing.T) {
			px := f.pg
			if backend == "redis" {
				px = f.rd
			}
			px.Cut(proxyBlackhole)
			assertStoreFails(t, st, backend == "redis", 200*time.Millisecond, true)
			q := req{method: http.MethodGet, path: "/member/userservice/security/status", user: "alice"}
			if backend == "redis" {
				q = sendCode("alice", phoneN(1), nil)
			}
			requireOpaque(t, r.do(t, q), "503", "unavailable", unavailableMsg)
			px.Restore()
			requireAnswer(t, r.do(t, req{method: http.MethodGet, path: "/member/userservice/security/status", user: "alice"}), "200", "")
		})
	}
	requireAnswer(t, r.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
	assert.Equal(t, "+86"+phoneN(1), f.out.Next(t, "bind_phone").To)
}
