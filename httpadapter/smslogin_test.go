package httpadapter_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

const pLoginCode = "/web/userservice/security/loginCode"

// logins records OnLogin calls; fail makes the next ones fail.
type logins struct {
	mu    sync.Mutex
	users []string
	fail  error
}

func (l *logins) hook(w http.ResponseWriter, _ *http.Request, userID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.users = append(l.users, userID)
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "new-session-for-" + userID, HttpOnly: true, Secure: true})
	return nil
}

func (l *logins) called() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.users...)
}

func TestSMSLoginRoutesNeedOnLogin(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, harnessConfig{noLogin: true})
	hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
	expect(t, hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", alicePhone}}), "404", "not_found")
	expect(t, hs.do(http.MethodPost, pLoginCode, encForm, "", kv{{"phone", alicePhone}, {"message", "123456"}}), "404", "not_found")
	require.NoError(t, hs.svc.Close(context.Background()))
	assert.Empty(t, hs.drain(), "nothing sent")
}

func TestSMSLoginRoutes(t *testing.T) {
	t.Parallel()
	for _, enc := range encodings {
		t.Run(string(enc), func(t *testing.T) {
			t.Parallel()
			l := &logins{}
			hs := newHarness(t, harnessConfig{opts: httpadapter.Options{OnLogin: l.hook}})
			hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})

			// A phone without an account gets the same answer and no SMS.
			expect(t, hs.do(http.MethodGet, pLoginCode, enc, "", kv{{"phone", otherPhone}}), "200", "success")
			expect(t, hs.do(http.MethodGet, pLoginCode, enc, "", kv{{"phone", alicePhone}}), "200", "success")
			m := hs.nextCode(security.PurposeLoginCode)
			assert.Equal(t, aliceE164, m.msg.To)
			code := m.msg.Code

			verify := func(phone, code string) response {
				return hs.do(http.MethodPost, pLoginCode, enc, "", kv{{"phone", phone}, {"message", code}})
			}
			expect(t, verify(otherPhone, code), "400", "invalid_code")
			expect(t, verify(alicePhone, wrongCode(code)), "400", "invalid_code")
			assert.Empty(t, l.called(), "no session for a wrong code")

			res := verify(alicePhone, code)
			require.Equal(t, "201", res.env.Code, res.Body.String())
			assert.JSONEq(t, `{"userId":"alice"}`, string(res.env.Data))
			assert.Equal(t, []string{alice}, l.called())
			assert.Contains(t, res.Header().Get("Set-Cookie"), "session=new-session-for-alice")
			expect(t, verify(alicePhone, code), "400", "invalid_code") // single use
			assert.NotContains(t, hs.logs.String(), code, "codes are never logged")
		})
	}
}

// TestSMSLoginHookFailure: when the host cannot start the session the
// answer is "500" internal, its error is not shown, and the code is spent.
func TestSMSLoginHookFailure(t *testing.T) {
	t.Parallel()
	l := &logins{fail: errors.New("session store down: 10.0.0.7")}
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{OnLogin: l.hook}})
	hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
	expect(t, hs.do(http.MethodGet, pLoginCode, encQuery, "", kv{{"phone", alicePhone}}), "200", "success")
	code := hs.nextCode(security.PurposeLoginCode).msg.Code
	res := hs.do(http.MethodPost, pLoginCode, encForm, "", kv{{"phone", alicePhone}, {"message", code}})
	expect(t, res, "500", "internal")
	assert.NotContains(t, res.Body.String(), "10.0.0.7")
	assert.Empty(t, res.Header().Get("Set-Cookie"))
}

// TestSMSLoginCrossOrigin: another site cannot sign a visitor in (login
// CSRF) nor make the send route spend SMS.
func TestSMSLoginCrossOrigin(t *testing.T) {
	t.Parallel()
	l := &logins{}
	hs := newHarness(t, harnessConfig{opts: httpadapter.Options{OnLogin: l.hook}})
	hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := request(t, method, pLoginCode, encForm, kv{{"phone", alicePhone}, {"message", "123456"}})
		if method == http.MethodGet {
			r = request(t, method, pLoginCode, encQuery, kv{{"phone", alicePhone}})
		}
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		expect(t, hs.serve(r), "403", "cross_origin")
	}
	require.NoError(t, hs.svc.Close(context.Background()))
	assert.Empty(t, hs.drain())
	assert.Empty(t, l.called())
}
