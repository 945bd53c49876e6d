package sms_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/internal/cloudsign/cloudsigntest"
	"github.com/acctsec/security/notify/sms"
)

const testCode = "482915"

var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func fixedNow() time.Time { return now }

func codeMsg(p security.Purpose, to string) security.Message {
	return security.Message{Channel: security.ChannelSMS, To: to, Purpose: p, Code: testCode,
		TTL: 10 * time.Minute, Locale: "zh-CN", UserID: "u1", Time: now}
}

// seen is one request the fake provider received.
type seen struct {
	r    *http.Request
	body []byte
}

// fakeProvider is a local provider: verify checks the signature as the
// provider documents it (an error makes it answer like the provider does
// to a bad signature), answer gives the status and body otherwise.
type fakeProvider struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, verify func(r *http.Request, body []byte) error, reject func(w http.ResponseWriter, err error), answer func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeProvider {
	t.Helper()
	f := &fakeProvider{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Clone(r.Context()), body})
		f.mu.Unlock()
		if err := verify(r, body); err != nil {
			reject(w, err)
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

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The signature checks of the fake providers, shared with the captcha
// module's tests.
var (
	verifyACS3 = cloudsigntest.VerifyACS3
	verifyTC3  = cloudsigntest.VerifyTC3
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// failureCase is a provider's failure answer and what the client must make
// of it.
type failureCase struct {
	name      string
	status    int
	body      string
	cred      string // the client's secret, key or token; "" = the right one
	want      error
	code      string
	requestID string
}

// runFailures sends a code to +8613800138000 through newClient, a client
// whose fake provider answers status and body, built with cred when it is
// not "". It checks that the error wraps tt.want and no other sentinel, is
// a *sms.ProviderError of provider with the case's code and request ID,
// shows neither secrets, the code nor the number (in any form) in its text
// or Message, and that the one request was never retried.
func runFailures(t *testing.T, provider string, tests []failureCase,
	newClient func(t *testing.T, status int, body, cred string) (security.Notifier, *fakeProvider), secrets ...string) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newClient(t, tt.status, tt.body, tt.cred)
			err := c.Send(context.Background(), codeMsg(security.PurposeBindPhone, "+8613800138000"))
			require.ErrorIs(t, err, tt.want)
			assertClean(t, err, append(secrets, "13800138000")...)
			var pe *sms.ProviderError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, provider, pe.Provider)
			assert.Equal(t, tt.code, pe.Code)
			assert.Equal(t, tt.requestID, pe.RequestID)
			assert.NotContains(t, pe.Message, testCode)
			assert.NotContains(t, pe.Message, "13800138000", "covers +8613800138000 too")
			assert.Len(t, f.requests(), 1, "a request that reached the provider is never retried")
			for _, other := range []error{sms.ErrThrottled, sms.ErrInvalidNumber, sms.ErrRejected, sms.ErrAuth, sms.ErrUnavailable} {
				if other != tt.want {
					assert.False(t, errors.Is(err, other), "also %v", other)
				}
			}
		})
	}
}

// assertClean checks that an error text holds none of the secrets.
func assertClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	for _, s := range append(secrets, testCode) {
		assert.NotContains(t, err.Error(), s)
	}
}
