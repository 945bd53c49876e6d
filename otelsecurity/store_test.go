package otelsecurity_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/otelsecurity"
)

// brokenStore fails like a database whose error quotes the value.
type brokenStore struct{ security.Store }

func (brokenStore) AccountByPhone(_ context.Context, e164 string) (*security.Account, error) {
	return nil, fmt.Errorf(`duplicate key value violates unique constraint: Key (phone)=(%s)`, e164)
}

func TestStoreOutcomesAndErrorsWithoutTheirText(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	in, err := otelsecurity.New(otelsecurity.Options{TracerProvider: tp})
	require.NoError(t, err)
	mem := memstore.New()
	defer mem.Close()
	st := in.Store(brokenStore{mem})
	ctx := context.Background()

	_, err = st.AccountByPhone(ctx, phoneA)
	require.ErrorContains(t, err, phoneA, "the wrapper returns the store's error as is")
	_, err = st.GetAccount(ctx, userA)
	require.ErrorIs(t, err, security.ErrNotFound)
	require.NoError(t, st.CreateAccount(ctx, &security.Account{UserID: userA}))
	require.ErrorIs(t, st.CreateAccount(ctx, &security.Account{UserID: userA}), security.ErrAccountExists)
	a, err := st.GetAccount(ctx, userA)
	require.NoError(t, err)
	a.Version = 99
	require.ErrorIs(t, st.UpdateAccount(ctx, a), security.ErrConflict)
	res, _, err := st.VerifyCode(ctx, time.Now(), security.CodeCheck{Scope: "scope", MAC: []byte("mac"), MaxTries: 3})
	require.NoError(t, err)
	require.Equal(t, security.CodeMissing, res)
	now := time.Now()
	hit := []security.Hit{{Key: "k", Window: time.Hour, Add: 1, Max: 1}}
	tallies, err := st.Count(ctx, now, hit)
	require.NoError(t, err)
	require.True(t, tallies[0].Applied)
	tallies, err = st.Count(ctx, now, hit)
	require.NoError(t, err)
	require.False(t, tallies[0].Applied)

	type row struct{ name, outcome, extra string }
	var got []row
	for _, s := range spans.Ended() {
		extra := attr(s.Attributes(), "acctsec.code_result") + attr(s.Attributes(), "acctsec.refused")
		got = append(got, row{s.Name(), attr(s.Attributes(), "acctsec.outcome"), extra})
		for _, kv := range s.Attributes() {
			assert.NotContains(t, kv.Value.Emit(), phoneA)
		}
		if s.Name() == "acctsec.store AccountByPhone" {
			assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "store error"}, s.Status())
		} else {
			assert.Equal(t, codes.Unset, s.Status().Code, s.Name())
		}
	}
	assert.Equal(t, []row{
		{"acctsec.store AccountByPhone", "error", ""},
		{"acctsec.store GetAccount", "not_found", ""},
		{"acctsec.store CreateAccount", "ok", ""},
		{"acctsec.store CreateAccount", "exists", ""},
		{"acctsec.store GetAccount", "ok", ""},
		{"acctsec.store UpdateAccount", "conflict", ""},
		{"acctsec.store VerifyCode", "ok", "missing"},
		{"acctsec.store Count", "ok", "0"},
		{"acctsec.store Count", "ok", "1"},
	}, got)
	assert.Equal(t, brokenStore{mem}, st.(interface{ Unwrap() security.Store }).Unwrap())
}
