package security_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/storetest"
)

// ticketRecorder is a Store that remembers every ticket put.
type ticketRecorder struct {
	security.Store
	mu  sync.Mutex
	put []security.Ticket
}

func (r *ticketRecorder) PutTicket(ctx context.Context, t security.Ticket) error {
	r.mu.Lock()
	r.put = append(r.put, t)
	r.mu.Unlock()
	return r.Store.PutTicket(ctx, t)
}

// PutCode records the ticket a code carries.
func (r *ticketRecorder) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	if c.Ticket != nil {
		r.mu.Lock()
		r.put = append(r.put, *c.Ticket)
		r.mu.Unlock()
	}
	return r.Store.PutCode(ctx, now, c, gates)
}

// VerifyCode records the ticket a matching check puts.
func (r *ticketRecorder) VerifyCode(ctx context.Context, now time.Time, c security.CodeCheck) (security.CodeResult, []security.Tally, error) {
	res, tallies, err := r.Store.VerifyCode(ctx, now, c)
	if err == nil && res == security.CodeMatched && c.OnMatch != nil {
		r.mu.Lock()
		r.put = append(r.put, *c.OnMatch)
		r.mu.Unlock()
	}
	return res, tallies, err
}

func (r *ticketRecorder) last(t *testing.T) security.Ticket {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.put)
	return r.put[len(r.put)-1]
}

// recordedService returns a Service on e's store and outbox whose ticket
// writes are recorded.
func recordedService(t *testing.T, e *env) (*security.Service, *ticketRecorder) {
	t.Helper()
	rec := &ticketRecorder{Store: e.store}
	svc, err := security.New(rec, e.out, security.Config{Secret: testSecret, Now: e.clock.Now,
		LinkBaseURL: "https://accounts.example.com/verify", MaxConcurrentHashes: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	return svc, rec
}

// The shard tags below were computed apart from this code, with Python's
// hmac, hashlib, struct and base64, under testSecret: the tag of a
// destination is base64url of the first 3 bytes of HMAC-SHA-256 over the
// parts "shard" and "dest", a zero byte and the destination, each part as a
// 4-byte big-endian length then its bytes. Flows and links carry the tag of
// their phone or address, as its codes and failure counters do.
const (
	flowScopeA = "qtVn.forgot:YMj9NkX8S8eLjWyqRLSZnA" // the flows of phoneA
	linkScopeA = "3CSB.link:vXkNxxJFq0qY-R-Yet-JQQ"   // u1's links to ann@example.com
)

// TestTicketsShareTheirScopeTag: a flow's handle, ID and scope, the new
// handle of step 1, and a link's token, ID and scope all carry the shard tag
// of the scope, and the flows of different phones get different tags.
func TestTicketsShareTheirScopeTag(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	svc, rec := recordedService(t, e)

	handle, err := svc.StartForgotPassword(bg, phoneA)
	require.NoError(t, err)
	assert.Regexp(t, `^qtVn[A-Za-z0-9_-]{43}$`, handle, "the tag, then 32 random bytes")
	flow := rec.last(t)
	assert.Equal(t, flowScopeA, flow.Scope)
	assert.True(t, strings.HasPrefix(flow.ID, "qtVn."), "ID %q", flow.ID)
	assert.NotContains(t, flow.ID, handle[4:], "the ID is a MAC, not the handle")

	e.waitFor(t, phoneA, 1)
	// A handle with another tag, or the right tag and another random part,
	// finds nothing.
	for _, forged := range []string{"AAAA" + handle[4:], handle[:4] + strings.Repeat("A", 43)} {
		_, err := svc.VerifyForgotPassword(bg, forged, e.out.LastCode(t, phoneA))
		require.ErrorIs(t, err, security.ErrFlowRequired, "handle %q", forged)
	}

	next, err := svc.VerifyForgotPassword(bg, handle, e.out.LastCode(t, phoneA))
	require.NoError(t, err)
	assert.Regexp(t, `^qtVn[A-Za-z0-9_-]{43}$`, next, "step 1's handle keeps the flow's tag")
	assert.NotEqual(t, handle[4:], next[4:])
	verified := rec.last(t)
	assert.Equal(t, flowScopeA, verified.Scope, "the same scope")
	assert.True(t, strings.HasPrefix(verified.ID, "qtVn."), "ID %q", verified.ID)
	assert.True(t, verified.Verified)
	require.NoError(t, svc.CompleteForgotPassword(bg, next, phoneA, goodPass2))
	require.NoError(t, svc.VerifyPassword(bg, "u1", goodPass2))

	require.NoError(t, svc.SendEmailVerification(bg, "u1", "ann@example.com"))
	tok := tokenOf(t, lastMessage(t, e.out, "ann@example.com").Link)
	assert.Regexp(t, `^3CSB[A-Za-z0-9_-]{43}$`, tok)
	link := rec.last(t)
	assert.Equal(t, linkScopeA, link.Scope)
	assert.True(t, strings.HasPrefix(link.ID, "3CSB."), "ID %q", link.ID)
	require.NoError(t, svc.VerifyEmailToken(bg, "u1", tok))

	// Sixteen phones, sixteen tags (fixed inputs, so this cannot flake).
	tags := map[string]bool{}
	for i := range 16 {
		phone := fmt.Sprintf("+86139001390%02d", i)
		h, err := svc.StartForgotPassword(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), phone)
		require.NoError(t, err)
		tk := rec.last(t)
		tag, _, ok := strings.Cut(tk.Scope, ".")
		require.True(t, ok, "scope %q", tk.Scope)
		assert.Equal(t, tag, h[:4])
		assert.True(t, strings.HasPrefix(tk.ID, tag+"."))
		tags[tag] = true
	}
	assert.Len(t, tags, 16)
}

// TestForgotPasswordFlowOfBeforeTags: a flow started before shard tags (an
// untagged 43-character handle, untagged ID and scope, as an earlier version
// stored them) still verifies and completes; step 1 moves it to the tagged
// scope of its phone.
func TestForgotPasswordFlowOfBeforeTags(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", phoneA)
	svc, rec := recordedService(t, e)
	now := e.clock.Now()

	// Computed apart from this code (Python, as above): the ID of handle
	// under testSecret, MAC("ticket", "flow", handle); the code scope of
	// that ID; and the MAC of code 123456 to phoneA in it.
	const (
		handle    = "Yk3p0c1h8wQvL2nX5rT7uZ9aB4dF6gH8jK0mN2pQ4sU"
		id        = "wcJQiKtV1NRcH25OmejvxNf27RdEphpAzbGC9xSqRas"
		codeScope = "code-forgot:yVzbWgG74fuL2i5yci6Mkg"
		codeMAC   = "c72d68413a2b28559bf6b47ca432c30a124b4fbd4732d5464f53adeb582ce5c6"
	)
	mac, err := hex.DecodeString(codeMAC)
	require.NoError(t, err)
	require.NoError(t, e.store.PutTicket(bg, security.Ticket{ID: id, Scope: strings.TrimPrefix(flowScopeA, "qtVn."),
		UserID: "u1", Destination: phoneA, ExpiresAt: now.Add(15 * time.Minute)}))
	require.NoError(t, storetest.StoreCode(bg, e.store, security.Code{Scope: codeScope, MAC: mac, ExpiresAt: now.Add(5 * time.Minute)}))

	next, err := svc.VerifyForgotPassword(bg, handle, "123456")
	require.NoError(t, err)
	assert.Regexp(t, `^qtVn[A-Za-z0-9_-]{43}$`, next)
	verified := rec.last(t)
	assert.Equal(t, flowScopeA, verified.Scope, "moved to the tagged scope")
	assert.True(t, strings.HasPrefix(verified.ID, "qtVn."))
	_, err = e.store.GetTicket(bg, id, now)
	require.ErrorIs(t, err, security.ErrNotFound, "the old ticket is taken")

	require.NoError(t, svc.CompleteForgotPassword(bg, next, phoneA, goodPass2))
	require.NoError(t, svc.VerifyPassword(bg, "u1", goodPass2))
}
