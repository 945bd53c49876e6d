package security_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

func TestUserIDByPhoneAndEmail(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA,
		Email: "Alice@Example.com"}))

	for _, in := range []string{phoneA, "13800138000", "+86 138-0013-8000", "008613800138000", "(+86)13800138000"} {
		id, err := e.svc.UserIDByPhone(bg, in)
		require.NoError(t, err, in)
		assert.Equal(t, "u1", id, in)
	}
	_, err := e.svc.UserIDByPhone(bg, phoneB)
	require.ErrorIs(t, err, security.ErrAccountNotFound)
	_, err = e.svc.UserIDByPhone(bg, "12345")
	require.ErrorIs(t, err, security.ErrInvalidPhone)
	_, err = e.svc.UserIDByPhone(bg, "")
	require.ErrorIs(t, err, security.ErrInvalidPhone)

	// A phone outside the SMS allow-list, imported with CreateAccount, is
	// found: a lookup sends nothing.
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u2", Password: goodPass, Phone: "+1 415 555 0100"}))
	id, err := e.svc.UserIDByPhone(bg, "+14155550100")
	require.NoError(t, err)
	assert.Equal(t, "u2", id)
	_, err = e.svc.UserIDByPhone(bg, "+14155550199")
	require.ErrorIs(t, err, security.ErrAccountNotFound)

	for _, in := range []string{"alice@example.com", " ALICE@example.COM "} {
		id, err := e.svc.UserIDByEmail(bg, in)
		require.NoError(t, err, in)
		assert.Equal(t, "u1", id, in)
	}
	_, err = e.svc.UserIDByEmail(bg, "bob@example.com")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
	_, err = e.svc.UserIDByEmail(bg, "Alice <alice@example.com>")
	require.ErrorIs(t, err, security.ErrInvalidEmail)
}

func TestAccountInfo(t *testing.T) {
	e := newEnv(t)
	created := e.clock.Now().UTC()
	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "u1", Password: goodPass, Phone: phoneA,
		Email: "alice@example.com", EmailVerified: true}))
	require.NoError(t, e.svc.SetPayPassword(bg, "u1", "472915"))

	info, err := e.svc.Account(bg, "u1")
	require.NoError(t, err)
	assert.Equal(t, security.AccountInfo{
		UserID: "u1", Phone: phoneA, Email: "alice@example.com", EmailVerified: true,
		PasswordSet: true, PasswordChangedAt: created, PayPasswordSet: true, PayPasswordSetAt: created,
		CreatedAt: created, UpdatedAt: created,
	}, *info, "unmasked, without hashes")

	// Printing or logging it by mistake shows neither in full.
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "info", info)
	for _, s := range []string{fmt.Sprint(info), fmt.Sprintf("%v %+v %#v %s", *info, *info, *info, *info), logged.String()} {
		assert.NotContains(t, s, "13800138000")
		assert.NotContains(t, s, "alice@")
		assert.Contains(t, s, "u1")
	}

	require.NoError(t, e.svc.CreateAccount(bg, security.NewAccount{UserID: "sms1", Phone: phoneB, Email: "b@example.com"}))
	info, err = e.svc.Account(bg, "sms1")
	require.NoError(t, err)
	assert.False(t, info.PasswordSet)
	assert.True(t, info.PasswordChangedAt.IsZero())
	assert.False(t, info.PayPasswordSet)
	assert.False(t, info.EmailVerified)

	_, err = e.svc.Account(bg, "nobody")
	require.ErrorIs(t, err, security.ErrAccountNotFound)
}
