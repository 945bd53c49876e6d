package notify_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify"
)

func TestWriterLines(t *testing.T) {
	tests := []struct {
		name string
		msg  security.Message
		want string
	}{
		{"sms code", security.Message{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone, Code: "123456", UserID: "u1"},
			`{"channel":"sms","to":"+8613800138000","purpose":"bind_phone","code":"123456"}`},
		{"email link", security.Message{Channel: security.ChannelEmail, To: "a@example.com", Purpose: security.PurposeVerifyEmail, Code: "1", Link: "https://x/v?t=a&b"},
			`{"channel":"email","to":"a@example.com","purpose":"verify_email","code":"1","link":"https://x/v?t=a\u0026b"}`},
		{"notice", security.Message{Channel: security.ChannelEmail, To: "a@example.com", Purpose: security.PurposePasswordChanged},
			`{"channel":"email","to":"a@example.com","purpose":"password_changed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, notify.NewWriter(&buf).Send(context.Background(), tt.msg))
			assert.Equal(t, tt.want+"\n", buf.String())
		})
	}
}

func TestWriterContextDone(t *testing.T) {
	var buf bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, notify.NewWriter(&buf).Send(ctx, security.Message{Code: "1"}), context.Canceled)
	assert.Zero(t, buf.Len())
}

func TestWriterConcurrent(t *testing.T) {
	const goroutines, each = 16, 50
	var buf bytes.Buffer // not safe for concurrent use by itself
	w := notify.NewWriter(&buf)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				m := security.Message{Channel: security.ChannelSMS, To: fmt.Sprintf("+86138%08d", g), Purpose: security.PurposeBindPhone, Code: fmt.Sprintf("%06d", i)}
				assert.NoError(t, w.Send(context.Background(), m))
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var l struct{ To, Code string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "line %q", sc.Text())
		seen[l.To+"/"+l.Code] = true
	}
	assert.Len(t, seen, goroutines*each)
}

func TestStdoutIsShared(t *testing.T) {
	assert.Same(t, notify.Stdout(), notify.Stdout())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriterError(t *testing.T) {
	err := notify.NewWriter(failingWriter{}).Send(context.Background(), security.Message{})
	require.ErrorContains(t, err, "disk full")
}
