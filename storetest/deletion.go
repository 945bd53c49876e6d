package storetest

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

// testNoPasswordRoundTrip: an account without a login password (an SMS or
// WeChat sign-up) keeps an empty hash and a zero change time.
func testNoPasswordRoundTrip(t *testing.T, s security.AccountStore) {
	a := fullAccount(t, start())
	a.PasswordHash = ""
	a.PasswordChangedAt = a.PasswordChangedAt.AddDate(-10, 0, 0) // any value round-trips
	create(t, s, a)
	want := clone(a)
	want.Version = 1
	requireAccount(t, want, get(t, s, a.UserID))
}

// testDeleteAccount: after DeleteAccount nothing of the record is left: no
// lookup by ID, phone or email finds it, an update of the old version
// cannot bring it back, its phone and email are free for another account,
// and a new record under the same user ID starts afresh. Other records are
// untouched.
func testDeleteAccount(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	now := start()
	a := fullAccount(t, now)
	other := fullAccount(t, now)
	create(t, s, a)
	create(t, s, other)
	stale := get(t, s, a.UserID)

	require.NoError(t, s.DeleteAccount(ctx, a.UserID))

	_, err := s.GetAccount(ctx, a.UserID)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByPhone(ctx, a.Phone)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByEmail(ctx, a.Email)
	require.ErrorIs(t, err, security.ErrNotFound)
	require.ErrorIs(t, s.UpdateAccount(ctx, stale), security.ErrNotFound, "an update must not resurrect a deleted record")
	_, err = s.GetAccount(ctx, a.UserID)
	require.ErrorIs(t, err, security.ErrNotFound)

	wantOther := clone(other)
	wantOther.Version = 1
	requireAccount(t, wantOther, get(t, s, other.UserID))

	// The phone and the address are free.
	heir := bareAccount(now)
	heir.Phone, heir.Email = a.Phone, a.Email
	create(t, s, heir)
	byPhone, err := s.AccountByPhone(ctx, a.Phone)
	require.NoError(t, err)
	require.Equal(t, heir.UserID, byPhone.UserID)
	byEmail, err := s.AccountByEmail(ctx, a.Email)
	require.NoError(t, err)
	require.Equal(t, heir.UserID, byEmail.UserID)

	// The same user ID starts again at Version 1 with none of the old fields.
	again := bareAccount(now)
	again.UserID = a.UserID
	create(t, s, again)
	want := clone(again)
	want.Version = 1
	requireAccount(t, want, get(t, s, a.UserID))
}

func testDeleteMissing(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	require.ErrorIs(t, s.DeleteAccount(ctx, unique("nobody")), security.ErrNotFound)
	a := bareAccount(start())
	create(t, s, a)
	require.NoError(t, s.DeleteAccount(ctx, a.UserID))
	require.ErrorIs(t, s.DeleteAccount(ctx, a.UserID), security.ErrNotFound, "a second delete")
}

// testConcurrentDelete: of concurrent deletes of one record exactly one
// succeeds; the others find nothing.
func testConcurrentDelete(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	a := fullAccount(t, start())
	create(t, s, a)
	var ok, notFound atomic.Int32
	race(8, func(int) {
		switch err := s.DeleteAccount(ctx, a.UserID); {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, security.ErrNotFound):
			notFound.Add(1)
		default:
			assert.NoError(t, err)
		}
	})
	require.Equal(t, int32(1), ok.Load())
	require.Equal(t, int32(7), notFound.Load())
}

// testDeleteRacesUpdate: a delete racing updates never leaves a record
// behind: whatever order they ran in, once the delete has succeeded the
// record stays gone and its phone is free.
func testDeleteRacesUpdate(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	a := fullAccount(t, start())
	create(t, s, a)
	race(5, func(i int) {
		if i == 0 {
			assert.NoError(t, s.DeleteAccount(ctx, a.UserID))
			return
		}
		c := clone(a)
		c.EmailVerified = i%2 == 0
		if err := s.UpdateAccount(ctx, c); err != nil && !errors.Is(err, security.ErrNotFound) && !errors.Is(err, security.ErrConflict) {
			assert.NoError(t, err)
		}
	})
	_, err := s.GetAccount(ctx, a.UserID)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByPhone(ctx, a.Phone)
	require.ErrorIs(t, err, security.ErrNotFound)
}
