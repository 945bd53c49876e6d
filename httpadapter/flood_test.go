package httpadapter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// TestFloodOfPasswordChangesOverHTTP: 300 concurrent change-password
// requests against 2 hashing slots, each request bounded by a 1 s deadline
// (as a host's middleware would set). Every request gets an envelope:
// "201" success or "503" unavailable, nothing else, and none is lost.
func TestFloodOfPasswordChangesOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test skipped in -short mode")
	}
	const calls = 300
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	svc, err := security.New(store, security.NotifierFunc(func(context.Context, security.Message) error { return nil }),
		security.Config{Secret: []byte("Y13UTCCOE35W5YJucyY2jBF632VMfXnLPjMBIVzpU0U="), MaxConcurrentHashes: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	old, err := argon2id.CreateHash("first flood password", &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	for i := range calls {
		require.NoError(t, svc.CreateAccount(context.Background(), security.NewAccount{UserID: fmt.Sprint("f", i), PasswordHash: old}))
	}
	opts := httpadapter.Options{UserID: func(r *http.Request) (string, bool) {
		return r.Header.Get("X-User-ID"), true
	}}
	h := record(t, httpadapter.New(svc, opts), opts)
	deadline := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), time.Second)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	srv := httptest.NewServer(deadline(h))
	t.Cleanup(srv.Close)

	type outcome struct{ status, code, data string }
	results := make(chan outcome, calls)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range calls {
		wg.Go(func() {
			<-start
			body := url.Values{"oldPassword": {"first flood password"}, "newPasswordFirst": {"second flood password"}}.Encode()
			req, _ := http.NewRequest(http.MethodPut, srv.URL+"/member/userservice/security", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-User-ID", fmt.Sprint("f", i))
			res, err := srv.Client().Do(req)
			if err != nil {
				results <- outcome{status: "transport: " + err.Error()}
				return
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var env struct{ Code, Data string }
			if err := json.Unmarshal(raw, &env); err != nil {
				results <- outcome{status: res.Status, code: "not an envelope: " + string(raw)}
				return
			}
			results <- outcome{status: fmt.Sprint(res.StatusCode), code: env.Code, data: env.Data}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	counts := map[outcome]int{}
	for o := range results {
		counts[o]++
	}
	ok := counts[outcome{"201", "201", "success"}]
	busy := counts[outcome{"503", "503", "unavailable"}]
	t.Logf("%d succeeded, %d answered 503 unavailable", ok, busy)
	assert.Equal(t, calls, ok+busy, "every request ends in success or a clean timeout envelope: %v", counts)
	assert.Positive(t, ok, "some requests got through")
}
