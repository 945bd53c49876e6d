package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
)

func TestInboxKeepsTheLastMessagesNewestFirst(t *testing.T) {
	var printed []string
	next := security.NotifierFunc(func(_ context.Context, m security.Message) error {
		printed = append(printed, m.Code)
		return nil
	})
	at := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	in := NewInbox(3, next, func() time.Time { return at })
	assert.Empty(t, in.Messages())

	for _, code := range []string{"100001", "100002", "100003", "100004", "100005"} {
		require.NoError(t, in.Send(context.Background(), security.Message{
			Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone, Code: code,
		}))
	}
	assert.Equal(t, []string{"100001", "100002", "100003", "100004", "100005"}, printed, "every message is printed")
	got := in.Messages()
	require.Len(t, got, 3)
	for i, want := range []struct {
		id   int64
		code string
	}{{5, "100005"}, {4, "100004"}, {3, "100003"}} {
		assert.Equal(t, want.id, got[i].ID)
		assert.Equal(t, want.code, got[i].Code)
		assert.Equal(t, "sms", got[i].Channel)
		assert.Equal(t, "bind_phone", got[i].Purpose)
		assert.Equal(t, at, got[i].Time)
	}
}

func TestInboxRecordsOnlyWhatWasPrinted(t *testing.T) {
	failure := errors.New("printer on fire")
	fail := true
	next := security.NotifierFunc(func(context.Context, security.Message) error {
		if fail {
			return failure
		}
		return nil
	})
	in := NewInbox(2, next, time.Now)
	err := in.Send(context.Background(), security.Message{Channel: security.ChannelEmail, To: "a@example.com", Code: "123456"})
	require.ErrorIs(t, err, failure)
	assert.Empty(t, in.Messages())

	fail = false
	require.NoError(t, in.Send(context.Background(), security.Message{Channel: security.ChannelEmail, To: "a@example.com", Link: "http://x/verifyMail?token=t"}))
	got := in.Messages()
	require.Len(t, got, 1)
	assert.Equal(t, int64(1), got[0].ID)
	assert.Equal(t, "http://x/verifyMail?token=t", got[0].Link)
}
