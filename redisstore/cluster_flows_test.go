package redisstore_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// codeBox is a Notifier that keeps the last code sent to each destination.
type codeBox struct {
	mu    sync.Mutex
	codes map[string]string
	sent  chan struct{}
}

func (b *codeBox) Send(_ context.Context, m security.Message) error {
	b.mu.Lock()
	b.codes[m.To] = m.Code
	b.mu.Unlock()
	select {
	case b.sent <- struct{}{}:
	default:
	}
	return nil
}

// code waits for a code to dest (delivery runs in the background).
func (b *codeBox) code(t *testing.T, dest string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		c := b.codes[dest]
		b.mu.Unlock()
		if c != "" {
			return c
		}
		select {
		case <-b.sent:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no code sent to %s", dest)
		}
	}
}

// testClock is a clock the test moves by hand (past send cooldowns).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// clusterService returns a Service keeping accounts in memory and all its
// state in a store on client under a fresh prefix, with the prefix.
func clusterService(t *testing.T, client *redis.ClusterClient, clock *testClock) (*security.Service, *codeBox, string) {
	t.Helper()
	rs, prefix := clusterStore(t, client)
	accounts := memstore.New()
	t.Cleanup(func() { _ = accounts.Close() })
	box := &codeBox{codes: map[string]string{}, sent: make(chan struct{}, 1)}
	svc, err := security.New(security.Compose(accounts, rs), box, security.Config{
		Secret:              []byte("UgmT9IXH3b0Zr2bxqv0yH4yb3Vb8u8lJk0y6mSg1N1E="),
		MaxConcurrentHashes: 2,
		Now:                 clock.Now,
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, svc.Close(ctx))
	})
	return svc, box, prefix
}

// TestClusterForgotPasswordSpread starts forgot-password flows for many
// phones through a Service on the cluster and checks that their tickets
// spread over every master, each ticket in the slot of its scope's tag
// beside its scope pointer, and none in the shared "{tickets}" slot.
func TestClusterForgotPasswordSpread(t *testing.T) {
	client := newCluster(t)
	svc, _, prefix := clusterService(t, client, &testClock{t: time.Now()})
	ctx := t.Context()

	const n = 64
	tags := map[string]bool{}
	for i := range n {
		h, err := svc.StartForgotPassword(ctx, fmt.Sprintf("+86139001390%02d", i))
		require.NoError(t, err)
		tags[h[:4]] = true
	}
	require.Len(t, tags, n, "one tag per phone")

	ticketKey := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `\{([A-Za-z0-9_-]{4})\}:([ts]):([A-Za-z0-9_-]{4})\.`)
	byNode := clusterKeys(t, client, prefix)
	masters := 0
	seen := map[string]int{} // tag -> ticket keys
	for addr, keys := range byNode {
		masters++
		onNode := 0
		for _, k := range keys {
			assert.NotContains(t, k, "{tickets}", "no flow in the shared slot")
			m := ticketKey.FindStringSubmatch(k)
			if m == nil {
				continue
			}
			onNode++
			require.Equal(t, m[1], m[3], "key %s: the hash tag is the ID's or scope's own prefix", k)
			require.True(t, tags[m[1]], "key %s: a tag no handle carried", k)
			seen[m[1]]++
			slot, err := client.ClusterKeySlot(ctx, k).Result()
			require.NoError(t, err)
			tagSlot, err := client.ClusterKeySlot(ctx, m[1]).Result()
			require.NoError(t, err)
			assert.Equal(t, tagSlot, slot, "key %s sits in its tag's slot", k)
		}
		assert.Positive(t, onNode, "no flow on master %s: %v", addr, keys)
	}
	assert.GreaterOrEqual(t, masters, 3, "a 3-master cluster")
	for tag := range tags {
		assert.Equal(t, 2, seen[tag], "tag %s: a ticket and its scope pointer, on one master", tag)
	}
}

// TestClusterForgotPasswordFlow runs one forgot-password flow end to end
// on the cluster: start, a second start that voids the first, step 1 to a
// new handle in the same slot, step 2, and nothing of the flow left.
func TestClusterForgotPasswordFlow(t *testing.T) {
	client := newCluster(t)
	clock := &testClock{t: time.Now()}
	svc, box, prefix := clusterService(t, client, clock)
	ctx := t.Context()
	const phone = "+8613800138000"
	require.NoError(t, svc.CreateAccount(ctx, security.NewAccount{UserID: "u1", Password: "correct horse battery", Phone: phone}))

	first, err := svc.StartForgotPassword(ctx, phone)
	require.NoError(t, err)
	box.code(t, phone)
	box.mu.Lock()
	delete(box.codes, phone)
	box.mu.Unlock()
	// Past the phone's one-minute send cooldown, which a counter may hold
	// up to a twelfth of its window longer.
	clock.Advance(time.Minute + time.Minute/security.CounterBuckets)
	handle, err := svc.StartForgotPassword(ctx, phone)
	require.NoError(t, err)
	code := box.code(t, phone)
	require.Equal(t, first[:4], handle[:4], "one phone, one tag")
	_, err = svc.VerifyForgotPassword(ctx, first, code)
	require.ErrorIs(t, err, security.ErrFlowRequired, "the second flow voided the first")

	// A wrong guess moves the phone's failure counters in the same script
	// as the code's try: they share the code's slot.
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	_, err = svc.VerifyForgotPassword(ctx, handle, string(wrong))
	require.ErrorIs(t, err, security.ErrInvalidCode)
	codeTags, counterTags := map[string]bool{}, map[string]bool{}
	for _, keys := range clusterKeys(t, client, prefix) {
		for _, k := range keys {
			rest := strings.TrimPrefix(k, prefix)
			if tag, kind, ok := strings.Cut(rest, "}:"); ok && strings.HasPrefix(tag, "{") {
				switch {
				case strings.HasPrefix(kind, "code:"):
					codeTags[tag] = true
				case strings.HasPrefix(kind, "cnt:"):
					counterTags[tag] = true
				}
			}
		}
	}
	require.Len(t, codeTags, 1, "the flow's code")
	for tag := range codeTags {
		assert.True(t, counterTags[tag], "failure counters beside the code in %s: %v", tag, counterTags)
	}

	next, err := svc.VerifyForgotPassword(ctx, handle, code)
	require.NoError(t, err)
	assert.Equal(t, handle[:4], next[:4], "the verified flow stays in its slot")
	_, err = svc.VerifyForgotPassword(ctx, handle, code)
	require.ErrorIs(t, err, security.ErrFlowRequired)

	require.NoError(t, svc.CompleteForgotPassword(ctx, next, phone, "purple monkey dishwasher"))
	require.NoError(t, svc.VerifyPassword(ctx, "u1", "purple monkey dishwasher"))
	require.ErrorIs(t, svc.CompleteForgotPassword(ctx, next, phone, "yet another good one"), security.ErrFlowRequired)

	// No flow is left in the phone's slot. (The voided first flow's code
	// lives out its five minutes, and the failure counters their window:
	// they share the phone's tag.)
	for addr, keys := range clusterKeys(t, client, prefix) {
		for _, k := range keys {
			for _, kind := range []string{"t:", "s:"} {
				assert.False(t, strings.HasPrefix(k, prefix+"{"+handle[:4]+"}:"+kind), "left on %s: %s", addr, k)
			}
		}
	}
}

// TestClusterBindPhoneFlow binds a phone end to end on the cluster: a wrong
// code, then the right one. The bind code's scope carries the phone's
// shard tag, as its failure counters do, so the check is one script on
// one slot.
func TestClusterBindPhoneFlow(t *testing.T) {
	client := newCluster(t)
	svc, box, _ := clusterService(t, client, &testClock{t: time.Now()})
	ctx := t.Context()
	const phone = "+8613800138001"
	require.NoError(t, svc.CreateAccount(ctx, security.NewAccount{UserID: "u1", Password: "correct horse battery"}))
	require.NoError(t, svc.SendPhoneCode(ctx, "u1", phone))
	code := box.code(t, phone)
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	require.ErrorIs(t, svc.BindPhone(ctx, "u1", phone, string(wrong)), security.ErrInvalidCode)
	require.NoError(t, svc.BindPhone(ctx, "u1", phone, code))
}
