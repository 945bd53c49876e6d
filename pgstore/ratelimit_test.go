package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllow(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	windows := []security.Window{{Period: time.Minute, Max: 3}, {Period: time.Hour, Max: 5}}

	steps := []struct {
		at   time.Duration // after base
		want time.Duration
	}{
		{0, 0},
		{time.Second, 0},
		{2 * time.Second, 0},
		{3 * time.Second, 57 * time.Second}, // the event at 0 leaves the minute at 60s
		{59 * time.Second, time.Second},     // a refusal records nothing
		{60 * time.Second, 0},
		{61 * time.Second, 0},
		{62 * time.Second, time.Hour - 62*time.Second}, // five in the hour
		{time.Hour, 0},
	}
	for _, s := range steps {
		got, err := st.Allow(ctx, "ip:1", base.Add(s.at), windows)
		require.NoError(t, err)
		assert.Equal(t, s.want, got, "at %s", s.at)
	}

	t.Run("keys are independent", func(t *testing.T) {
		got, err := st.Allow(ctx, "ip:2", base.Add(62*time.Second), windows)
		require.NoError(t, err)
		assert.Zero(t, got)
	})
	t.Run("no window", func(t *testing.T) {
		got, err := st.Allow(ctx, "ip:3", base, nil)
		require.NoError(t, err)
		assert.Zero(t, got)
	})
	for _, w := range []security.Window{{Period: 0, Max: 1}, {Period: time.Minute, Max: 0}} {
		t.Run(fmt.Sprintf("invalid %v/%d", w.Period, w.Max), func(t *testing.T) {
			_, err := st.Allow(ctx, "ip:3", base, []security.Window{{Period: time.Hour, Max: 5}, w})
			assert.ErrorIs(t, err, security.ErrInvalidArgument)
		})
	}
	t.Run("sub-millisecond precision", func(t *testing.T) {
		w := []security.Window{{Period: time.Millisecond, Max: 1}}
		got, err := st.Allow(ctx, "ns", base, w)
		require.NoError(t, err)
		require.Zero(t, got)
		got, err = st.Allow(ctx, "ns", base.Add(time.Microsecond), w)
		require.NoError(t, err)
		assert.Equal(t, time.Millisecond-time.Microsecond, got)
		got, err = st.Allow(ctx, "ns", base.Add(time.Millisecond), w)
		require.NoError(t, err)
		assert.Zero(t, got)
	})
}

func TestAllowConcurrent(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil, pgstore.Config{})
	windows := []security.Window{{Period: time.Hour, Max: 7}}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			got, err := st.Allow(ctx, "flood", base.Add(time.Duration(i)*time.Millisecond), windows)
			assert.NoError(t, err)
			if got == 0 {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(7), allowed.Load())
}
