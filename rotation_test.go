package security_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// rotated builds another Service on e's store, clock, outbox and events,
// as a replica restarted with new secrets would be.
func (e *env) rotated(t *testing.T, secret []byte, previous [][]byte, storeKey []byte) *security.Service {
	t.Helper()
	svc, err := security.New(e.store, e.out, security.Config{
		Secret:              secret,
		PreviousSecrets:     previous,
		StoreKeySecret:      storeKey,
		LinkBaseURL:         "https://accounts.example.com/verify",
		Now:                 e.clock.Now,
		OnEvent:             e.events.Add,
		Logger:              slog.New(slog.NewJSONHandler(e.logs, nil)),
		MaxConcurrentHashes: 4,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(bg) })
	return svc
}

func newSecret(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// legacyPINHash is a pay-password hash as stored before key IDs: argon2id
// of hex(HMAC-SHA-256(secret, "pin", userID, pin)), each part preceded by
// its length as 4 big-endian bytes, with no key ID in front.
func legacyPINHash(t *testing.T, secret []byte, userID, pin string) string {
	t.Helper()
	m := hmac.New(sha256.New, secret)
	for _, p := range []string{"pin", userID, pin} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	h, err := argon2id.CreateHash(hex.EncodeToString(m.Sum(nil)), &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	require.NoError(t, err)
	return h
}

// pinKeyID returns the key ID a stored PIN hash names, or "" for a legacy one.
func pinKeyID(t *testing.T, e *env, userID string) string {
	t.Helper()
	a, err := e.store.GetAccount(bg, userID)
	require.NoError(t, err)
	rest, ok := strings.CutPrefix(a.PayPasswordHash, "$acctsec-pin$k=")
	if !ok {
		return ""
	}
	require.Greater(t, len(rest), 8)
	require.True(t, strings.HasPrefix(rest[8:], "$argon2id$"), "the PHC string follows the key ID")
	return rest[:8]
}

// TestSecretRotationTwice rotates A -> B (previous A) -> C (previous B, A)
// on one store, and shows that nothing durable is lost: passwords and PINs
// verify, PINs move to the current key on their next success, and a
// password lock, a pay-password lock, a destination block, a send
// cooldown, an emailed link and forgot-password flows made under A all
// still hold. Codes sent before a rotation are void after it, as
// documented.
func TestSecretRotationTwice(t *testing.T) {
	t.Parallel()   // argon2-bound: its own Service and store
	e := newEnv(t) // e.svc runs on testSecret: secret A
	keyA, keyB, keyC := testSecret, newSecret(t), newSecret(t)
	svcA := e.svc
	const blockedPhone = "+8613700137000"

	// Under A: every kind of durable state.
	e.register(t, "pins", "")
	require.NoError(t, svcA.SetPayPassword(bg, "pins", pin1))
	e.register(t, "idle", "") // sets a PIN under A and stays away until C
	require.NoError(t, svcA.SetPayPassword(bg, "idle", pin2))
	e.register(t, "legacy", "")
	a, err := e.store.GetAccount(bg, "legacy")
	require.NoError(t, err)
	a.PayPasswordHash = legacyPINHash(t, keyA, "legacy", pin1) // stored by a version without key IDs
	require.NoError(t, e.store.UpdateAccount(bg, a))
	require.NoError(t, svcA.VerifyPayPassword(bg, "legacy", pin1), "legacy hash read under A")
	// (that success re-peppered it; store the legacy form again for C to read)
	a, err = e.store.GetAccount(bg, "legacy")
	require.NoError(t, err)
	require.Equal(t, security.KeyID(keyA), pinKeyID(t, e, "legacy"))
	a.PayPasswordHash = legacyPINHash(t, keyA, "legacy", pin1)
	require.NoError(t, e.store.UpdateAccount(bg, a))

	e.register(t, "paylocked", "")
	require.NoError(t, svcA.SetPayPassword(bg, "paylocked", pin1))
	for range 5 {
		require.ErrorIs(t, svcA.VerifyPayPassword(bg, "paylocked", pin2), security.ErrWrongPayPassword)
	}
	requireLocked(t, svcA.VerifyPayPassword(bg, "paylocked", pin1))

	e.register(t, "pwlocked", "")
	for range 5 {
		require.ErrorIs(t, svcA.VerifyPassword(bg, "pwlocked", "not the password"), security.ErrWrongPassword)
	}
	requireLocked(t, svcA.VerifyPassword(bg, "pwlocked", goodPass))

	// Ten wrong guesses at live codes block the phone for this requester
	// (guesses with no code sent would block nobody).
	for range 2 {
		e.clock.Advance(time.Minute)
		require.NoError(t, svcA.SendPhoneCode(bg, "pins", blockedPhone))
		sent := e.out.LastCode(t, blockedPhone)
		for range 5 {
			require.Error(t, svcA.BindPhone(bg, "pins", blockedPhone, wrongCode(sent)))
		}
	}
	requireRateLimited(t, svcA.BindPhone(bg, "pins", blockedPhone, "000000"))

	require.NoError(t, svcA.SendPhoneCode(bg, "pins", phoneA)) // a code pending across the rotation
	codeA := e.out.LastCode(t, phoneA)
	require.NoError(t, svcA.SendEmailVerification(bg, "pins", "pins@example.com"))
	linkA := tokenOf(t, lastMessage(t, e.out, "pins@example.com").Link)

	const pendingPhone = "+8613600136000"
	e.register(t, "forgot", phoneB)
	verifiedFlow := e.forgotStarted(t, phoneB)
	verifiedFlow, err = svcA.VerifyForgotPassword(bg, verifiedFlow, e.out.LastCode(t, phoneB))
	require.NoError(t, err)
	e.register(t, "forgot2", pendingPhone)
	pendingFlow := e.forgotStarted(t, pendingPhone)
	pendingFlowCode := e.out.LastCode(t, pendingPhone)

	checkHeld := func(t *testing.T, svc *security.Service) {
		t.Helper()
		require.NoError(t, svc.VerifyPassword(bg, "pins", goodPass), "password")
		requireLocked(t, svc.VerifyPayPassword(bg, "paylocked", pin1))
		requireLocked(t, svc.VerifyPassword(bg, "pwlocked", goodPass))
		requireRateLimited(t, svc.BindPhone(bg, "pins", blockedPhone, "000000"))
		requireRateLimited(t, svc.SendPhoneCode(bg, "pins", blockedPhone))
		st, err := svc.PayPasswordStatus(bg, "paylocked")
		require.NoError(t, err)
		assert.True(t, st.Locked)
	}

	// A -> B.
	svcB := e.rotated(t, keyB, [][]byte{keyA}, keyA)
	checkHeld(t, svcB)
	requireRateLimited(t, svcB.SendPhoneCode(bg, "pins", phoneA)) // the send cooldown under A still runs
	require.ErrorIs(t, svcB.BindPhone(bg, "pins", phoneA, codeA), security.ErrInvalidCode,
		"a code sent before the rotation is void (its MAC was under A)")
	require.NoError(t, svcB.VerifyEmailToken(bg, "pins", linkA), "a link made under A still works")
	require.NoError(t, svcB.CompleteForgotPassword(bg, verifiedFlow, phoneB, "a brand new passphrase"),
		"a flow verified under A completes under B")
	_, err = svcB.VerifyForgotPassword(bg, pendingFlow, pendingFlowCode)
	require.ErrorIs(t, err, security.ErrInvalidCode, "the flow is still there (not ErrFlowRequired), its code is void")

	before, err := e.store.GetAccount(bg, "pins")
	require.NoError(t, err)
	require.Equal(t, security.KeyID(keyA), pinKeyID(t, e, "pins"))
	require.ErrorIs(t, svcB.VerifyPayPassword(bg, "pins", pin2), security.ErrWrongPayPassword, "a wrong PIN under an old key is wrong")
	require.NoError(t, svcB.VerifyPayPassword(bg, "pins", pin1))
	after, err := e.store.GetAccount(bg, "pins")
	require.NoError(t, err)
	assert.Equal(t, security.KeyID(keyB), pinKeyID(t, e, "pins"), "re-peppered under B")
	assert.Equal(t, before.Version+1, after.Version, "one write")
	require.NoError(t, svcB.VerifyPayPassword(bg, "pins", pin1))
	again, err := e.store.GetAccount(bg, "pins")
	require.NoError(t, err)
	assert.Equal(t, after.Version, again.Version, "a current hash is not rewritten")

	// B -> C.
	svcC := e.rotated(t, keyC, [][]byte{keyB, keyA}, keyA)
	checkHeld(t, svcC)
	require.NoError(t, svcC.VerifyPayPassword(bg, "pins", pin1), "peppered under B")
	assert.Equal(t, security.KeyID(keyC), pinKeyID(t, e, "pins"))
	require.NoError(t, svcC.VerifyPayPassword(bg, "idle", pin2), "peppered under A, untouched under B")
	assert.Equal(t, security.KeyID(keyC), pinKeyID(t, e, "idle"))
	require.Equal(t, "", pinKeyID(t, e, "legacy"))
	require.ErrorIs(t, svcC.VerifyPayPassword(bg, "legacy", pin2), security.ErrWrongPayPassword)
	require.NoError(t, svcC.VerifyPayPassword(bg, "legacy", pin1), "a hash without key ID is tried under C, B and A")
	assert.Equal(t, security.KeyID(keyC), pinKeyID(t, e, "legacy"))

	// These PINs now name C, so a Service without A and B still verifies
	// them; the store keys stay under A. The locked user's PIN still names
	// A: without A it cannot be checked, which New cannot know and the
	// check reports plainly (nothing is counted, the lock still shows).
	svcOnlyC := e.rotated(t, keyC, nil, keyA)
	for u, pin := range map[string]string{"pins": pin1, "idle": pin2, "legacy": pin1} {
		require.NoError(t, svcOnlyC.VerifyPayPassword(bg, u, pin), u)
	}
	require.NoError(t, svcOnlyC.VerifyPassword(bg, "pins", goodPass))
	requireLocked(t, svcOnlyC.VerifyPassword(bg, "pwlocked", goodPass))
	requireRateLimited(t, svcOnlyC.BindPhone(bg, "pins", blockedPhone, "000000"))
	st, err := svcOnlyC.PayPasswordStatus(bg, "paylocked")
	require.NoError(t, err)
	assert.True(t, st.Locked)
	require.ErrorContains(t, svcOnlyC.VerifyPayPassword(bg, "paylocked", pin1), "Config.PreviousSecrets")

	// Past the pay lock, the locked user's right PIN (under A) works and moves to C.
	e.clock.Advance(counted(3 * time.Hour))
	require.NoError(t, svcC.VerifyPayPassword(bg, "paylocked", pin1))
	assert.Equal(t, security.KeyID(keyC), pinKeyID(t, e, "paylocked"))
}

// TestRotationWithoutStoreKeySecretIsRefused: naming no store-key secret
// while rotating would rename every store key and so lift every lock; New
// refuses it. Naming the new secret on purpose does rename them.
func TestRotationWithoutStoreKeySecretIsRefused(t *testing.T) {
	e := newEnv(t)
	e.register(t, "u1", "")
	for range 5 {
		require.ErrorIs(t, e.svc.VerifyPassword(bg, "u1", "not the password"), security.ErrWrongPassword)
	}
	keyB := newSecret(t)
	_, err := security.New(e.store, e.out, security.Config{Secret: keyB, PreviousSecrets: [][]byte{testSecret}})
	require.ErrorContains(t, err, "security: Config.StoreKeySecret is required")

	renamed := e.rotated(t, keyB, [][]byte{testSecret}, keyB)
	require.NoError(t, renamed.VerifyPassword(bg, "u1", goodPass), "a new store-key secret starts every counter afresh")
}

func TestRotationConfigRefused(t *testing.T) {
	s, o := (*env)(nil).storeAndOutbox()
	keyB := newSecret(t)
	weak := []byte(strings.Repeat("k", 32))
	for name, cfg := range map[string]security.Config{
		"previous equal to current":  {Secret: keyB, PreviousSecrets: [][]byte{keyB}, StoreKeySecret: testSecret},
		"previous twice":             {Secret: keyB, PreviousSecrets: [][]byte{testSecret, testSecret}, StoreKeySecret: testSecret},
		"weak previous":              {Secret: keyB, PreviousSecrets: [][]byte{weak}, StoreKeySecret: testSecret},
		"empty previous":             {Secret: keyB, PreviousSecrets: [][]byte{nil}, StoreKeySecret: testSecret},
		"weak store-key secret":      {Secret: keyB, StoreKeySecret: weak},
		"short base64 store secret":  {Secret: keyB, StoreKeySecret: []byte(base64.StdEncoding.EncodeToString(keyB[:24]))},
		"previous without store key": {Secret: keyB, PreviousSecrets: [][]byte{testSecret}},
	} {
		_, err := security.New(s, o, cfg)
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "security: "), name)
		assert.NotContains(t, err.Error(), string(weak), name)
	}
}

// TestRotationRollout: during a two-step roll-out, replicas that still
// pepper with A (but know B) and replicas that pepper with B (and know A)
// verify each other's PINs, and keep every lock.
func TestRotationRollout(t *testing.T) {
	t.Parallel() // argon2-bound: its own Service and store
	e := newEnv(t)
	keyA, keyB := testSecret, newSecret(t)
	e.register(t, "u1", "")
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", pin1))
	stepOne := e.rotated(t, keyA, [][]byte{keyB}, keyA)
	stepTwo := e.rotated(t, keyB, [][]byte{keyA}, keyA)
	for i := range 4 {
		require.NoError(t, stepTwo.VerifyPayPassword(bg, "u1", pin1), "round %d", i)
		assert.Equal(t, security.KeyID(keyB), pinKeyID(t, e, "u1"))
		require.NoError(t, stepOne.VerifyPayPassword(bg, "u1", pin1), "round %d", i)
		assert.Equal(t, security.KeyID(keyA), pinKeyID(t, e, "u1"))
	}
	for range 5 {
		require.ErrorIs(t, stepOne.VerifyPayPassword(bg, "u1", pin2), security.ErrWrongPayPassword)
	}
	requireLocked(t, stepTwo.VerifyPayPassword(bg, "u1", pin1))
}
