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
	res, err := st.VerifyCode(ctx, "scope", []byte("mac"), time.Now(), 3)
	require.NoError(t, err)
	require.Equal(t, security.CodeMissing, res)
	wait, err := st.Allow(ctx, "k", time.Now(), []security.Window{{Period: time.Hour, Max: 1}})
	require.NoError(t, err)
	require.Zero(t, wait)
	_, err = st.Allow(ctx, "k", time.Now(), []security.Window{{Period: time.Hour, Max: 1}})
	require.NoError(t, err)

	type row struct{ name, outcome, extra string }
	var got []row
	for _, s := range spans.Ended() {
		extra := attr(s.Attributes(), "acctsec.code_result") + attr(s.Attributes(), "acctsec.allowed")
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
		{"acctsec.store Allow", "ok", "true"},
		{"acctsec.store Allow", "ok", "false"},
	}, got)
	assert.Equal(t, brokenStore{mem}, st.(interface{ Unwrap() security.Store }).Unwrap())
}
