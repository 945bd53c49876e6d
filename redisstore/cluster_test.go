package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/redisstore"
	"github.com/acctsec/security/storetest"
)

// clusterAddrsEnv names the comma-separated seed addresses of a real Redis
// Cluster (.ci/start-redis-cluster.sh starts one on 127.0.0.1:7101-7103).
const clusterAddrsEnv = "ACCTSEC_REDIS_CLUSTER_ADDRS"

// newCluster returns a Cluster client on the nodes of clusterAddrsEnv,
// closed when t ends. It skips t when the variable is unset; when it is set
// but the cluster is unreachable or not ok, it skips too, unless
// ACCTSEC_REQUIRE_SERVICES=1, which makes that a failure.
func newCluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	addrs := os.Getenv(clusterAddrsEnv)
	if addrs == "" {
		t.Skip("redisstore: " + clusterAddrsEnv + " not set; run .ci/start-redis-cluster.sh and set it to test on a real Redis Cluster")
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 strings.Split(addrs, ","),
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { require.NoError(t, client.Close()) })
	if err := probeCluster(client); err != nil {
		msg := "redisstore: Redis Cluster at " + clusterAddrsEnv + "=" + addrs + " unusable: " + err.Error()
		if os.Getenv("ACCTSEC_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; set ACCTSEC_REQUIRE_SERVICES=1 to fail instead")
	}
	return client
}

// probeCluster checks that every master answers and that the cluster
// serves all slots with more than one master (a one-node "cluster" would
// prove nothing about slots).
func probeCluster(client *redis.ClusterClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var (
		mu      sync.Mutex
		masters int
	)
	err := client.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		info, err := node.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("node %s: cluster_state is not ok", node.Options().Addr)
		}
		mu.Lock()
		masters++
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	if masters < 2 {
		return fmt.Errorf("%d master(s); want at least 2", masters)
	}
	return nil
}

// clusterStore returns a store on client under a random prefix whose keys
// are deleted from every master when t ends.
func clusterStore(t testing.TB, client *redis.ClusterClient) (*redisstore.Store, string) {
	t.Helper()
	prefix := "acctsec-test:" + strings.ToLower(rand.Text()) + ":"
	t.Cleanup(func() { deleteClusterPrefix(t, client, prefix) })
	s, err := redisstore.New(client, redisstore.WithPrefix(prefix))
	require.NoError(t, err)
	return s, prefix
}

// clusterKeys returns the keys under prefix held by each master, by address.
func clusterKeys(t *testing.T, client *redis.ClusterClient, prefix string) map[string][]string {
	t.Helper()
	var mu sync.Mutex
	byNode := map[string][]string{}
	err := client.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
		var keys []string
		iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		mu.Lock()
		byNode[node.Options().Addr] = keys
		mu.Unlock()
		return nil
	})
	require.NoError(t, err)
	return byNode
}

// deleteClusterPrefix removes every key under prefix from every master with
// SCAN and one DEL per key (keys of one node may lie in different slots, so
// a multi-key DEL could fail with CROSSSLOT). Never FLUSHDB.
func deleteClusterPrefix(t testing.TB, client *redis.ClusterClient, prefix string) {
	err := client.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		pipe := node.Pipeline()
		for iter.Next(ctx) {
			pipe.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if pipe.Len() == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	require.NoError(t, err)
}

// TestClusterConformance runs the StateStore conformance suite against a
// real Redis Cluster, each subtest under its own prefix. It proves that
// every script, the ticket scripts included (which touch keys of their
// ticket's slot that are not all passed in KEYS), runs on a cluster.
func TestClusterConformance(t *testing.T) {
	client := newCluster(t)
	storetest.RunState(t, func(t *testing.T) security.StateStore {
		s, _ := clusterStore(t, client)
		return s
	})
}

// TestClusterSpread checks that the store's keys really spread over the
// masters (so the conformance run above exercised more than one node), that
// every ticket key without a shard prefix sits in the one "{tickets}" slot
// (where tickets of before prefixes are found), and that the cleanup finds
// them all. TestClusterForgotPasswordSpread covers prefixed tickets.
func TestClusterSpread(t *testing.T) {
	client := newCluster(t)
	s, prefix := clusterStore(t, client)
	ctx := t.Context()
	now := time.Now()

	const n = 32
	for i := range n {
		scope := fmt.Sprintf("spread-%d", i)
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: scope, MAC: randomMAC(), ExpiresAt: now.Add(time.Hour)}))
		require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: "id-" + scope, Scope: scope, ExpiresAt: now.Add(time.Hour)}))
	}
	// Replacing each scope's ticket deletes the old one through a key the
	// script was not given in KEYS.
	for i := range n {
		scope := fmt.Sprintf("spread-%d", i)
		require.NoError(t, s.PutTicket(ctx, security.Ticket{ID: "new-" + scope, Scope: scope, ExpiresAt: now.Add(time.Hour)}))
		_, err := s.GetTicket(ctx, "id-"+scope, now)
		require.ErrorIs(t, err, security.ErrNotFound, "the replaced ticket of %s", scope)
	}

	byNode := clusterKeys(t, client, prefix)
	codeNodes, ticketNodes, total := 0, 0, 0
	for _, keys := range byNode {
		codes, tickets := 0, 0
		for _, k := range keys {
			switch {
			case strings.HasPrefix(k, prefix+"code:"):
				codes++
			case strings.HasPrefix(k, prefix+"{tickets}:"):
				tickets++
			}
		}
		total += len(keys)
		if codes > 0 {
			codeNodes++
		}
		if tickets > 0 {
			ticketNodes++
		}
	}
	assert.Equal(t, 3*n, total, "n codes, n tickets and n scope pointers")
	assert.GreaterOrEqual(t, codeNodes, 2, "codes of %d scopes on one master: %v", n, byNode)
	assert.Equal(t, 1, ticketNodes, "every unprefixed ticket key shares the {tickets} slot")

	deleteClusterPrefix(t, client, prefix)
	for addr, keys := range clusterKeys(t, client, prefix) {
		assert.Empty(t, keys, "left on %s after cleanup", addr)
	}
}

// TestClusterCodeTickets checks, on a real cluster, that a PutCode with a
// Ticket and a VerifyCode with an OnMatch run as one script in the slot of
// their shard prefix, on every master, and that a ticket of another prefix
// is refused before anything is written.
func TestClusterCodeTickets(t *testing.T) {
	client := newCluster(t)
	s, prefix := clusterStore(t, client)
	ctx := t.Context()
	now := time.Now()

	const n = 24
	for i := range n {
		tag := fmt.Sprintf("f%03d", i)
		scope := tag + ".flows"
		old := security.Ticket{ID: tag + ".old", Scope: scope, ExpiresAt: now.Add(time.Hour)}
		require.NoError(t, s.PutTicket(ctx, old))
		flow := security.Ticket{ID: tag + ".flow", Scope: scope, UserID: "u" + tag, ExpiresAt: now.Add(time.Hour)}
		mac := randomMAC()
		require.NoError(t, storetest.StoreCode(ctx, s, security.Code{Scope: tag + ".code", MAC: mac, ExpiresAt: now.Add(time.Minute), Ticket: &flow}))
		_, err := s.GetTicket(ctx, old.ID, now)
		require.ErrorIs(t, err, security.ErrNotFound, "%s: the code's ticket voids the scope's other", tag)

		verified := flow
		verified.ID, verified.Verified = tag+".verified", true
		failures := []security.Hit{{Key: tag + ".fail", Window: time.Hour, Add: 1, Max: 5}}
		r, tl, err := s.VerifyCode(ctx, now, security.CodeCheck{Scope: tag + ".code", MAC: randomMAC(), MaxTries: 5, OnMatch: &verified, Failures: failures})
		require.NoError(t, err)
		require.Equal(t, security.CodeWrong, r, tag)
		require.Equal(t, 1, tl[0].Count, "%s: the wrong guess is counted in the code's slot", tag)
		_, err = s.GetTicket(ctx, verified.ID, now)
		require.ErrorIs(t, err, security.ErrNotFound, "%s: a wrong guess stores nothing", tag)

		r, _, err = s.VerifyCode(ctx, now, security.CodeCheck{Scope: tag + ".code", MAC: mac, MaxTries: 5, OnMatch: &verified, Failures: failures})
		require.NoError(t, err)
		require.Equal(t, security.CodeMatched, r, tag)
		_, err = s.GetTicket(ctx, flow.ID, now)
		require.ErrorIs(t, err, security.ErrNotFound, "%s: the verified ticket replaces the flow's", tag)
		got, err := s.TakeTicket(ctx, verified.ID, now, true)
		require.NoError(t, err, tag)
		require.Equal(t, verified.UserID, got.UserID)
		require.NoError(t, s.PutTicket(ctx, verified)) // left for the spread check below
	}

	// Every prefix's ticket and scope pointer, nothing else, spread over
	// the masters.
	masters, total := 0, 0
	for _, keys := range clusterKeys(t, client, prefix) {
		tickets := 0
		for _, k := range keys {
			if strings.Contains(k, "}:t:") {
				tickets++
			}
		}
		total += len(keys) - tickets // counters and scope pointers
		if tickets > 0 {
			masters++
		}
	}
	assert.Equal(t, 3, masters, "verified tickets of %d prefixes on every master", n)
	assert.Equal(t, 2*n, total, "a failure counter and a scope pointer per prefix")

	// A ticket of another prefix could not share the code's slot.
	mac := randomMAC()
	other := security.Ticket{ID: "zzzz.flow", Scope: "zzzz.flows", ExpiresAt: now.Add(time.Hour)}
	err := storetest.StoreCode(ctx, s, security.Code{Scope: "f000.split", MAC: mac, ExpiresAt: now.Add(time.Minute), Ticket: &other})
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	_, _, err = s.VerifyCode(ctx, now, security.CodeCheck{Scope: "f000.split", MAC: mac, MaxTries: 5, OnMatch: &other})
	require.ErrorIs(t, err, security.ErrInvalidArgument)
	for _, keys := range clusterKeys(t, client, prefix) {
		for _, k := range keys {
			assert.NotContains(t, k, "split", "the refused code was not written")
			assert.NotContains(t, k, "zzzz", "the refused ticket was not written")
		}
	}
}
