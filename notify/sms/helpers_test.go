package sms_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
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

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// authFields parses "Algo k=v<sep>k=v..." into its fields.
func authFields(header, algo, sep string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(header, algo+" ")
	if !ok {
		return nil, fmt.Errorf("algorithm is not %s", algo)
	}
	out := map[string]string{}
	for part := range strings.SplitSeq(rest, sep) {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("malformed part %q", part)
		}
		out[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if out[k] == "" {
			return nil, fmt.Errorf("missing %s", k)
		}
	}
	return out, nil
}

// headerValue is the received value of a signed header.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	return strings.TrimSpace(r.Header.Get(name))
}

// rfc3986 encodes as Aliyun's documentation describes: URL-encode in
// UTF-8, then "+" to "%20", "*" to "%2A" and "%7E" back to "~".
func rfc3986(s string) string {
	s = url.QueryEscape(s)
	s = strings.ReplaceAll(s, "+", "%20")
	s = strings.ReplaceAll(s, "*", "%2A")
	return strings.ReplaceAll(s, "%7E", "~")
}

// verifyACS3 rebuilds the canonical request from what was received and
// checks the ACS3-HMAC-SHA256 signature, following Aliyun's V3 document.
func verifyACS3(r *http.Request, body []byte, keyID, secret string) error {
	f, err := authFields(r.Header.Get("Authorization"), "ACS3-HMAC-SHA256", ",")
	if err != nil {
		return err
	}
	if f["Credential"] != keyID {
		return errors.New("unknown AccessKeyId")
	}
	if got := r.Header.Get("x-acs-content-sha256"); got != hexSHA(body) {
		return errors.New("x-acs-content-sha256 does not match the body")
	}
	signed := strings.Split(f["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) {
		return errors.New("SignedHeaders not sorted")
	}
	for _, must := range []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"} {
		if !contains(signed, must) {
			return fmt.Errorf("%s not signed", must)
		}
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-acs-") && !contains(signed, l) {
			return fmt.Errorf("%s sent but not signed", l)
		}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		for _, v := range q[k] {
			pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
		}
	}
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canonical := strings.Join([]string{r.Method, path, strings.Join(pairs, "&"), ch.String(), f["SignedHeaders"], hexSHA(body)}, "\n")
	want := hex.EncodeToString(mac([]byte(secret), "ACS3-HMAC-SHA256\n"+hexSHA([]byte(canonical))))
	if !hmac.Equal([]byte(want), []byte(f["Signature"])) {
		return errors.New("signature does not match")
	}
	return nil
}

// verifyTC3 rebuilds the canonical request from what was received and
// checks the TC3-HMAC-SHA256 signature, following Tencent Cloud's document.
func verifyTC3(r *http.Request, body []byte, secretID, secretKey, service string) error {
	f, err := authFields(r.Header.Get("Authorization"), "TC3-HMAC-SHA256", ", ")
	if err != nil {
		return err
	}
	cred := strings.Split(f["Credential"], "/")
	if len(cred) != 4 || cred[0] != secretID || cred[2] != service || cred[3] != "tc3_request" {
		return errors.New("bad Credential")
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return errors.New("bad X-TC-Timestamp")
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	if cred[1] != date {
		return errors.New("credential date is not the UTC date of the timestamp")
	}
	signed := strings.Split(f["SignedHeaders"], ";")
	if !contains(signed, "content-type") || !contains(signed, "host") {
		return errors.New("content-type and host must be signed")
	}
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h + ":" + strings.ToLower(headerValue(r, h)) + "\n")
	}
	canonical := strings.Join([]string{r.Method, "/", r.URL.RawQuery, ch.String(), f["SignedHeaders"], hexSHA(body)}, "\n")
	sts := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/" + service + "/tc3_request\n" + hexSHA([]byte(canonical))
	k := mac([]byte("TC3"+secretKey), date)
	k = mac(k, service)
	k = mac(k, "tc3_request")
	want := hex.EncodeToString(mac(k, sts))
	if !hmac.Equal([]byte(want), []byte(f["Signature"])) {
		return errors.New("signature does not match")
	}
	return nil
}

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
