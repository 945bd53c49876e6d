package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func account(id, phone, email string) *security.Account {
	return &security.Account{
		UserID:            id,
		PasswordHash:      "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
		PasswordChangedAt: base.Add(time.Microsecond),
		Phone:             phone,
		Email:             email,
		EmailVerified:     email != "",
		CreatedAt:         base,
		UpdatedAt:         base.Add(time.Second),
	}
}

func TestAccountRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})

	a := account("u1", "+8613800138000", "alice@example.com")
	a.PayPasswordHash = "$argon2id$pin"
	a.PayPasswordSetAt = base.Add(time.Minute)
	require.NoError(t, st.CreateAccount(ctx, a))
	assert.Equal(t, int64(1), a.Version)

	for name, get := range map[string]func() (*security.Account, error){
		"by id":    func() (*security.Account, error) { return st.GetAccount(ctx, "u1") },
		"by phone": func() (*security.Account, error) { return st.AccountByPhone(ctx, "+8613800138000") },
		"by email": func() (*security.Account, error) { return st.AccountByEmail(ctx, "alice@example.com") },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := get()
			require.NoError(t, err)
			assert.Equal(t, a, got)
		})
	}

	// Zero times and empty strings survive as zero values.
	b := &security.Account{UserID: "u2"}
	require.NoError(t, st.CreateAccount(ctx, b))
	got, err := st.GetAccount(ctx, "u2")
	require.NoError(t, err)
	assert.Equal(t, &security.Account{UserID: "u2", Version: 1}, got)
}

func TestAccountNotFound(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	require.NoError(t, st.CreateAccount(ctx, account("u1", "", "")))

	_, err := st.GetAccount(ctx, "nobody")
	assert.ErrorIs(t, err, security.ErrNotFound)
	for _, phone := range []string{"", "+8613800138000"} {
		_, err = st.AccountByPhone(ctx, phone)
		assert.ErrorIs(t, err, security.ErrNotFound, "phone %q", phone)
	}
	for _, email := range []string{"", "bob@example.com"} {
		_, err = st.AccountByEmail(ctx, email)
		assert.ErrorIs(t, err, security.ErrNotFound, "email %q", email)
	}
}

func TestAccountUniqueness(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	require.NoError(t, st.CreateAccount(ctx, account("u1", "+8613800138000", "alice@example.com")))
	// Empty phone and email are not values: any number of accounts have none.
	require.NoError(t, st.CreateAccount(ctx, account("u2", "", "")))
	require.NoError(t, st.CreateAccount(ctx, account("u3", "", "")))

	tests := []struct {
		name string
		a    *security.Account
		want error
	}{
		{"same user", account("u1", "+8613900139000", "bob@example.com"), security.ErrAccountExists},
		{"same phone", account("u4", "+8613800138000", ""), security.ErrPhoneTaken},
		{"same email", account("u4", "", "alice@example.com"), security.ErrEmailTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.CreateAccount(ctx, tt.a)
			assert.ErrorIs(t, err, tt.want)
			assert.Zero(t, tt.a.Version)
		})
	}
}

func TestUpdateAccount(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	require.NoError(t, st.CreateAccount(ctx, account("u1", "+8613800138000", "alice@example.com")))
	require.NoError(t, st.CreateAccount(ctx, account("u2", "+8613900139000", "bob@example.com")))

	a, err := st.GetAccount(ctx, "u1")
	require.NoError(t, err)
	stale := *a

	a.Phone = "+8613700137000"
	a.UpdatedAt = base.Add(time.Hour)
	require.NoError(t, st.UpdateAccount(ctx, a))
	assert.Equal(t, int64(2), a.Version)
	got, err := st.GetAccount(ctx, "u1")
	require.NoError(t, err)
	assert.Equal(t, a, got)
	_, err = st.AccountByPhone(ctx, "+8613800138000")
	assert.ErrorIs(t, err, security.ErrNotFound, "the old phone is free again")

	t.Run("stale version", func(t *testing.T) {
		assert.ErrorIs(t, st.UpdateAccount(ctx, &stale), security.ErrConflict)
		assert.Equal(t, int64(1), stale.Version)
	})
	t.Run("missing", func(t *testing.T) {
		assert.ErrorIs(t, st.UpdateAccount(ctx, &security.Account{UserID: "nobody", Version: 1}), security.ErrNotFound)
	})

	refused := []struct {
		name   string
		change func(*security.Account)
		want   error
	}{
		{"phone of another", func(a *security.Account) { a.Phone = "+8613900139000" }, security.ErrPhoneTaken},
		{"email of another", func(a *security.Account) { a.Email = "bob@example.com" }, security.ErrEmailTaken},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before, err := st.GetAccount(ctx, "u1")
			require.NoError(t, err)
			changed := *before
			changed.PasswordHash = "new hash"
			tt.change(&changed)
			assert.ErrorIs(t, st.UpdateAccount(ctx, &changed), tt.want)
			assert.Equal(t, before.Version, changed.Version)
			after, err := st.GetAccount(ctx, "u1")
			require.NoError(t, err)
			assert.Equal(t, before, after, "a refused update changes nothing")
		})
	}
}

// TestAccountRaces: of replicas racing to bind one phone, or to update one
// record from the same version, exactly one wins.
func TestAccountRaces(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	const n = 20
	for i := range n {
		require.NoError(t, st.CreateAccount(ctx, account(fmt.Sprint("u", i), "", "")))
	}

	t.Run("bind one phone", func(t *testing.T) {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				a, err := st.GetAccount(ctx, fmt.Sprint("u", i))
				if err == nil {
					a.Phone = "+8613800138000"
					err = st.UpdateAccount(ctx, a)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, security.ErrPhoneTaken)
			}
		}
		assert.Equal(t, 1, won)
	})

	t.Run("update from one version", func(t *testing.T) {
		a, err := st.GetAccount(ctx, "u0")
		require.NoError(t, err)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := *a
				c.PasswordHash = fmt.Sprint("hash", i)
				errs[i] = st.UpdateAccount(ctx, &c)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, security.ErrConflict)
			}
		}
		assert.Equal(t, 1, won)
		got, err := st.GetAccount(ctx, "u0")
		require.NoError(t, err)
		assert.Equal(t, a.Version+1, got.Version)
	})
}

// TestEmailsCompareExactly: emails are compared byte for byte, never folded
// by lower() or the database locale. The Service normalises addresses
// (ASCII letters only), so two addresses that differ only in the case of a
// non-ASCII letter are two addresses, each finding its own account.
func TestEmailsCompareExactly(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	accounts := []*security.Account{
		account("upper", "", "Ärger@example.com"),
		account("lower", "", "ärger@example.com"),
		account("greek", "", "ωmega@example.com"),
		account("greek upper", "", "Ωmega@example.com"),
	}
	for _, a := range accounts {
		require.NoError(t, st.CreateAccount(ctx, a), a.Email)
	}
	for _, a := range accounts {
		t.Run(a.Email, func(t *testing.T) {
			got, err := st.AccountByEmail(ctx, a.Email)
			require.NoError(t, err)
			assert.Equal(t, a.UserID, got.UserID)
		})
	}
	t.Run("exact duplicate refused", func(t *testing.T) {
		assert.ErrorIs(t, st.CreateAccount(ctx, account("again", "", "ärger@example.com")), security.ErrEmailTaken)
	})
	t.Run("no folding on lookup", func(t *testing.T) {
		_, err := st.AccountByEmail(ctx, "ÄRGER@EXAMPLE.COM")
		assert.ErrorIs(t, err, security.ErrNotFound)
	})
	t.Run("update to another's address refused", func(t *testing.T) {
		a, err := st.GetAccount(ctx, "lower")
		require.NoError(t, err)
		a.Email = "Ärger@example.com"
		assert.ErrorIs(t, st.UpdateAccount(ctx, a), security.ErrEmailTaken)
	})
}
