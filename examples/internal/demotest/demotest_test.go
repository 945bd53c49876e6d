package demotest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

func TestForm(t *testing.T) {
	assert.Equal(t, url.Values{"a": {"1"}, "b": {"2"}}, demotest.Form("a", "1", "b", "2", "dangling"))
	assert.Empty(t, demotest.Form())
}

// TestNewRequest: the form rides in the query of a GET and in a
// urlencoded body otherwise; the member is named only when given.
func TestNewRequest(t *testing.T) {
	tests := []struct {
		name, method, user, query, body, contentType string
		form                                         url.Values
	}{
		{name: "get", method: http.MethodGet, user: "alice", form: demotest.Form("phone", "1 3"), query: "phone=1+3"},
		{name: "get without form", method: http.MethodGet},
		{name: "put", method: http.MethodPut, form: demotest.Form("message", "123456"), body: "message=123456",
			contentType: "application/x-www-form-urlencoded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := demotest.NewRequest(tc.method, "http://x/p", tc.user, tc.form)
			require.NoError(t, err)
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, "/p", r.URL.Path)
			assert.Equal(t, tc.query, r.URL.RawQuery)
			assert.Equal(t, tc.user, r.Header.Get("X-User-ID"))
			assert.Equal(t, tc.contentType, r.Header.Get("Content-Type"))
			body := ""
			if r.Body != nil {
				b, err := io.ReadAll(r.Body)
				require.NoError(t, err)
				body = string(b)
			}
			assert.Equal(t, tc.body, body)
		})
	}
	_, err := demotest.NewRequest("BAD METHOD", "http://x/", "", nil)
	require.Error(t, err)
}

// TestOutputZeroValue: a zero Output is a plain buffer safe for
// concurrent writers.
func TestOutputZeroValue(t *testing.T) {
	var o demotest.Output
	done := make(chan struct{})
	go func() {
		defer close(done)
		fmt.Fprint(&o, "a")
	}()
	fmt.Fprint(&o, "a")
	<-done
	assert.Equal(t, "aa", o.String())
}
