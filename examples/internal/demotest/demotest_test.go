package demotest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/examples/internal/demotest"
)

func TestLinesNextSkipsNotices(t *testing.T) {
	c := make(demotest.Lines, 4)
	fmt.Fprintln(c, `{"channel":"sms","to":"+8613800138000","purpose":"password_changed"}`)
	fmt.Fprintln(c, `{"channel":"sms","to":"+8613800138000","purpose":"bind_phone","code":"123456"}`)
	fmt.Fprintln(c, `{"channel":"email","to":"a@b.example","purpose":"verify_email","link":"http://x/?token=t"}`)
	assert.Equal(t, demotest.Message{Channel: "sms", To: "+8613800138000", Purpose: "bind_phone", Code: "123456"}, c.Next(t, "bind_phone"))
	assert.Equal(t, "http://x/?token=t", c.Next(t, "verify_email").Link)
	assert.Empty(t, c)
}

func TestClock(t *testing.T) {
	c := demotest.NewClock()
	start := c.Now()
	assert.Equal(t, start, start.Truncate(time.Millisecond))
	c.Advance(61 * time.Second)
	assert.Equal(t, start.Add(61*time.Second), c.Now())
}

// TestStart: Start returns once the banner is out, and stop cancels the
// run and hands back its error.
func TestStart(t *testing.T) {
	errStopped := errors.New("stopped")
	out, stop := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
		fmt.Fprint(stderr, "banner\n  ")
		fmt.Fprintln(stderr, demotest.Banner+" http://x/")
		<-ctx.Done()
		return errStopped
	})
	assert.Contains(t, out.String(), "banner")
	require.ErrorIs(t, stop(), errStopped)
	require.ErrorIs(t, stop(), errStopped, "stop is idempotent")
}
