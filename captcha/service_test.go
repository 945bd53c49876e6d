package captcha_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/captcha"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
)

// countingStore is memstore counting the codes stored.
type countingStore struct {
	*memstore.Store
	codes atomic.Int32
}

func (s *countingStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	s.codes.Add(1)
	return s.Store.PutCode(ctx, now, c, gates)
}

// world is a Service whose SendVeto is a captcha veto on a fake provider,
// with a notifier that records what it is asked to send.
type world struct {
	svc   *security.Service
	store *countingStore
	fake  *fakeProvider
	out   *securitytest.Outbox
}

func (w *world) messages() []security.Message { return w.out.Messages() }

// newWorld builds the world on a fake of provider ("aliyun" or "tencent")
// that answers answer, with one account "u1".
func newWorld(t *testing.T, provider string, answer func(http.ResponseWriter, *http.Request, []byte)) *world {
	t.Helper()
	w := &world{}
	var v captcha.Verifier
	switch provider {
	case "aliyun":
		w.fake = aliyunFake(t, answer)
		v = newAliyun(t, w.fake.URL)
	case "tencent":
		w.fake = tencentFake(t, answer)
		v = newTencent(t, w.fake.URL)
	}
	veto, err := captcha.Veto(v, captcha.Options{})
	require.NoError(t, err)
	s := securitytest.NewService(t,
		securitytest.WithStore(func(m *memstore.Store) security.Store {
			w.store = &countingStore{Store: m}
			return w.store
		}),
		securitytest.WithConfig(func(c *security.Config) { c.SendVeto = veto }))
	w.svc, w.out = s.Service, s.Outbox
	// An imported hash (of no password anybody knows) spares the tests an
	// argon2id run per world.
	require.NoError(t, w.svc.CreateAccount(context.Background(), security.NewAccount{UserID: "u1",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"}))
	w.store.codes.Store(0)
	return w
}

// sentTicket is the ticket a provider's request carried.
func sentTicket(t *testing.T, provider string, s seen) string {
	t.Helper()
	if provider == "aliyun" {
		form, err := url.ParseQuery(string(s.body))
		require.NoError(t, err)
		return form.Get("CaptchaVerifyParam")
	}
	var body struct{ Ticket string }
	require.NoError(t, json.Unmarshal(s.body, &body))
	return body.Ticket
}

// TestServiceSendVeto runs SendPhoneCode through a real Service and the
// veto, on each provider's fake.
func TestServiceSendVeto(t *testing.T) {
	tickets := map[string]captcha.Ticket{"aliyun": {Value: aliTicket}, "tencent": tcGood}
	pass := map[string]string{"aliyun": aliPass, "tencent": tcPass}
	fail := map[string]string{"aliyun": aliReused, "tencent": tcCode(9, "ticket reused")}
	client := security.Client{IP: "203.0.113.9"}

	for _, provider := range []string{"aliyun", "tencent"} {
		t.Run(provider, func(t *testing.T) {
			t.Run("no ticket: refused, nothing asked, sent or stored", func(t *testing.T) {
				w := newWorld(t, provider, answerWith(200, pass[provider]))
				err := w.svc.SendPhoneCode(security.WithClient(context.Background(), client), "u1", "13800138000")
				require.ErrorIs(t, err, security.ErrSendRefused)
				require.ErrorIs(t, err, captcha.ErrRequired)
				assert.Empty(t, w.fake.requests())
				assert.Empty(t, w.messages())
				assert.Zero(t, w.store.codes.Load(), "a code was stored")
			})
			t.Run("good ticket: sent", func(t *testing.T) {
				w := newWorld(t, provider, answerWith(200, pass[provider]))
				ctx := captcha.WithTicket(security.WithClient(context.Background(), client), tickets[provider])
				require.NoError(t, w.svc.SendPhoneCode(ctx, "u1", "13800138000"))
				require.Len(t, w.fake.requests(), 1)
				assert.Equal(t, tickets[provider].Value, sentTicket(t, provider, w.fake.requests()[0]))
				msgs := w.messages()
				require.Len(t, msgs, 1)
				assert.Equal(t, "+8613800138000", msgs[0].To)
				assert.Equal(t, int32(1), w.store.codes.Load())
				require.NoError(t, w.svc.BindPhone(context.Background(), "u1", "13800138000", msgs[0].Code))
			})
			t.Run("failed ticket: refused, nothing sent or stored", func(t *testing.T) {
				w := newWorld(t, provider, answerWith(200, fail[provider]))
				ctx := captcha.WithTicket(security.WithClient(context.Background(), client), tickets[provider])
				err := w.svc.SendPhoneCode(ctx, "u1", "13800138000")
				require.ErrorIs(t, err, security.ErrSendRefused)
				require.ErrorIs(t, err, captcha.ErrRejected)
				assertClean(t, err, tickets[provider].Value, tickets[provider].Randstr)
				assert.Len(t, w.fake.requests(), 1)
				assert.Empty(t, w.messages())
				assert.Zero(t, w.store.codes.Load(), "a code was stored")
			})
			t.Run("provider down: refused (fail-closed default)", func(t *testing.T) {
				w := newWorld(t, provider, answerWith(503, "<html>down</html>"))
				ctx := captcha.WithTicket(security.WithClient(context.Background(), client), tickets[provider])
				err := w.svc.SendPhoneCode(ctx, "u1", "13800138000")
				require.ErrorIs(t, err, security.ErrSendRefused)
				require.ErrorIs(t, err, captcha.ErrUnavailable)
				assert.Empty(t, w.messages())
				assert.Zero(t, w.store.codes.Load())
			})
		})
	}
}

// TestAdapterSendVeto drives httpadapter's send routes, unchanged, with
// FromRequest in front: the ticket comes in headers, the client IP from the
// connection, and refusals answer "403" send_refused.
func TestAdapterSendVeto(t *testing.T) {
	for _, tt := range []struct {
		name     string
		provider string
		answer   string
		target   string
		headers  map[string]string
		code     string
		data     string
	}{
		{"member send, tencent ticket in headers", "tencent", tcPass, "/member/userservice/security?phone=13800138000",
			map[string]string{"X-Captcha-Ticket": tcTicket, "X-Captcha-Randstr": tcRandstr}, "200", "success"},
		{"member send, no ticket", "tencent", tcPass, "/member/userservice/security?phone=13800138000",
			nil, "403", "send_refused"},
		{"member send, failed ticket", "tencent", tcCode(8, "ticket expired"), "/member/userservice/security?phone=13800138000",
			map[string]string{"X-Captcha-Ticket": tcTicket, "X-Captcha-Randstr": tcRandstr}, "403", "send_refused"},
		{"forgot password, aliyun ticket in headers", "aliyun", aliPass, "/web/userservice/security?phone=13800138000",
			map[string]string{"X-Captcha-Ticket": aliTicket}, "200", "success"},
		{"forgot password, no ticket", "aliyun", aliPass, "/web/userservice/security?phone=13800138000",
			nil, "403", "send_refused"},
		{"ticket as a parameter is refused by the adapter", "aliyun", aliPass, "/web/userservice/security?phone=13800138000&captchaTicket=x",
			nil, "400", "invalid_argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.provider, answerWith(200, tt.answer))
			h := httpadapter.New(w.svc, httpadapter.Options{
				UserID: func(r *http.Request) (string, bool) { return "u1", true },
			})
			srv := captcha.FromRequest(captcha.Headers{})(h)
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			r.RemoteAddr = "198.51.100.7:40000"
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			var env struct {
				Code string          `json:"code"`
				Data json.RawMessage `json:"data"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &env), rec.Body.String())
			assert.Equal(t, tt.code, env.Code, rec.Body.String())
			assert.Equal(t, `"`+tt.data+`"`, string(env.Data))
			assert.NotContains(t, rec.Body.String(), tcTicket)
			if tt.provider == "tencent" && tt.headers != nil {
				require.Len(t, w.fake.requests(), 1)
				var body struct{ UserIp string }
				require.NoError(t, json.Unmarshal(w.fake.requests()[0].body, &body))
				assert.Equal(t, "198.51.100.7", body.UserIp, "UserIp is the SendRequest's client IP")
			}
			if tt.code != "200" {
				assert.Zero(t, w.store.codes.Load(), "a code was stored")
			}
		})
	}
}
