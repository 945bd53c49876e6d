package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify"
)

// fake is a notifier that counts calls and returns err, optionally
// running hook first.
type fake struct {
	calls int
	err   error
	hook  func()
}

func (f *fake) Send(ctx context.Context, m security.Message) error {
	f.calls++
	if f.hook != nil {
		f.hook()
	}
	return f.err
}

func TestFallback(t *testing.T) {
	errA := errors.New("provider A down")
	errB := errors.New("provider B throttled")
	tests := []struct {
		name      string
		errs      []error // one notifier per entry
		cancelAt  int     // cancel ctx while this notifier runs (-1: never)
		wantCalls []int
		wantErrs  []error
	}{
		{"first succeeds", []error{nil, nil}, -1, []int{1, 0}, nil},
		{"first fails, second succeeds", []error{errA, nil}, -1, []int{1, 1}, nil},
		{"all fail", []error{errA, errB}, -1, []int{1, 1}, []error{errA, errB}},
		{"context ends during the first", []error{errA, nil}, 0, []int{1, 0}, []error{errA, context.Canceled}},
		{"context ends during the second", []error{errA, errB, nil}, 1, []int{1, 1, 0}, []error{errA, errB, context.Canceled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			fakes := make([]*fake, len(tt.errs))
			ns := make([]security.Notifier, len(tt.errs))
			for i, err := range tt.errs {
				fakes[i] = &fake{err: err}
				if i == tt.cancelAt {
					fakes[i].hook = cancel
				}
				ns[i] = fakes[i]
			}
			err := notify.Fallback(ns...).Send(ctx, security.Message{Channel: security.ChannelSMS})
			for i, f := range fakes {
				assert.Equal(t, tt.wantCalls[i], f.calls, "notifier %d", i)
			}
			if tt.wantErrs == nil {
				require.NoError(t, err)
				return
			}
			for _, want := range tt.wantErrs {
				assert.ErrorIs(t, err, want)
			}
		})
	}
}

func TestFallbackContextAlreadyDone(t *testing.T) {
	f := &fake{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := notify.Fallback(f).Send(ctx, security.Message{})
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, f.calls)
}

func TestFallbackEmptyAndNil(t *testing.T) {
	require.ErrorIs(t, notify.Fallback().Send(context.Background(), security.Message{}), notify.ErrNoNotifier)
	assert.Panics(t, func() { notify.Fallback(&fake{}, nil) })
}
