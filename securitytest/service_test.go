package securitytest_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/securitytest"
)

const testIP = "203.0.113.7"

func TestNewServiceWiresTheFakes(t *testing.T) {
	s := securitytest.NewService(t)
	ctx := securitytest.Client(testIP)
	require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: "u1"}))
	require.NoError(t, s.SendPhoneCode(ctx, "u1", "13800138000"))

	m, ok := s.Outbox.Last(phone1)
	require.True(t, ok, "the Outbox is the Service's notifier")
	assert.Equal(t, securitytest.Start, m.Time, "the Clock is the Service's clock")
	sent := s.Events.Of(security.EventCodeSent)
	require.Len(t, sent, 1, "Events records OnEvent")
	assert.Equal(t, testIP, sent[0].ClientIP, "Client carries the IP to the flows")
	assert.Len(t, s.Config.Secret, 32)
	assert.Equal(t, securitytest.LinkBaseURL, s.Config.LinkBaseURL)

	// The store reads the Clock too: the code outlives neither.
	s.Clock.Advance(m.TTL + time.Second)
	require.ErrorIs(t, s.BindPhone(ctx, "u1", "13800138000", m.Code), security.ErrInvalidCode)

	// Fail makes the delivery fail; the Service logs it into Logs.
	s.Outbox.Fail(errors.New("provider down"))
	s.Clock.Advance(time.Minute)
	require.Error(t, s.SendPhoneCode(ctx, "u1", "13800138000"))
	failed := s.Outbox.Failed()
	require.Len(t, failed, 1)
	assert.Contains(t, s.Logs.String(), "delivery failed")
	assert.NotContains(t, s.Logs.String(), failed[0].Code)
}

func TestNewServiceSecretsDiffer(t *testing.T) {
	a, b := securitytest.NewService(t), securitytest.NewService(t)
	assert.NotEqual(t, a.Config.Secret, b.Config.Secret)
}

func TestWithConfig(t *testing.T) {
	var hostEvents atomic.Int32
	s := securitytest.NewService(t, securitytest.WithConfig(func(c *security.Config) {
		c.RequireClientIP = true
		c.OnEvent = func(context.Context, security.Event) { hostEvents.Add(1) }
	}))
	require.NoError(t, s.CreateAccount(context.Background(), security.NewAccount{UserID: "u1"}))
	err := s.SendPhoneCode(context.Background(), "u1", "13800138000")
	require.ErrorIs(t, err, security.ErrInvalidArgument, "the option reached the Config")
	require.NoError(t, s.SendPhoneCode(securitytest.Client(testIP), "u1", "13800138000"))
	assert.Equal(t, 1, s.Events.Count(security.EventCodeSent), "Events still records")
	assert.Equal(t, int32(len(s.Events.All())), hostEvents.Load(), "the host's OnEvent runs for every event")
}

func TestOpenRefusesBadConfig(t *testing.T) {
	_, err := securitytest.Open(securitytest.WithConfig(func(c *security.Config) { c.Secret = make([]byte, 32) }))
	require.Error(t, err)
}

// countingStore counts the codes the Service stores.
type countingStore struct {
	*memstore.Store
	codes atomic.Int32
}

func (s *countingStore) PutCode(ctx context.Context, now time.Time, c security.Code, gates []security.Hit) (bool, []security.Tally, error) {
	s.codes.Add(1)
	return s.Store.PutCode(ctx, now, c, gates)
}

func TestWithStoreAndClock(t *testing.T) {
	clock := securitytest.NewClock(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC))
	var wrapped *countingStore
	s := securitytest.NewService(t, securitytest.WithClock(clock), securitytest.WithStore(func(m *memstore.Store) security.Store {
		wrapped = &countingStore{Store: m}
		return wrapped
	}))
	assert.Same(t, clock, s.Clock)
	assert.Same(t, wrapped.Store, s.Store)
	ctx := securitytest.Client(testIP)
	require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: "u1"}))
	require.NoError(t, s.SendPhoneCode(ctx, "u1", "13800138000"))
	assert.Equal(t, int32(1), wrapped.codes.Load(), "the Service runs on the wrapper")
	assert.Equal(t, clock.Now(), s.Outbox.To(phone1)[0].Time)
}

// TestCleanupDrains checks that a background delivery queued when the test
// ends is delivered before the Service is gone.
func TestCleanupDrains(t *testing.T) {
	var s *securitytest.Service
	t.Run("inner", func(t *testing.T) {
		s = securitytest.NewService(t)
		ctx := securitytest.Client(testIP)
		require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: "u1", Phone: "13800138000"}))
		_, err := s.StartForgotPassword(ctx, "13800138000") // delivered in the background
		require.NoError(t, err)
	})
	assert.Equal(t, 1, s.Outbox.Count(phone1, security.PurposeForgotPassword))
	_, err := s.StartForgotPassword(securitytest.Client("203.0.113.8"), "13900139000")
	require.ErrorIs(t, err, security.ErrClosed, "the Service was closed")
}

func TestWaitForBackgroundDelivery(t *testing.T) {
	s := securitytest.NewService(t)
	ctx := securitytest.Client(testIP)
	require.NoError(t, s.CreateAccount(ctx, security.NewAccount{UserID: "u1", Phone: "13800138000"}))
	_, err := s.StartForgotPassword(ctx, "13800138000")
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := s.Outbox.Wait(wctx, phone1, 1)
	require.NoError(t, err)
	assert.Equal(t, security.PurposeForgotPassword, got[0].Purpose)
}
