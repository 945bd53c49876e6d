package captcha_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/captcha"
)

// verifierStub answers err and records what it was asked.
type verifierStub struct {
	err    error
	calls  int
	ticket captcha.Ticket
	ip     string
}

func (v *verifierStub) Verify(_ context.Context, t captcha.Ticket, ip string) error {
	v.calls++
	v.ticket, v.ip = t, ip
	return v.err
}

var smsBind = security.SendRequest{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeBindPhone, UserID: "u1", ClientIP: "203.0.113.9"}

func withTicket() context.Context {
	return captcha.WithTicket(context.Background(), captcha.Ticket{Value: "tr03ticket", Randstr: "@abc"})
}

func TestVetoOutcomes(t *testing.T) {
	unavailable := &captcha.ProviderError{Provider: "aliyun", HTTPStatus: 503, Err: captcha.ErrUnavailable}
	rejected := &captcha.ProviderError{Provider: "aliyun", HTTPStatus: 200, Code: "F008", Err: captcha.ErrRejected}
	for _, tt := range []struct {
		name      string
		ctx       context.Context
		verify    error
		failOpen  bool
		want      error // nil = the send goes through
		calls     int
		onError   int
		onRefused int
	}{
		{name: "no ticket", ctx: context.Background(), want: captcha.ErrRequired, onRefused: 1},
		{name: "randstr only", ctx: captcha.WithTicket(context.Background(), captcha.Ticket{Randstr: "@abc"}), want: captcha.ErrRequired, onRefused: 1},
		{name: "no ticket, fail-open", ctx: context.Background(), failOpen: true, want: captcha.ErrRequired, onRefused: 1},
		{name: "passed", ctx: withTicket(), calls: 1},
		{name: "rejected", ctx: withTicket(), verify: rejected, want: captcha.ErrRejected, calls: 1, onRefused: 1},
		{name: "rejected, fail-open", ctx: withTicket(), verify: rejected, failOpen: true, want: captcha.ErrRejected, calls: 1, onRefused: 1},
		{name: "unavailable, fail-closed", ctx: withTicket(), verify: unavailable, want: captcha.ErrUnavailable, calls: 1, onError: 1},
		{name: "unavailable, fail-open", ctx: withTicket(), verify: unavailable, failOpen: true, calls: 1, onError: 1},
		{name: "no client IP, fail-open", ctx: withTicket(), verify: captcha.ErrNoClientIP, failOpen: true, want: captcha.ErrNoClientIP, calls: 1, onError: 1},
		{name: "other error, fail-open", ctx: withTicket(), verify: errors.New("reading nonce: broken"), failOpen: true, want: security.ErrSendRefused, calls: 1, onError: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := &verifierStub{err: tt.verify}
			var onError, onRefused []error
			veto, err := captcha.Veto(v, captcha.Options{
				FailOpen: tt.failOpen,
				OnError: func(_ context.Context, req security.SendRequest, err error) {
					assert.Equal(t, smsBind, req)
					onError = append(onError, err)
				},
				OnRefused: func(_ context.Context, req security.SendRequest, err error) {
					assert.Equal(t, smsBind, req)
					onRefused = append(onRefused, err)
				},
			})
			require.NoError(t, err)
			got := veto(tt.ctx, smsBind)
			if tt.want == nil {
				require.NoError(t, got)
			} else {
				require.ErrorIs(t, got, tt.want)
				require.ErrorIs(t, got, security.ErrSendRefused, "a refusal, for httpadapter's 403 send_refused")
				assert.NotContains(t, got.Error(), "tr03ticket")
			}
			assert.Equal(t, tt.calls, v.calls)
			assert.Len(t, onError, tt.onError)
			assert.Len(t, onRefused, tt.onRefused)
			if tt.calls > 0 {
				assert.Equal(t, captcha.Ticket{Value: "tr03ticket", Randstr: "@abc"}, v.ticket)
				assert.Equal(t, "203.0.113.9", v.ip, "the SendRequest's client IP")
			}
		})
	}
}

func TestVetoCancelledRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(withTicket())
	v := captcha.VerifierFunc(func(ctx context.Context, _ captcha.Ticket, _ string) error {
		cancel()
		return fmt.Errorf("captcha: aliyun: request failed: %w: %w", captcha.ErrUnavailable, ctx.Err())
	})
	onError := 0
	veto, err := captcha.Veto(v, captcha.Options{FailOpen: true, OnError: func(context.Context, security.SendRequest, error) { onError++ }})
	require.NoError(t, err)
	got := veto(ctx, smsBind)
	require.ErrorIs(t, got, context.Canceled, "the client went away: not a provider outage, and not let through")
	assert.NotErrorIs(t, got, security.ErrSendRefused)
	assert.Zero(t, onError)
}

func TestVetoScope(t *testing.T) {
	email := security.SendRequest{Channel: security.ChannelEmail, To: "a@example.com", Purpose: security.PurposeVerifyEmail, ClientIP: "203.0.113.9"}
	forgot := security.SendRequest{Channel: security.ChannelSMS, To: "+8613800138000", Purpose: security.PurposeForgotPassword, ClientIP: "203.0.113.9"}
	for _, tt := range []struct {
		name    string
		opts    captcha.Options
		req     security.SendRequest
		checked bool
	}{
		{"sms by default", captcha.Options{}, smsBind, true},
		{"forgot password by default", captcha.Options{}, forgot, true},
		{"email not by default", captcha.Options{}, email, false},
		{"email when asked", captcha.Options{Channels: []security.Channel{security.ChannelSMS, security.ChannelEmail}}, email, true},
		{"purpose listed", captcha.Options{Purposes: []security.Purpose{security.PurposeForgotPassword}}, forgot, true},
		{"purpose not listed", captcha.Options{Purposes: []security.Purpose{security.PurposeForgotPassword}}, smsBind, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			veto, err := captcha.Veto(&verifierStub{}, tt.opts)
			require.NoError(t, err)
			err = veto(context.Background(), tt.req) // no ticket: refused only if checked
			if tt.checked {
				require.ErrorIs(t, err, captcha.ErrRequired)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestVetoRefusesConfig(t *testing.T) {
	_, err := captcha.Veto(nil, captcha.Options{})
	require.Error(t, err)
	_, err = captcha.Veto(&verifierStub{}, captcha.Options{Channels: []security.Channel{"fax"}})
	require.Error(t, err)
}

func TestTicketHidden(t *testing.T) {
	tk := captcha.Ticket{Value: "tr03secretticket", Randstr: "@rand"}
	for _, s := range []string{fmt.Sprint(tk), fmt.Sprintf("%v %+v %#v %s", tk, tk, tk, tk), tk.LogValue().String()} {
		assert.NotContains(t, s, "tr03secretticket")
		assert.NotContains(t, s, "@rand")
	}
	got, ok := captcha.TicketFrom(captcha.WithTicket(context.Background(), tk))
	require.True(t, ok)
	assert.Equal(t, tk, got)
	_, ok = captcha.TicketFrom(context.Background())
	assert.False(t, ok)
}
