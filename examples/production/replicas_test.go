package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
	"github.com/acctsec/security/examples/internal/demotest"
)

// cluster is two replicas (separate Services, pools and clients, one
// Secret) over the same PostgreSQL schema and Redis prefix, with one
// shared fake clock and one stream of printed messages.
type cluster struct {
	a, b  *replica
	clock *demotest.Clock
	out   demotest.Lines
}

const (
	password  = "Plover-Orchid-71"
	password2 = "Quartz-Meadow-58"
	pin       = "472915"
)

func newCluster(t *testing.T) *cluster {
	t.Helper()
	return newClusterLimits(t, security.Limits{})
}

// newClusterLimits is newCluster with the replicas' Limits.
func newClusterLimits(t *testing.T, limits security.Limits) *cluster {
	t.Helper()
	requireServices(t)
	schema, prefix := isolate(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	c := &cluster{clock: demotest.NewClock(), out: make(demotest.Lines, 1024)}
	for i, name := range []string{"A", "B"} {
		r := startReplica(t, replicaConfig{
			name:   name,
			pool:   newPool(t, postgresURL(), nil),
			redis:  newRedis(t, ""),
			schema: schema, prefix: prefix,
			secret: secret,
			clock:  c.clock,
			out:    c.out,
			limits: limits,
		})
		if i == 0 {
			c.a = r
		} else {
			c.b = r
		}
	}
	return c
}

// pick alternates between the replicas.
func (c *cluster) pick(i int) *replica {
	if i%2 == 0 {
		return c.a
	}
	return c.b
}

// burst sends n copies of q at once, alternating between the replicas,
// requires every call to get an answer, and counts the answers by
// "code key".
func (c *cluster) burst(t *testing.T, n int, q req) map[string]int {
	t.Helper()
	answers := make([]answer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i], errs[i] = c.pick(i).try(q)
		})
	}
	close(start)
	wg.Wait()
	counts := map[string]int{}
	for i := range n {
		require.NoError(t, errs[i])
		counts[answers[i].Code+" "+answers[i].key()]++
	}
	return counts
}

// register creates user through replica r, with an optional bound phone.
func register(t *testing.T, r *replica, user, phone string) {
	t.Helper()
	f := demotest.Form("userId", user, "password", password)
	if phone != "" {
		f.Set("phone", phone)
	}
	requireAnswer(t, r.do(t, req{method: http.MethodPost, path: "/demo/register", form: f}), "201", "")
}

// phoneN is a distinct Chinese mobile number per n.
func phoneN(n int) string { return fmt.Sprintf("1380013%04d", n) }

func sendCode(user, phone string, header map[string]string) req {
	return req{method: http.MethodGet, path: "/member/userservice/security", user: user, form: demotest.Form("phone", phone), header: header}
}

func xff(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

// TestReplicasShareCodes: a code sent through A binds the phone through B,
// and B's status shows it.
func TestReplicasShareCodes(t *testing.T) {
	c := newCluster(t)
	register(t, c.a, "alice", "")
	requireAnswer(t, c.a.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
	m := c.out.Next(t, "bind_phone")
	assert.Equal(t, "+86"+phoneN(1), m.To)

	requireAnswer(t, c.b.do(t, req{method: http.MethodPut, path: "/member/userservice/security/bindingPhone",
		user: "alice", form: demotest.Form("phone", phoneN(1), "message", m.Code)}), "201", "")
	// Used: neither replica accepts it again.
	requireAnswer(t, c.a.do(t, req{method: http.MethodPut, path: "/member/userservice/security/bindingPhone",
		user: "alice", form: demotest.Form("phone", phoneN(1), "message", m.Code)}), "400", "invalid_code")

	st := c.a.do(t, req{method: http.MethodGet, path: "/member/userservice/security/status", user: "alice"})
	requireAnswer(t, st, "200", "")
	var s security.Status
	require.NoError(t, json.Unmarshal(st.Data, &s))
	assert.True(t, s.PhoneBound)
	acct, err := c.b.app.accounts.GetAccount(context.Background(), "alice")
	require.NoError(t, err)
	assert.Equal(t, "+86"+phoneN(1), acct.Phone)
}

// TestReplicasShareThrottles: every send throttle counts the sends of
// both replicas.
func TestReplicasShareThrottles(t *testing.T) {
	t.Run("phone cooldown", func(t *testing.T) {
		c := newCluster(t)
		register(t, c.a, "alice", "")
		requireAnswer(t, c.a.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
		refused := c.b.do(t, sendCode("alice", phoneN(1), nil))
		requireAnswer(t, refused, "429", "rate_limited")
		retry, err := strconv.Atoi(refused.Header.Get("Retry-After"))
		require.NoError(t, err)
		// The cooldown is counted over 12/13 of its 60 s, so a client's
		// countdown is never refused at its end.
		assert.True(t, retry >= 55 && retry <= 60, "Retry-After %d", retry)
		c.clock.Advance(60 * time.Second)
		requireAnswer(t, c.b.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
	})

	t.Run("phone cooldown with max limits", func(t *testing.T) {
		c := newClusterLimits(t, demo.MaxLimits())
		register(t, c.a, "alice", "")
		requireAnswer(t, c.a.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
		refused := c.b.do(t, sendCode("alice", phoneN(1), nil))
		requireAnswer(t, refused, "429", "rate_limited")
		retry, err := strconv.Atoi(refused.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.True(t, retry >= 27 && retry <= 30, "Retry-After %d", retry)
		c.clock.Advance(30 * time.Second)
		requireAnswer(t, c.b.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
	})

	t.Run("per IP", func(t *testing.T) {
		c := newCluster(t)
		users := []string{"u0", "u1", "u2"}
		for _, u := range users {
			register(t, c.a, u, "")
		}
		const ip = "203.0.113.7"
		for i := range 20 { // 20 per IP per hour, split A, B, A, ...
			requireAnswer(t, c.pick(i).do(t, sendCode(users[i%3], phoneN(i), xff(ip))), "200", "")
		}
		requireAnswer(t, c.pick(20).do(t, sendCode(users[20%3], phoneN(20), xff(ip))), "429", "rate_limited")
		requireAnswer(t, c.pick(21).do(t, sendCode(users[21%3], phoneN(21), xff(ip))), "429", "rate_limited")
		// Another client IP is not affected.
		requireAnswer(t, c.b.do(t, sendCode(users[0], phoneN(22), xff("203.0.113.8"))), "200", "")
	})

	t.Run("per account", func(t *testing.T) {
		c := newCluster(t)
		register(t, c.a, "alice", "")
		register(t, c.a, "bob", "")
		for i := range 10 { // 10 per account per hour, distinct phones and IPs
			requireAnswer(t, c.pick(i).do(t, sendCode("alice", phoneN(i), xff(fmt.Sprintf("198.51.100.%d", i+1)))), "200", "")
		}
		requireAnswer(t, c.b.do(t, sendCode("alice", phoneN(10), xff("198.51.100.11"))), "429", "rate_limited")
		requireAnswer(t, c.a.do(t, sendCode("alice", phoneN(11), xff("198.51.100.12"))), "429", "rate_limited")
		requireAnswer(t, c.a.do(t, sendCode("bob", phoneN(12), xff("198.51.100.13"))), "200", "")
	})
}

// TestReplicasOneCodeOneSuccess: 50 concurrent verifications of one code,
// split across the replicas, bind the phone exactly once.
func TestReplicasOneCodeOneSuccess(t *testing.T) {
	c := newCluster(t)
	register(t, c.a, "alice", "")
	requireAnswer(t, c.b.do(t, sendCode("alice", phoneN(1), nil)), "200", "")
	code := c.out.Next(t, "bind_phone").Code

	const n = 50
	counts := c.burst(t, n, req{method: http.MethodPut, path: "/member/userservice/security/bindingPhone",
		user: "alice", form: demotest.Form("phone", phoneN(1), "message", code)})
	t.Logf("answers: %v", counts)
	assert.Equal(t, 1, counts["201 success"], "%v", counts)
	// The rest found the code used ("400"), or were stopped by the phone's
	// failure limit (10 failed verifications per day) before looking.
	assert.Equal(t, n-1, counts["400 invalid_code"]+counts["429 rate_limited"], "%v", counts)
	acct, err := c.a.app.accounts.GetAccount(context.Background(), "alice")
	require.NoError(t, err)
	assert.Equal(t, "+86"+phoneN(1), acct.Phone)
}

// TestReplicasForgotPassword: a flow started on A is verified on B and
// completed on A, carried by the X-Security-Flow header alone; step 1 on B
// replaces the handle, and A knows only the new one.
func TestReplicasForgotPassword(t *testing.T) {
	c := newCluster(t)
	register(t, c.a, "alice", phoneN(1))

	start := c.a.do(t, req{method: http.MethodGet, path: "/web/userservice/security", form: demotest.Form("phone", phoneN(1))})
	requireAnswer(t, start, "200", "")
	flow := start.Header.Get("X-Security-Flow")
	require.NotEmpty(t, flow)
	code := c.out.Next(t, "forgot_password").Code
	h := map[string]string{"X-Security-Flow": flow}

	// Step 2 before step 1 is refused on either replica.
	requireAnswer(t, c.b.do(t, req{method: http.MethodPut, path: "/web/userservice/security", header: h,
		form: demotest.Form("phone", phoneN(1), "passwordFirst", password2)}), "403", "flow_required")
	verify := c.b.do(t, req{method: http.MethodPost, path: "/web/userservice/security", header: h,
		form: demotest.Form("message", code)})
	requireAnswer(t, verify, "201", "")
	verified := verify.Header.Get("X-Security-Flow")
	require.NotEmpty(t, verified)
	require.NotEqual(t, flow, verified)
	requireAnswer(t, c.a.do(t, req{method: http.MethodPut, path: "/web/userservice/security", header: h,
		form: demotest.Form("phone", phoneN(1), "passwordFirst", password2)}), "403", "flow_required")
	h = map[string]string{"X-Security-Flow": verified}
	requireAnswer(t, c.a.do(t, req{method: http.MethodPut, path: "/web/userservice/security", header: h,
		form: demotest.Form("phone", phoneN(1), "passwordFirst", password2)}), "201", "")
	// The flow is gone everywhere.
	requireAnswer(t, c.b.do(t, req{method: http.MethodPut, path: "/web/userservice/security", header: h,
		form: demotest.Form("phone", phoneN(1), "passwordFirst", "Violet-Harbor-93")}), "403", "flow_required")

	ctx := context.Background()
	require.NoError(t, c.b.app.svc.VerifyPassword(ctx, "alice", password2))
	require.ErrorIs(t, c.a.app.svc.VerifyPassword(ctx, "alice", password), security.ErrWrongPassword)
}

// TestReplicasPINLockout: 50 concurrent wrong PINs across both replicas
// evaluate exactly 5 (the consecutive limit); the other 45 find it locked.
func TestReplicasPINLockout(t *testing.T) {
	c := newCluster(t)
	register(t, c.a, "alice", "")
	requireAnswer(t, c.b.do(t, req{method: http.MethodPut, path: "/member/userservice/security/payPassword",
		user: "alice", form: demotest.Form("payPasswordFirst", pin)}), "201", "")

	counts := c.burst(t, 50, req{method: http.MethodPut, path: "/member/userservice/security/updatePayPassword",
		user: "alice", form: demotest.Form("oldPassword", "385172", "payPasswordFirst", "639418")})
	assert.Equal(t, map[string]int{"403 wrong_pay_password": 5, "423 locked": 45}, counts)

	// Locked on both replicas, even for the right PIN.
	ctx := context.Background()
	require.ErrorIs(t, c.a.app.svc.VerifyPayPassword(ctx, "alice", pin), security.ErrLocked)
	st, err := c.b.app.svc.PayPasswordStatus(ctx, "alice")
	require.NoError(t, err)
	assert.True(t, st.Locked)
	// After the 3 h lock (and the twelfth a counter may add) the right PIN
	// works again.
	c.clock.Advance(3*time.Hour + 3*time.Hour/security.CounterBuckets + time.Second)
	require.NoError(t, c.b.app.svc.VerifyPayPassword(ctx, "alice", pin))
}
