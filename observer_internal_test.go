package security

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errPrologue = errors.New("prologue")

// prologue is the opening every exported flow method has.
//
//go:noinline
func prologue(s *Service, ctx context.Context) (err error) {
	ctx, end := s.observe(ctx, flowStatus)
	defer func() { end(err) }()
	if ctx == nil {
		return nil
	}
	return errPrologue
}

func TestNilObserverDoesNotAllocate(t *testing.T) {
	s := newTestService(t, Config{})
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() { _ = prologue(s, ctx) })
	assert.Zero(t, allocs, "the flow prologue allocates without an Observer")
	m := Message{Channel: ChannelSMS, Purpose: PurposeBindPhone}
	var err error
	allocs = testing.AllocsPerRun(1000, func() {
		s.delivered(ctx, &m, &err)
		s.hashed(ctx, "hash", time.Now())
		_ = s.background(ctx)
	})
	assert.Zero(t, allocs, "the delivery and hashing hooks allocate without an Observer")
}

func TestObserverWithoutFlowStartIsANoOp(t *testing.T) {
	s := newTestService(t, Config{Observer: &Observer{}})
	require.ErrorIs(t, prologue(s, context.Background()), errPrologue)
	s = newTestService(t, Config{Observer: &Observer{FlowStart: func(context.Context, string) (context.Context, func(error)) {
		return nil, nil // a careless observer: the flow keeps its own context and ends quietly
	}}})
	require.ErrorIs(t, prologue(s, context.Background()), errPrologue)
}

func TestStatsCountHeldHashSlots(t *testing.T) {
	s := newTestService(t, Config{MaxConcurrentHashes: 3, QueueSize: 7})
	st := s.Stats()
	assert.Equal(t, Stats{HashSlots: 3, QueueCapacity: 7, SMSBudgetPerHour: s.lim.SMSBudgetPerHour}, st)
	_, release, err := s.holdSlot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, s.Stats().HashSlotsInUse)
	release()
	assert.Equal(t, 0, s.Stats().HashSlotsInUse)
}

// BenchmarkFlowPrologue measures the prologue of a flow with no Observer
// and with one whose FlowStart does nothing.
func BenchmarkFlowPrologue(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, cfg Config) {
		cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
		s, err := New(nopStore{}, NotifierFunc(func(context.Context, Message) error { return nil }), cfg)
		require.NoError(b, err)
		b.Cleanup(func() { _ = s.Close(context.Background()) })
		b.ReportAllocs()
		for b.Loop() {
			_ = prologue(s, ctx)
		}
	}
	b.Run("nil", func(b *testing.B) { run(b, Config{}) })
	b.Run("observer", func(b *testing.B) {
		run(b, Config{Observer: &Observer{FlowStart: func(ctx context.Context, _ string) (context.Context, func(error)) {
			return ctx, func(error) {}
		}}})
	})
}
