package security_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// Vectors from the tools that define the formats (passhash/testdata):
// htpasswd -nbB -C 4, Spring's DelegatingPasswordEncoder javadoc, and the
// Discuz!/ECShop md5(md5(password) + salt) computed with openssl dgst.
const (
	htpasswdBcrypt = "$2y$04$po/46vP732lf7WPreCgEq.5PRk3VgURwVk5V/JWT6C10bZ5uk/vvy" // pässwörd密码
	springBcrypt   = "{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG"
	discuzDigest   = "f678f0f5cc52bc5b6963a17eb945d4e8" // md5(md5("password") + "a1B2c3")
	discuzSalt     = "a1B2c3"
	discuzPIN      = "7aef0b22d851caef7800990bf6d4a5dc" // md5(md5("123456") + "a1B2c3")
)

func storedHash(t *testing.T, e *env, userID string) *security.Account {
	t.Helper()
	a, err := e.store.GetAccount(bg, userID)
	require.NoError(t, err)
	return a
}

// TestLegacyPasswordIsVerifiedThenUpgraded: an imported hash checks the
// password as the old system did, a wrong one changes nothing, and the first
// success replaces it with argon2id.
func TestLegacyPasswordIsVerifiedThenUpgraded(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	for _, tc := range []struct{ name, hash, salt, scheme, password, prefix string }{
		{"htpasswd bcrypt", htpasswdBcrypt, "", "", "pässwörd密码", "$2y$"},
		{"Spring {bcrypt}", springBcrypt, "", "", "password", "{bcrypt}"},
		{"Discuz md5(md5+salt), wrapped in argon2id", discuzDigest, discuzSalt, "md5-md5pass-salt", "password", "$acctsec-onion$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", PasswordHash: tc.hash,
				PasswordSalt: tc.salt, PasswordScheme: tc.scheme, Phone: phoneA}))
			before := storedHash(t, e, "u1")
			assert.True(t, strings.HasPrefix(before.PasswordHash, tc.prefix), before.PasswordHash)

			require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", tc.password+"x"), security.ErrWrongPassword)
			assert.Equal(t, before.PasswordHash, storedHash(t, e, "u1").PasswordHash, "a failed check changes nothing")
			assert.Equal(t, before.Version, storedHash(t, e, "u1").Version)

			require.NoError(t, e.svc.VerifyPassword(bg, "u1", tc.password))
			after := storedHash(t, e, "u1")
			assert.True(t, strings.HasPrefix(after.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$"), "upgraded")
			assert.Equal(t, before.Version+1, after.Version, "one versioned update")
			require.NoError(t, e.svc.VerifyPassword(bg, "u1", tc.password))
			require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", tc.password+"x"), security.ErrWrongPassword)
			assert.NotContains(t, e.logs.String(), tc.hash)
		})
	}
}

// TestLegacyPasswordChangeIsOneUpdate: changing a password whose hash is
// legacy replaces it in the change's own update.
func TestLegacyPasswordChangeIsOneUpdate(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", PasswordHash: htpasswdBcrypt}))
	v := storedHash(t, e, "u1").Version
	require.NoError(t, e.svc.ChangePassword(bg, "u1", "pässwörd密码", goodPass2))
	assert.Equal(t, v+1, storedHash(t, e, "u1").Version)
	require.NoError(t, e.svc.VerifyPassword(bg, "u1", goodPass2))
}

// TestLegacyPINIsVerifiedThenRepeppered: an imported pay-password hash is
// checked once under its scheme, keeps the lockout, then becomes a peppered
// argon2id hash.
func TestLegacyPINIsVerifiedThenRepeppered(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass,
		PayPasswordHash: discuzPIN, PayPasswordSalt: discuzSalt, PayPasswordScheme: "md5-md5pass-salt"}))
	st, err := e.svc.PayPasswordStatus(bg, "u1")
	require.NoError(t, err)
	assert.True(t, st.Set)
	imported := storedHash(t, e, "u1").PayPasswordHash
	assert.NotContains(t, imported, discuzPIN, "the cheap digest is wrapped")

	for range 4 {
		require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", "654321"), security.ErrWrongPayPassword)
	}
	assert.Equal(t, imported, storedHash(t, e, "u1").PayPasswordHash)
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", "123456"))
	repeppered := storedHash(t, e, "u1").PayPasswordHash
	assert.NotEqual(t, imported, repeppered)
	assert.Contains(t, repeppered, "$argon2id$")
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", "123456"))
	for range 5 {
		require.ErrorIs(t, e.svc.VerifyPayPassword(bg, "u1", "654321"), security.ErrWrongPayPassword)
	}
	requireLocked(t, e.svc.VerifyPayPassword(bg, "u1", "123456"))
	e.clock.Advance(counted(3 * time.Hour))
	require.NoError(t, e.svc.VerifyPayPassword(bg, "u1", "123456"))
}

// TestImportRefusesBadHashes: a malformed, unknown or over-cost hash is
// refused at import with an error that does not repeat it.
func TestImportRefusesBadHashes(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ hash, salt, scheme string }{
		{"$2y$04$tooshort", "", ""},
		{"$2b$31$" + strings.Repeat("a", 53), "", ""}, // bcrypt cost 31
		{"5f4dcc3b5aa765d61d8327deb882cf99", "", ""},  // a bare digest without its scheme
		{discuzDigest, "", "md5-md5pass-salt"},        // its salt missing
		{"plaintext", "", "rot13"},
	} {
		err := e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", PasswordHash: tc.hash, PasswordSalt: tc.salt, PasswordScheme: tc.scheme})
		require.ErrorIs(t, err, security.ErrInvalidArgument, tc.hash)
		assert.NotContains(t, err.Error(), tc.hash)
	}
	_, err := e.store.GetAccount(bg, "u1")
	require.ErrorIs(t, err, security.ErrNotFound)
}
