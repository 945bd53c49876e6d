package storetest

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// Run runs the whole conformance suite against the Store returned by
// newStore, which is called once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) security.Store) {
	t.Helper()
	RunAccounts(t, func(t *testing.T) security.AccountStore { return newStore(t) })
	RunState(t, func(t *testing.T) security.StateStore { return newStore(t) })
}

// RunAccounts runs the AccountStore half of the suite against the store
// returned by newStore, which is called once per subtest.
func RunAccounts(t *testing.T, newStore func(t *testing.T) security.AccountStore) {
	t.Helper()
	t.Run("Accounts", func(t *testing.T) {
		for _, tc := range accountTests {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
		}
	})
}

// RunState runs the StateStore half of the suite (codes, tickets and
// counters) against the store returned by newStore, which is called once
// per subtest.
func RunState(t *testing.T, newStore func(t *testing.T) security.StateStore) {
	t.Helper()
	RunCodes(t, newStore)
	runGroup(t, "CodeTickets", codeTicketTests, newStore)
	RunTickets(t, func(t *testing.T) security.TicketStore { return newStore(t) })
	RunCounters(t, func(t *testing.T) security.CounterStore { return newStore(t) })
}

// CodeAndCounterStore is what the code tests need: VerifyCode moves
// counters, and the tests read them back with Count.
type CodeAndCounterStore interface {
	security.CodeStore
	security.CounterStore
}

// RunCodes runs the CodeStore tests, VerifyCode's failure counters
// included, against the store returned by newStore. The tickets that code
// operations store (Code.Ticket, CodeCheck.OnMatch) are tested by
// RunState, since they need the TicketStore of the same backend.
func RunCodes[S CodeAndCounterStore](t *testing.T, newStore func(t *testing.T) S) {
	t.Helper()
	runGroup(t, "Codes", codeTests, newStore)
	runGroup(t, "CodeFailures", codeFailureTests, newStore)
	runGroup(t, "CodeGates", codeGateTests, newStore)
}

// RunTickets runs the TicketStore tests against the store returned by
// newStore.
func RunTickets[S security.TicketStore](t *testing.T, newStore func(t *testing.T) S) {
	t.Helper()
	runGroup(t, "Tickets", ticketTests, newStore)
}

// RunCounters runs the CounterStore tests against the store returned by
// newStore.
func RunCounters[S security.CounterStore](t *testing.T, newStore func(t *testing.T) S) {
	t.Helper()
	runGroup(t, "Counters", counterTests, newStore)
}

func runGroup[S, T any](t *testing.T, name string, tests []roleTest[T], newStore func(t *testing.T) S) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, any(newStore(t)).(T)) })
		}
	})
}

type accountTest struct {
	name string
	run  func(t *testing.T, s security.AccountStore)
}

type roleTest[T any] struct {
	name string
	run  func(t *testing.T, s T)
}

// start returns the base time of a subtest: now, in whole milliseconds.
func start() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// unique returns prefix followed by random characters, so that subtests can
// share a backend.
func unique(prefix string) string {
	return "storetest:" + prefix + ":" + strings.ToLower(rand.Text())
}

// tagged returns a key that starts with the shard prefix tag and a ".",
// as the Service's code scopes and counter keys do.
func tagged(tag, prefix string) string {
	return tag + "." + unique(prefix)
}

// uniquePhone returns a random, valid-looking E.164 number.
func uniquePhone(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	require.NoError(t, err)
	return fmt.Sprintf("+8613%09d", n.Int64())
}

// uniqueEmail returns a random normalised address.
func uniqueEmail() string {
	return strings.ToLower(rand.Text()) + "@storetest.example"
}

// randomMAC returns 32 random bytes, the size of an HMAC-SHA-256.
func randomMAC() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// race runs f(i) for i in [0, n) on n goroutines released together and
// waits for all of them.
func race(n int, f func(i int)) {
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			f(i)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
}

// requireTime checks that got is the same instant as want, to the
// millisecond, and that a zero want comes back zero.
func requireTime(t *testing.T, want, got time.Time, field string) {
	t.Helper()
	if want.IsZero() {
		require.Truef(t, got.IsZero(), "%s: want the zero time, got %v", field, got)
		return
	}
	require.Falsef(t, got.IsZero(), "%s: want %v, got the zero time", field, want)
	require.Equalf(t, want.UnixMilli(), got.UnixMilli(), "%s: want %v, got %v", field, want, got)
}
