package httpadapter_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
)

const pSetPassword = "/member/userservice/security/setPassword"

// TestSetPasswordRoute: an account without a password sets its first one
// with a code sent to its bound phone; the documented change route answers
// password_not_set until then, and the set route password_set after.
func TestSetPasswordRoute(t *testing.T) {
	t.Parallel()
	for _, enc := range encodings {
		t.Run(string(enc), func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, harnessConfig{})
			ctx := context.Background()
			hs.createAccount(security.NewAccount{UserID: alice, Phone: alicePhone})

			res := hs.do(http.MethodGet, pStatus, encQuery, alice, nil)
			expect200Data(t, res, `"passwordSet":false`)
			expect(t, hs.do(http.MethodPut, pMember, enc, alice, kv{{"oldPassword", "Anything-Goes-1"}, {"newPasswordFirst", newPass}}),
				"409", "password_not_set")

			expect(t, hs.do(http.MethodGet, pMember, enc, alice, kv{{"phone", alicePhone}}), "200", "success")
			code := hs.nextCode(security.PurposeConfirmPhone).msg.Code
			set := func(params kv) response { return hs.do(http.MethodPut, pSetPassword, enc, alice, params) }
			expect(t, set(kv{{"phone", alicePhone}, {"message", code}, {"passwordFirst", newPass}, {"passwordSecond", thirdPass}}),
				"400", "invalid_argument")
			expect(t, set(kv{{"phone", alicePhone}, {"passwordFirst", newPass}}), "400", "invalid_argument")
			expect(t, set(kv{{"phone", otherPhone}, {"message", code}, {"passwordFirst", newPass}}), "403", "phone_mismatch")
			expect(t, set(kv{{"phone", alicePhone}, {"message", code}, {"passwordFirst", "password1"}}), "422", "weak_password")
			expect(t, set(kv{{"phone", alicePhone}, {"message", wrongCode(code)}, {"passwordFirst", newPass}}), "400", "invalid_code")
			expect(t, set(kv{{"phone", alicePhone}, {"message", code}, {"passwordFirst", newPass}, {"passwordSecond", newPass}}),
				"201", "success")
			require.NoError(t, hs.svc.VerifyPassword(ctx, alice, newPass))
			expect(t, set(kv{{"phone", alicePhone}, {"message", code}, {"passwordFirst", thirdPass}}), "409", "password_set")
			expect200Data(t, hs.do(http.MethodGet, pStatus, encQuery, alice, nil), `"passwordSet":true`)
			expect(t, hs.do(http.MethodPut, pSetPassword, enc, "", kv{{"phone", alicePhone}, {"message", code}, {"passwordFirst", newPass}}),
				"401", "unauthenticated")
		})
	}
}

func expect200Data(t *testing.T, res response, fragment string) {
	t.Helper()
	require.Equal(t, "200", res.env.Code, res.Body.String())
	assert.Contains(t, string(res.env.Data), fragment)
}
