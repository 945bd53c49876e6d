package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify"
)

var (
	secret = []byte("0123456789abcdef-webhook-secret")
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// received is one request a test receiver saw.
type received struct {
	header string
	body   []byte
}

// receiver records requests and answers with status.
func receiver(t *testing.T, status int, answer string) (*httptest.Server, func() []received) {
	t.Helper()
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Get(notify.SignatureHeader), body})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func newWebhook(t *testing.T, url string) *notify.Webhook {
	t.Helper()
	w, err := notify.NewWebhook(notify.WebhookConfig{URL: url, Secret: secret, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	return w
}

func TestWebhookSendsSignedJSON(t *testing.T) {
	tests := []struct {
		name string
		msg  security.Message
		want map[string]any
	}{
		{
			name: "code by SMS",
			msg: security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone,
				Code: "123456", TTL: 10 * time.Minute, Locale: "zh-CN", UserID: "u1", Time: t0},
			want: map[string]any{"channel": "sms", "to": "+8613800138000", "purpose": "bind_phone", "code": "123456",
				"ttlSeconds": 600.0, "locale": "zh-CN", "userId": "u1", "time": "2026-01-02T03:04:05Z"},
		},
		{
			name: "link by email",
			msg: security.Message{Channel: security.ChannelEmail, To: "alice@example.com", Purpose: security.PurposeVerifyEmail,
				Code: "654321", Link: "https://example.com/verify?t=abc", TTL: time.Hour, Locale: "en", Time: t0},
			want: map[string]any{"channel": "email", "to": "alice@example.com", "purpose": "verify_email", "code": "654321",
				"link": "https://example.com/verify?t=abc", "ttlSeconds": 3600.0, "locale": "en", "time": "2026-01-02T03:04:05Z"},
		},
		{
			name: "notice without code",
			msg: security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposePayPasswordLocked,
				UserID: "u2", Time: t0, LockedUntil: t0.Add(time.Hour)},
			want: map[string]any{"channel": "sms", "to": "+8613800138000", "purpose": "pay_password_locked", "userId": "u2",
				"time": "2026-01-02T03:04:05Z", "lockedUntil": "2026-01-02T04:04:05Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := receiver(t, http.StatusNoContent, "")
			require.NoError(t, newWebhook(t, srv.URL).Send(context.Background(), tt.msg))

			reqs := got()
			require.Len(t, reqs, 1)
			assert.Equal(t, notify.SignWebhook(secret, t0, reqs[0].body), reqs[0].header)
			require.NoError(t, notify.VerifyWebhook(secret, reqs[0].header, reqs[0].body, t0.Add(time.Minute), 0))

			var body map[string]any
			require.NoError(t, json.Unmarshal(reqs[0].body, &body))
			id, _ := body["id"].(string)
			assert.Len(t, id, 32, "random id for de-duplication")
			delete(body, "id")
			assert.Equal(t, tt.want, body)
		})
	}
}

func TestWebhookIDsDiffer(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "")
	w := newWebhook(t, srv.URL)
	m := security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone, Code: "1"}
	require.NoError(t, w.Send(context.Background(), m))
	require.NoError(t, w.Send(context.Background(), m))
	ids := map[string]bool{}
	for _, r := range got() {
		var b struct{ ID string }
		require.NoError(t, json.Unmarshal(r.body, &b))
		ids[b.ID] = true
	}
	assert.Len(t, ids, 2)
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"channel":"sms","code":"123456"}`)
	good := notify.SignWebhook(secret, t0, body)
	other := notify.SignWebhook([]byte("another-secret-of-16+bytes"), t0, body)
	otherV1 := other[strings.Index(other, "v1="):]
	tests := []struct {
		name      string
		secret    []byte
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", secret, good, body, t0, 0, nil},
		{"valid at the edge of the window", secret, good, body, t0.Add(5 * time.Minute), 0, nil},
		{"valid with a rotated secret listed first", secret, "t=" + "1767323045," + otherV1 + "," + good[strings.Index(good, "v1="):], body, t0, 0, nil},
		{"valid with spaces", secret, strings.ReplaceAll(good, ",", ", "), body, t0, 0, nil},
		{"replayed after the window", secret, good, body, t0.Add(5*time.Minute + time.Second), 0, notify.ErrWebhookStale},
		{"replayed after a custom window", secret, good, body, t0.Add(31 * time.Second), 30 * time.Second, notify.ErrWebhookStale},
		{"from the future", secret, good, body, t0.Add(-6 * time.Minute), 0, notify.ErrWebhookStale},
		{"wrong secret", []byte("not-the-right-secret!"), good, body, t0, 0, notify.ErrWebhookSignature},
		{"tampered body", secret, good, []byte(`{"channel":"sms","code":"000000"}`), t0, 0, notify.ErrWebhookSignature},
		{"timestamp moved", secret, strings.Replace(good, "t=1767323045", "t=1767323100", 1), body, t0, 0, notify.ErrWebhookSignature},
		{"empty header", secret, "", body, t0, 0, notify.ErrWebhookSignature},
		{"no signature", secret, "t=1767323045", body, t0, 0, notify.ErrWebhookSignature},
		{"no timestamp", secret, good[strings.Index(good, "v1="):], body, t0, 0, notify.ErrWebhookSignature},
		{"malformed timestamp", secret, "t=yesterday," + good[strings.Index(good, "v1="):], body, t0, 0, notify.ErrWebhookSignature},
		{"duplicate timestamp", secret, "t=1," + good, body, t0, 0, notify.ErrWebhookSignature},
		{"signature not hex", secret, "t=1767323045,v1=zz", body, t0, 0, notify.ErrWebhookSignature},
		{"unknown scheme only", secret, strings.Replace(good, "v1=", "v0=", 1), body, t0, 0, notify.ErrWebhookSignature},
		{"stale and forged reports the forgery", secret, "t=1,v1=" + strings.Repeat("00", 32), body, t0, 0, notify.ErrWebhookSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.VerifyWebhook(tt.secret, tt.header, tt.body, tt.now, tt.tolerance)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), "123456")
		})
	}
}

func TestSignWebhookMatchesDocumentedScheme(t *testing.T) {
	// Independently computed: printf '1767323045.{"a":1}' |
	//   openssl dgst -sha256 -hmac '0123456789abcdef-webhook-secret'
	got := notify.SignWebhook(secret, t0, []byte(`{"a":1}`))
	assert.Equal(t, "t=1767323045,v1=5f7dabc194f887a8139c376b579bc5283f98d55aaff6d2c44f977d1fff7e4703", got)
}

func TestWebhookFailures(t *testing.T) {
	msg := security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone, Code: "987654"}

	t.Run("non-2xx statuses", func(t *testing.T) {
		for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError, http.StatusBadGateway} {
			srv, got := receiver(t, status, "echo: code 987654 secret "+string(secret))
			err := newWebhook(t, srv.URL).Send(context.Background(), msg)
			require.ErrorIs(t, err, notify.ErrWebhookStatus, "status %d", status)
			assert.Contains(t, err.Error(), strconv.Itoa(status))
			assert.NotContains(t, err.Error(), "987654")
			assert.NotContains(t, err.Error(), "secret")
			assert.Len(t, got(), 1, "no retry")
		}
	})

	t.Run("redirect is not followed", func(t *testing.T) {
		target, gotTarget := receiver(t, http.StatusOK, "")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		}))
		defer srv.Close()
		err := newWebhook(t, srv.URL).Send(context.Background(), msg)
		require.ErrorIs(t, err, notify.ErrWebhookStatus)
		assert.Empty(t, gotTarget(), "the message must not reach the redirect target")
	})

	t.Run("receiver down, URL kept out of the error", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL + "/hook?token=tok-5ecret"
		srv.Close()
		err := newWebhook(t, url).Send(context.Background(), msg)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "tok-5ecret")
		assert.NotContains(t, err.Error(), "987654")
	})

	t.Run("context cancelled while the receiver hangs", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			close(started)
			<-release
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		err := newWebhook(t, srv.URL).Send(ctx, msg)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("client timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
		}))
		defer srv.Close()
		defer close(release)
		w, err := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL, Secret: secret, Timeout: time.Nanosecond})
		require.NoError(t, err)
		err = w.Send(context.Background(), msg)
		require.Error(t, err)
		var te interface{ Timeout() bool }
		require.ErrorAs(t, err, &te)
		assert.True(t, te.Timeout())
	})
}

func TestNewWebhookValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  notify.WebhookConfig
	}{
		{"no URL", notify.WebhookConfig{Secret: secret}},
		{"relative URL", notify.WebhookConfig{URL: "/hook", Secret: secret}},
		{"other scheme", notify.WebhookConfig{URL: "ftp://example.com/hook", Secret: secret}},
		{"no secret", notify.WebhookConfig{URL: "https://example.com/hook"}},
		{"short secret", notify.WebhookConfig{URL: "https://example.com/hook", Secret: []byte("short")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notify.NewWebhook(tt.cfg)
			require.Error(t, err)
		})
	}
}

func TestWebhookRandFailure(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "")
	w, err := notify.NewWebhook(notify.WebhookConfig{URL: srv.URL, Secret: secret, Rand: bytes.NewReader(nil)})
	require.NoError(t, err)
	err = w.Send(context.Background(), security.Message{Channel: security.ChannelSMS, Code: "1"})
	require.Error(t, err)
	require.True(t, errors.Is(err, io.EOF))
	assert.Empty(t, got())
}
