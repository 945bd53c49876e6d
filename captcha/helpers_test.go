package captcha_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/captcha"
)

// now is the tests' clock.
var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func fixedNow() time.Time { return now }

// seen is one request a fake provider received.
type seen struct {
	r    *http.Request
	body []byte
}

// fakeProvider stands in for a provider: it records every request, checks
// its signature the way the provider documents it (answering a bad one as
// the provider does), and otherwise answers with answer.
type fakeProvider struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, verify func(r *http.Request, body []byte) error, badSignature string,
	answer func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeProvider {
	t.Helper()
	f := &fakeProvider{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Clone(r.Context()), body})
		f.mu.Unlock()
		if err := verify(r, body); err != nil {
			t.Logf("fake provider refused the signature: %v", err)
			w.Header().Set("Content-Type", "application/json")
			// Aliyun's gateway answers 400; Tencent answers 200 with
			// Response.Error. Both have the code in the body.
			if strings.Contains(badSignature, `"Response"`) {
				w.WriteHeader(http.StatusOK)
			} else {
				w.WriteHeader(http.StatusBadRequest)
			}
			io.WriteString(w, badSignature)
			return
		}
		answer(w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProvider) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// answerWith answers status and a JSON body.
func answerWith(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// hang answers only once the client gave up.
func hang(_ http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() }

// verdictCase is a provider answer and what Verify must make of it.
type verdictCase struct {
	name      string
	answer    func(http.ResponseWriter, *http.Request, []byte)
	secret    string // the client's secret; "" = the right one
	want      error  // nil = pass
	code      string // ProviderError.Code
	requestID string
}

// assertVerdict checks err against tt: the sentinel (and not the other),
// the *ProviderError's code and request ID, and that none of secrets is in
// the error's text.
func assertVerdict(t *testing.T, tt verdictCase, err error, secrets ...string) {
	t.Helper()
	if tt.want == nil {
		require.NoError(t, err)
		return
	}
	require.ErrorIs(t, err, tt.want)
	other := captcha.ErrUnavailable
	if tt.want == captcha.ErrUnavailable {
		other = captcha.ErrRejected
	}
	assert.NotErrorIs(t, err, other)
	var pe *captcha.ProviderError
	if tt.code != "" || tt.requestID != "" {
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, tt.code, pe.Code)
		assert.Equal(t, tt.requestID, pe.RequestID)
	}
	assertClean(t, err, secrets...)
}

// assertClean checks that err's text holds none of secrets.
func assertClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" {
			assert.NotContains(t, err.Error(), s)
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
