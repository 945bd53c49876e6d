package importer

import (
	"context"
	"errors"

	"github.com/acctsec/security"
)

// Sink stores prepared accounts a batch at a time, in input order.
//
// Import returns one outcome per account (the same length as accounts):
// nil when it was stored, an error wrapping security.ErrAccountExists when
// its UserID already has a record (which is left as it is),
// security.ErrPhoneTaken or security.ErrEmailTaken when another account,
// stored or earlier in the batch, holds the phone or address. Any other
// failure is returned as the second result, which stops the run; the
// batch's outcomes are then ignored, and it must be safe to import the
// batch again (nothing of it stored, or only rows that will then count as
// already present).
//
// (*pgstore.Store).ImportAccounts is a Sink for PostgreSQL.
type Sink interface {
	Import(ctx context.Context, accounts []*security.Account) ([]error, error)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, accounts []*security.Account) ([]error, error)

// Import calls f.
func (f SinkFunc) Import(ctx context.Context, accounts []*security.Account) ([]error, error) {
	return f(ctx, accounts)
}

// StoreSink stores accounts one by one with the store's CreateAccount,
// which any security.Store has: for memstore, tests, and stores without
// a bulk path.
type StoreSink struct {
	Store security.AccountStore
}

// Import creates each account in turn.
func (s StoreSink) Import(ctx context.Context, accounts []*security.Account) ([]error, error) {
	out := make([]error, len(accounts))
	for i, a := range accounts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := s.Store.CreateAccount(ctx, a)
		switch {
		case err == nil:
		case errors.Is(err, security.ErrAccountExists), errors.Is(err, security.ErrPhoneTaken),
			errors.Is(err, security.ErrEmailTaken):
			out[i] = err
		default:
			return nil, err
		}
	}
	return out, nil
}
