package httpadapter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// TestTimeoutSetsDeadline: the request's context gets a deadline d after
// it arrived, an earlier one is kept, and the context ends with the
// request.
func TestTimeoutSetsDeadline(t *testing.T) {
	t.Parallel()
	var seen context.Context
	var deadline time.Time
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Context()
		dl, ok := r.Context().Deadline()
		require.True(t, ok, "a deadline is set")
		deadline = dl
	})
	before := time.Now()
	httpadapter.Timeout(time.Minute)(inner).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	after := time.Now()
	assert.False(t, deadline.Before(before.Add(time.Minute)), "d from when the request arrived")
	assert.False(t, deadline.After(after.Add(time.Minute)))
	assert.ErrorIs(t, seen.Err(), context.Canceled, "the context ends with the request")

	// A parent deadline earlier than d wins.
	early := time.Now().Add(time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), early)
	defer cancel()
	httpadapter.Timeout(time.Hour)(inner).ServeHTTP(httptest.NewRecorder(),
		httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	assert.True(t, deadline.Equal(early), "the earlier deadline is kept")

	// d <= 0 sets no deadline.
	for _, d := range []time.Duration{0, -time.Second} {
		var ok bool
		probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, ok = r.Context().Deadline() })
		httpadapter.Timeout(d)(probe).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		assert.False(t, ok, d)
	}
}

// TestTimeoutAnswersUnavailable: a request whose deadline ends before the
// adapter gets to it (here: held by a slow middleware until the context
// is done) answers "503" unavailable and changes nothing.
func TestTimeoutAnswersUnavailable(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{})
	hs.createAccount(security.NewAccount{UserID: alice, Password: alicePass})
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // returns only because Timeout set a deadline
			require.True(t, errors.Is(r.Context().Err(), context.DeadlineExceeded))
			next.ServeHTTP(w, r)
		})
	}
	h := httpadapter.Timeout(time.Millisecond)(slow(hs.h))
	r := request(t, http.MethodPut, pPay, encForm, kv{{"payPasswordFirst", pin1}})
	r.Header.Set("X-User-ID", alice)
	expect(t, serveOn(t, h, r), "503", "unavailable")
	ps, err := hs.svc.PayPasswordStatus(context.Background(), alice)
	require.NoError(t, err)
	assert.False(t, ps.Set)
}
