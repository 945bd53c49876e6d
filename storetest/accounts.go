package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	security "github.com/acctsec/security"
)

var accountTests = []accountTest{
	{"CreateGet", testCreateGet},
	{"ZeroFieldsRoundTrip", testZeroFields},
	{"NotFound", testAccountNotFound},
	{"AccountExists", testAccountExists},
	{"TakenOnCreate", testTakenOnCreate},
	{"EmptyPhoneAndEmailNotUnique", testEmptyNotUnique},
	{"Update", testUpdate},
	{"UpdateConflict", testUpdateConflict},
	{"TakenOnUpdate", testTakenOnUpdate},
	{"PhoneAndEmailMove", testPhoneEmailMove},
	{"Copies", testAccountCopies},
	{"ConcurrentUpdate", testConcurrentUpdate},
	{"ConcurrentBindPhone", testConcurrentBindPhone},
	{"ConcurrentCreateEmail", testConcurrentCreateEmail},
	{"EmailsCompareExactly", testEmailsCompareExactly},
	{"NoPasswordRoundTrip", testNoPasswordRoundTrip},
	{"Delete", testDeleteAccount},
	{"DeleteMissing", testDeleteMissing},
	{"ConcurrentDelete", testConcurrentDelete},
	{"DeleteRacesUpdate", testDeleteRacesUpdate},
}

// fullAccount returns an account with every field set.
func fullAccount(t *testing.T, now time.Time) *security.Account {
	t.Helper()
	return &security.Account{
		UserID:            unique("user"),
		PasswordHash:      "$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
		PasswordChangedAt: now.Add(-48 * time.Hour),
		Phone:             uniquePhone(t),
		Email:             uniqueEmail(),
		EmailVerified:     true,
		PayPasswordHash:   "$argon2id$v=19$m=65536,t=1,p=4$cGlucGlucGk$cGluaGFzaA",
		PayPasswordSetAt:  now.Add(-time.Hour),
		CreatedAt:         now.Add(-72 * time.Hour),
		UpdatedAt:         now,
	}
}

// bareAccount returns an account with only a user ID and a password.
func bareAccount(now time.Time) *security.Account {
	return &security.Account{
		UserID:       unique("user"),
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$YmFyZWJhcmU$YmFyZWhhc2g",
		CreatedAt:    now,
		UpdatedAt:    now,
	}
}

func create(t *testing.T, s security.AccountStore, a *security.Account) {
	t.Helper()
	require.NoError(t, s.CreateAccount(t.Context(), a))
}

func get(t *testing.T, s security.AccountStore, userID string) *security.Account {
	t.Helper()
	a, err := s.GetAccount(t.Context(), userID)
	require.NoError(t, err)
	require.NotNil(t, a)
	return a
}

// requireAccount checks every field of got against want.
func requireAccount(t *testing.T, want, got *security.Account) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.UserID, got.UserID, "UserID")
	assert.Equal(t, want.PasswordHash, got.PasswordHash, "PasswordHash")
	requireTime(t, want.PasswordChangedAt, got.PasswordChangedAt, "PasswordChangedAt")
	assert.Equal(t, want.Phone, got.Phone, "Phone")
	assert.Equal(t, want.Email, got.Email, "Email")
	assert.Equal(t, want.EmailVerified, got.EmailVerified, "EmailVerified")
	assert.Equal(t, want.PayPasswordHash, got.PayPasswordHash, "PayPasswordHash")
	requireTime(t, want.PayPasswordSetAt, got.PayPasswordSetAt, "PayPasswordSetAt")
	requireTime(t, want.CreatedAt, got.CreatedAt, "CreatedAt")
	requireTime(t, want.UpdatedAt, got.UpdatedAt, "UpdatedAt")
	assert.Equal(t, want.Version, got.Version, "Version")
}

func clone(a *security.Account) *security.Account {
	c := *a
	return &c
}

func testCreateGet(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	a := fullAccount(t, start())
	create(t, s, a)

	want := clone(a)
	want.Version = 1
	requireAccount(t, want, get(t, s, a.UserID))

	byPhone, err := s.AccountByPhone(ctx, a.Phone)
	require.NoError(t, err)
	requireAccount(t, want, byPhone)

	byEmail, err := s.AccountByEmail(ctx, a.Email)
	require.NoError(t, err)
	requireAccount(t, want, byEmail)
}

func testZeroFields(t *testing.T, s security.AccountStore) {
	a := bareAccount(start())
	a.Version = 7 // ignored: a new record starts at 1
	create(t, s, a)
	want := clone(a)
	want.Version = 1
	requireAccount(t, want, get(t, s, a.UserID))
}

func testAccountNotFound(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	// One record with neither phone nor email must not be found by "".
	create(t, s, bareAccount(start()))

	_, err := s.GetAccount(ctx, unique("nobody"))
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByPhone(ctx, uniquePhone(t))
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByEmail(ctx, uniqueEmail())
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByPhone(ctx, "")
	require.ErrorIs(t, err, security.ErrNotFound, `AccountByPhone("")`)
	_, err = s.AccountByEmail(ctx, "")
	require.ErrorIs(t, err, security.ErrNotFound, `AccountByEmail("")`)

	ghost := bareAccount(start())
	ghost.Version = 1
	require.ErrorIs(t, s.UpdateAccount(ctx, ghost), security.ErrNotFound)
	_, err = s.GetAccount(ctx, ghost.UserID)
	require.ErrorIs(t, err, security.ErrNotFound, "a failed update must not create the record")
}

func testAccountExists(t *testing.T, s security.AccountStore) {
	now := start()
	a := fullAccount(t, now)
	create(t, s, a)
	want := clone(a)
	want.Version = 1

	dup := bareAccount(now.Add(time.Minute))
	dup.UserID = a.UserID
	require.ErrorIs(t, s.CreateAccount(t.Context(), dup), security.ErrAccountExists)
	requireAccount(t, want, get(t, s, a.UserID))
}

func testTakenOnCreate(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	now := start()
	a := fullAccount(t, now)
	create(t, s, a)

	b := fullAccount(t, now)
	b.Phone = a.Phone
	require.ErrorIs(t, s.CreateAccount(ctx, b), security.ErrPhoneTaken)
	_, err := s.GetAccount(ctx, b.UserID)
	require.ErrorIs(t, err, security.ErrNotFound, "a refused create must store nothing")
	_, err = s.AccountByEmail(ctx, b.Email)
	require.ErrorIs(t, err, security.ErrNotFound, "a refused create must not claim its email")

	c := fullAccount(t, now)
	c.Email = a.Email
	require.ErrorIs(t, s.CreateAccount(ctx, c), security.ErrEmailTaken)
	_, err = s.GetAccount(ctx, c.UserID)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByPhone(ctx, c.Phone)
	require.ErrorIs(t, err, security.ErrNotFound, "a refused create must not claim its phone")

	got, err := s.AccountByPhone(ctx, a.Phone)
	require.NoError(t, err)
	require.Equal(t, a.UserID, got.UserID)
}

func testEmptyNotUnique(t *testing.T, s security.AccountStore) {
	now := start()
	a, b := bareAccount(now), bareAccount(now)
	create(t, s, a)
	create(t, s, b)

	// Clearing a phone and email on one account while another has none.
	c := fullAccount(t, now)
	create(t, s, c)
	c = get(t, s, c.UserID)
	c.Phone, c.Email = "", ""
	require.NoError(t, s.UpdateAccount(t.Context(), c))
}

func testUpdate(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	now := start()
	a := fullAccount(t, now)
	create(t, s, a)

	a = get(t, s, a.UserID)
	later := now.Add(time.Hour)
	a.PasswordHash = "$argon2id$v=19$m=65536,t=1,p=4$bmV3bmV3bmU$bmV3aGFzaA"
	a.PasswordChangedAt = later
	a.Phone = uniquePhone(t)
	a.Email = uniqueEmail()
	a.EmailVerified = false
	a.PayPasswordHash = ""
	a.PayPasswordSetAt = time.Time{}
	a.UpdatedAt = later
	require.NoError(t, s.UpdateAccount(ctx, a))
	require.Equal(t, int64(2), a.Version, "UpdateAccount must set a.Version")
	requireAccount(t, a, get(t, s, a.UserID))

	byPhone, err := s.AccountByPhone(ctx, a.Phone)
	require.NoError(t, err)
	requireAccount(t, a, byPhone)
	byEmail, err := s.AccountByEmail(ctx, a.Email)
	require.NoError(t, err)
	requireAccount(t, a, byEmail)

	// An update that keeps its own phone and email is not a conflict with itself.
	a.EmailVerified = true
	require.NoError(t, s.UpdateAccount(ctx, a))
	require.Equal(t, int64(3), a.Version)
	requireAccount(t, a, get(t, s, a.UserID))
}

func testUpdateConflict(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	a := fullAccount(t, start())
	create(t, s, a)

	first, second := get(t, s, a.UserID), get(t, s, a.UserID)
	first.PasswordHash = "first"
	require.NoError(t, s.UpdateAccount(ctx, first))

	second.PasswordHash = "second"
	require.ErrorIs(t, s.UpdateAccount(ctx, second), security.ErrConflict)
	require.Equal(t, int64(1), second.Version, "a failed update must not change a.Version")
	requireAccount(t, first, get(t, s, a.UserID))

	// A version from the future is as stale as one from the past.
	future := get(t, s, a.UserID)
	future.Version += 5
	require.ErrorIs(t, s.UpdateAccount(ctx, future), security.ErrConflict)
	requireAccount(t, first, get(t, s, a.UserID))
}

func testTakenOnUpdate(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	now := start()
	a, b := fullAccount(t, now), fullAccount(t, now)
	create(t, s, a)
	create(t, s, b)
	wantB := get(t, s, b.UserID)

	upd := get(t, s, b.UserID)
	upd.Phone = a.Phone
	upd.PasswordHash = "changed"
	require.ErrorIs(t, s.UpdateAccount(ctx, upd), security.ErrPhoneTaken)
	require.Equal(t, int64(1), upd.Version, "a failed update must not change a.Version")
	requireAccount(t, wantB, get(t, s, b.UserID))

	upd = get(t, s, b.UserID)
	upd.Email = a.Email
	upd.Phone = uniquePhone(t)
	require.ErrorIs(t, s.UpdateAccount(ctx, upd), security.ErrEmailTaken)
	requireAccount(t, wantB, get(t, s, b.UserID))
	_, err := s.AccountByPhone(ctx, upd.Phone)
	require.ErrorIs(t, err, security.ErrNotFound, "a refused update must not claim its phone")

	got, err := s.AccountByPhone(ctx, a.Phone)
	require.NoError(t, err)
	require.Equal(t, a.UserID, got.UserID)
	got, err = s.AccountByEmail(ctx, a.Email)
	require.NoError(t, err)
	require.Equal(t, a.UserID, got.UserID)
	got, err = s.AccountByPhone(ctx, b.Phone)
	require.NoError(t, err)
	require.Equal(t, b.UserID, got.UserID, "a refused update must not release the old phone")
}

func testPhoneEmailMove(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	now := start()
	a, b := fullAccount(t, now), bareAccount(now)
	create(t, s, a)
	create(t, s, b)
	phone, email := a.Phone, a.Email

	// Clearing the phone and changing the email frees both.
	a = get(t, s, a.UserID)
	a.Phone = ""
	a.Email = uniqueEmail()
	require.NoError(t, s.UpdateAccount(ctx, a))
	_, err := s.AccountByPhone(ctx, phone)
	require.ErrorIs(t, err, security.ErrNotFound)
	_, err = s.AccountByEmail(ctx, email)
	require.ErrorIs(t, err, security.ErrNotFound)

	b = get(t, s, b.UserID)
	b.Phone, b.Email = phone, email
	require.NoError(t, s.UpdateAccount(ctx, b))
	got, err := s.AccountByPhone(ctx, phone)
	require.NoError(t, err)
	requireAccount(t, b, got)
	got, err = s.AccountByEmail(ctx, email)
	require.NoError(t, err)
	requireAccount(t, b, got)

	// And a freed value can be taken by a new account too.
	c := fullAccount(t, now)
	c.Email = a.Email
	require.ErrorIs(t, s.CreateAccount(ctx, c), security.ErrEmailTaken)
	a.Email = ""
	require.NoError(t, s.UpdateAccount(ctx, a))
	require.NoError(t, s.CreateAccount(ctx, c))
}

func testAccountCopies(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	a := fullAccount(t, start())
	want := clone(a)
	want.Version = 1
	create(t, s, a)

	// The store must not keep the caller's pointer.
	a.PasswordHash, a.Phone, a.Version = "mutated", "+10000000000", 99
	requireAccount(t, want, get(t, s, want.UserID))

	// Nor hand out its own.
	got := get(t, s, want.UserID)
	got.PasswordHash, got.Email = "mutated", "x@y.z"
	requireAccount(t, want, get(t, s, want.UserID))
	got, err := s.AccountByPhone(ctx, want.Phone)
	require.NoError(t, err)
	got.PasswordHash = "mutated"
	got, err = s.AccountByEmail(ctx, want.Email)
	require.NoError(t, err)
	got.PasswordHash = "mutated"
	requireAccount(t, want, get(t, s, want.UserID))

	// Nor keep the pointer passed to UpdateAccount.
	upd := get(t, s, want.UserID)
	upd.EmailVerified = false
	require.NoError(t, s.UpdateAccount(ctx, upd))
	wantUpd := clone(upd)
	upd.PasswordHash = "mutated"
	requireAccount(t, wantUpd, get(t, s, want.UserID))
}

func testConcurrentUpdate(t *testing.T, s security.AccountStore) {
	const n = 20
	ctx := t.Context()
	a := fullAccount(t, start())
	create(t, s, a)
	read := get(t, s, a.UserID)

	errs := make([]error, n)
	race(n, func(i int) {
		mine := clone(read)
		mine.PasswordHash = "hash-" + string(rune('a'+i))
		errs[i] = s.UpdateAccount(ctx, mine)
	})

	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two updates from the same Version both succeeded")
			winner = i
			continue
		}
		require.ErrorIs(t, err, security.ErrConflict)
	}
	require.NotEqual(t, -1, winner, "no update succeeded")
	got := get(t, s, a.UserID)
	require.Equal(t, int64(2), got.Version)
	require.Equal(t, "hash-"+string(rune('a'+winner)), got.PasswordHash)
}

func testConcurrentBindPhone(t *testing.T, s security.AccountStore) {
	const n = 20
	ctx := t.Context()
	now := start()
	accounts := make([]*security.Account, n)
	for i := range accounts {
		accounts[i] = bareAccount(now)
		create(t, s, accounts[i])
		accounts[i] = get(t, s, accounts[i].UserID)
	}
	phone := uniquePhone(t)

	errs := make([]error, n)
	race(n, func(i int) {
		accounts[i].Phone = phone
		errs[i] = s.UpdateAccount(ctx, accounts[i])
	})

	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two accounts bound the same phone")
			winner = i
			continue
		}
		require.ErrorIs(t, err, security.ErrPhoneTaken)
	}
	require.NotEqual(t, -1, winner, "no account bound the phone")
	got, err := s.AccountByPhone(ctx, phone)
	require.NoError(t, err)
	require.Equal(t, accounts[winner].UserID, got.UserID)
	for i, a := range accounts {
		if i != winner {
			require.Empty(t, get(t, s, a.UserID).Phone)
		}
	}
}

func testConcurrentCreateEmail(t *testing.T, s security.AccountStore) {
	const n = 20
	ctx := t.Context()
	now := start()
	email := uniqueEmail()
	accounts := make([]*security.Account, n)
	for i := range accounts {
		accounts[i] = bareAccount(now)
		accounts[i].Email = email
	}

	errs := make([]error, n)
	race(n, func(i int) { errs[i] = s.CreateAccount(ctx, accounts[i]) })

	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two accounts were created with the same email")
			winner = i
			continue
		}
		require.ErrorIs(t, err, security.ErrEmailTaken)
	}
	require.NotEqual(t, -1, winner, "no account was created")
	got, err := s.AccountByEmail(ctx, email)
	require.NoError(t, err)
	require.Equal(t, accounts[winner].UserID, got.UserID)
}

// testEmailsCompareExactly: the Service hands stores normalised addresses
// (ASCII letters lower-cased, nothing else folded), so a store compares
// them byte for byte. Folding more (a database's lower(), locale rules)
// would make "Ärger@..." and "ärger@..." one address: a stranger's
// account could then answer a lookup, or refuse a legitimate address.
func testEmailsCompareExactly(t *testing.T, s security.AccountStore) {
	ctx := t.Context()
	now := start()
	rest := uniqueEmail() // "<random>@storetest.example"
	a := fullAccount(t, now)
	a.Email = "Ärger." + rest
	create(t, s, a)
	b := fullAccount(t, now)
	b.Email = "ärger." + rest
	create(t, s, b)
	for _, acc := range []*security.Account{a, b} {
		got, err := s.AccountByEmail(ctx, acc.Email)
		require.NoError(t, err)
		require.Equal(t, acc.UserID, got.UserID, "the exact address finds its own account")
	}
}
