package securitytest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/securitytest"
)

const (
	phone1 = "+8613800138000"
	phone2 = "+8613900139000"
)

func msg(to string, p security.Purpose, code string) security.Message {
	return security.Message{Channel: security.ChannelSMS, To: to, Purpose: p, Code: code}
}

func TestOutboxCaptures(t *testing.T) {
	var o securitytest.Outbox
	ctx := context.Background()
	_, ok := o.Last(phone1)
	assert.False(t, ok)

	require.NoError(t, o.Send(ctx, msg(phone1, security.PurposeBindPhone, "111111")))
	require.NoError(t, o.Send(ctx, msg(phone2, security.PurposeBindPhone, "222222")))
	require.NoError(t, o.Send(ctx, msg(phone1, security.PurposeConfirmPhone, "333333")))
	require.NoError(t, o.Send(ctx, msg(phone1, security.PurposePhoneBound, "")))

	assert.Len(t, o.Messages(), 4)
	assert.Len(t, o.To(phone1), 3)
	assert.Equal(t, "222222", o.To(phone2)[0].Code)
	assert.Equal(t, 1, o.Count(phone1, security.PurposeBindPhone))
	assert.Equal(t, 1, o.Count(phone1, security.PurposePhoneBound))
	assert.Zero(t, o.Count(phone2, security.PurposePhoneBound))

	last, ok := o.Last(phone1)
	require.True(t, ok)
	assert.Equal(t, security.PurposeConfirmPhone, last.Purpose, "a notice without a code is skipped")
	assert.Equal(t, "333333", o.LastCode(t, phone1))
	assert.Empty(t, o.Failed())
}

// fatalTB records Fatalf instead of ending the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestOutboxLastCodeFailsWithoutCode(t *testing.T) {
	var o securitytest.Outbox
	require.NoError(t, o.Send(context.Background(), msg(phone1, security.PurposePhoneBound, "")))
	tb := &fatalTB{TB: t}
	assert.Empty(t, o.LastCode(tb, phone1))
	assert.Contains(t, tb.msg, "no code delivered")
	assert.NotContains(t, tb.msg, phone1, "the destination is masked")

	tb = &fatalTB{TB: t}
	assert.Empty(t, o.LastCode(tb, phone2))
	assert.NotEmpty(t, tb.msg)
}

func TestOutboxFail(t *testing.T) {
	var o securitytest.Outbox
	ctx := context.Background()
	outage := errors.New("provider down")
	o.Fail(outage)
	err := o.Send(ctx, msg(phone1, security.PurposeBindPhone, "111111"))
	require.ErrorIs(t, err, outage)
	assert.Empty(t, o.Messages(), "a failed send is not delivered")
	assert.Equal(t, []security.Message{msg(phone1, security.PurposeBindPhone, "111111")}, o.Failed())

	o.Fail(nil)
	require.NoError(t, o.Send(ctx, msg(phone1, security.PurposeBindPhone, "222222")))
	assert.Equal(t, "222222", o.LastCode(t, phone1))
	assert.Len(t, o.Failed(), 1)
}

func TestOutboxWait(t *testing.T) {
	t.Run("wakes on background sends", func(t *testing.T) {
		var o securitytest.Outbox
		release := make(chan struct{})
		go func() {
			<-release
			for i := range 3 {
				_ = o.Send(context.Background(), msg(phone2, security.PurposeBindPhone, "0"))
				_ = o.Send(context.Background(), msg(phone1, security.PurposeBindPhone, fmt.Sprint(i)))
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan []security.Message)
		go func() {
			got, err := o.Wait(ctx, phone1, 3)
			assert.NoError(t, err)
			done <- got
		}()
		close(release)
		got := <-done
		require.Len(t, got, 3)
		assert.Equal(t, "2", got[2].Code)
	})
	t.Run("already there: returns at once", func(t *testing.T) {
		var o securitytest.Outbox
		require.NoError(t, o.Send(context.Background(), msg(phone1, security.PurposeBindPhone, "1")))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got, err := o.Wait(ctx, phone1, 1)
		require.NoError(t, err, "a cancelled context does not matter when nothing is awaited")
		assert.Len(t, got, 1)
	})
	t.Run("context ends first: what there is and the error", func(t *testing.T) {
		var o securitytest.Outbox
		require.NoError(t, o.Send(context.Background(), msg(phone1, security.PurposeBindPhone, "1")))
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_ = o.Send(context.Background(), msg(phone2, security.PurposeBindPhone, "2"))
			cancel()
		}()
		got, err := o.Wait(ctx, phone1, 2)
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "1 of 2")
		assert.NotContains(t, err.Error(), phone1)
		assert.Len(t, got, 1)
	})
	t.Run("failed sends wake waiters but do not count", func(t *testing.T) {
		var o securitytest.Outbox
		o.Fail(errors.New("down"))
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_ = o.Send(context.Background(), msg(phone1, security.PurposeBindPhone, "1"))
			cancel()
		}()
		got, err := o.Wait(ctx, phone1, 1)
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, got)
	})
	t.Run("WaitFunc matches by purpose", func(t *testing.T) {
		var o securitytest.Outbox
		go func() {
			_ = o.Send(context.Background(), msg(phone1, security.PurposeBindPhone, "1"))
			_ = o.Send(context.Background(), msg(phone1, security.PurposePhoneBound, ""))
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got, err := o.WaitFunc(ctx, 1, func(m security.Message) bool { return m.Purpose == security.PurposePhoneBound })
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, security.PurposePhoneBound, got[0].Purpose)
	})
}
