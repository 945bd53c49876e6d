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

// TestImportAccounts: each record of a batch gets the outcome CreateAccount
// would have given it in order, conflicts with stored rows and within the
// batch are reported per row without aborting the batch, and stored rows
// read back as they went in.
func TestImportAccounts(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	old := account("old", "+8613800000001", "old@example.com")
	require.NoError(t, st.CreateAccount(ctx, old))

	newer := account("old", "+8613800000009", "")
	newer.PasswordHash = "$2y$04$JAVw00Dtroq0Xq23hXe.7OTcVqfz5ZfzqzhZSeVMayNA6A7CY9iYm"
	batch := []*security.Account{
		account("n1", "+8613800000002", "n1@example.com"),
		newer,                                               // stored user: left alone
		account("n2", "+8613800000001", ""),                 // stored phone
		account("n3", "", "old@example.com"),                // stored email
		account("n4", "+8613800000003", ""),                 // ok
		account("n5", "+8613800000003", ""),                 // phone of n4
		account("n1", "+8613800000004", "x@example.com"),    // user of n1
		account("n6", "+8613800000005", "n1@example.com"),   // email of n1: refused, so ...
		account("n7", "+8613800000005", "n7@example.com"),   // ... its phone stays free
		account("n8", "", ""),                               // ok, no phone or email
		account("n9", "+8613800000006", "Case@example.com"), // emails compare exactly
		account("n10", "", "case@example.com"),
	}
	batch[0].PayPasswordHash, batch[0].PayPasswordSetAt = "$acctsec-legacy-pin$x", base.Add(time.Hour)
	out, err := st.ImportAccounts(ctx, batch)
	require.NoError(t, err)
	want := []error{nil, security.ErrAccountExists, security.ErrPhoneTaken, security.ErrEmailTaken, nil,
		security.ErrPhoneTaken, security.ErrAccountExists, security.ErrEmailTaken, nil, nil, nil, nil}
	require.Len(t, out, len(want))
	for i := range want {
		if want[i] == nil {
			assert.NoError(t, out[i], "row %d", i)
			assert.Equal(t, int64(1), batch[i].Version)
		} else {
			assert.ErrorIs(t, out[i], want[i], "row %d", i)
		}
	}

	got, err := st.GetAccount(ctx, "n1")
	require.NoError(t, err)
	assert.Equal(t, batch[0], got, "read back as it went in")
	got, err = st.GetAccount(ctx, "old")
	require.NoError(t, err)
	assert.Equal(t, old, got, "an existing record is not overwritten")
	got, err = st.GetAccount(ctx, "n7")
	require.NoError(t, err)
	assert.Equal(t, "+8613800000005", got.Phone)
	for _, id := range []string{"n2", "n3", "n5", "n6"} {
		_, err := st.GetAccount(ctx, id)
		assert.ErrorIs(t, err, security.ErrNotFound, id)
	}

	// Importing the same batch again (a resumed run) stores nothing new
	// and refuses the same rows for the same reasons.
	again := make([]*security.Account, len(batch))
	for i, a := range batch {
		c := *a
		c.Version = 0
		again[i] = &c
	}
	out, err = st.ImportAccounts(ctx, again)
	require.NoError(t, err)
	want[7] = security.ErrPhoneTaken // n7, stored since, holds its phone now
	for i := range want {
		if want[i] == nil {
			assert.ErrorIs(t, out[i], security.ErrAccountExists, "row %d", i)
		} else {
			assert.ErrorIs(t, out[i], want[i], "row %d", i)
		}
	}
	var n int
	require.NoError(t, newPool(t, nil).QueryRow(ctx, "SELECT count(*) FROM "+st.Schema()+".accounts").Scan(&n))
	assert.Equal(t, 7, n)

	out, err = st.ImportAccounts(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, out)
}

// TestImportAccountsRacing: batches racing for the same phone, user or
// email, each in its own transaction: exactly one record of each pair is
// stored and the other gets its conflict (after a retry when it lost
// between its check and its insert), never a failed batch.
func TestImportAccountsRacing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	const pairs = 20
	results := make([][2]error, pairs)
	var wg sync.WaitGroup
	for p := range pairs {
		for side := range 2 {
			wg.Go(func() {
				var a *security.Account
				switch p % 3 {
				case 0:
					a = account(fmt.Sprintf("p%d-%d", p, side), fmt.Sprintf("+86139%08d", p), "")
				case 1:
					a = account(fmt.Sprintf("p%d-%d", p, side), "", fmt.Sprintf("p%d@example.com", p))
				default:
					a = account(fmt.Sprintf("p%d", p), "", "")
				}
				out, err := st.ImportAccounts(ctx, []*security.Account{a})
				if err != nil {
					results[p][side] = err
					return
				}
				results[p][side] = out[0]
			})
		}
	}
	wg.Wait()
	for p, r := range results {
		wantErr := []error{security.ErrPhoneTaken, security.ErrEmailTaken, security.ErrAccountExists}[p%3]
		ok := 0
		for _, err := range r {
			if err == nil {
				ok++
			} else {
				assert.ErrorIs(t, err, wantErr, "pair %d", p)
			}
		}
		assert.Equal(t, 1, ok, "pair %d: exactly one stored", p)
	}
}

// TestImportAccountsAllOrNothing: a batch the database refuses as a whole
// (here a user ID that is not UTF-8, which PrepareAccount would have
// refused) stores none of its records.
func TestImportAccountsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	out, err := st.ImportAccounts(ctx, []*security.Account{account("fine", "", ""), account("bad\xff", "", "")})
	require.Error(t, err)
	assert.Nil(t, out)
	assert.NotContains(t, err.Error(), "bad\xff")
	_, err = st.GetAccount(ctx, "fine")
	assert.ErrorIs(t, err, security.ErrNotFound)
}
