package notify_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/notify"
)

func TestRouter(t *testing.T) {
	sms, email, notices := &fake{}, &fake{}, &fake{}
	r := notify.Router{
		SMS:   sms,
		Email: email,
		Purposes: map[security.Purpose]security.Notifier{
			security.PurposePasswordChanged: notices,
			security.PurposePhoneBound:      notify.Router{Email: notices, SMS: notify.Discard},
		},
	}
	tests := []struct {
		name    string
		channel security.Channel
		purpose security.Purpose
		want    *fake // nil: discarded
	}{
		{"SMS code", security.ChannelSMS, security.PurposeBindPhone, sms},
		{"email code", security.ChannelEmail, security.PurposeVerifyEmail, email},
		{"purpose override by SMS", security.ChannelSMS, security.PurposePasswordChanged, notices},
		{"purpose override by email", security.ChannelEmail, security.PurposePasswordChanged, notices},
		{"nested router, email", security.ChannelEmail, security.PurposePhoneBound, notices},
		{"nested router, SMS discarded", security.ChannelSMS, security.PurposePhoneBound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[*fake]int{sms: sms.calls, email: email.calls, notices: notices.calls}
			require.NoError(t, r.Send(context.Background(), security.Message{Channel: tt.channel, Purpose: tt.purpose}))
			for f, n := range before {
				want := n
				if f == tt.want {
					want++
				}
				assert.Equal(t, want, f.calls)
			}
		})
	}
}

func TestRouterNoRoute(t *testing.T) {
	tests := []struct {
		name string
		r    notify.Router
		m    security.Message
	}{
		{"zero router", notify.Router{}, security.Message{Channel: security.ChannelSMS}},
		{"no email route", notify.Router{SMS: &fake{}}, security.Message{Channel: security.ChannelEmail}},
		{"unknown channel", notify.Router{SMS: &fake{}, Email: &fake{}}, security.Message{Channel: "pigeon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.r.Send(context.Background(), tt.m), notify.ErrNoRoute)
		})
	}
}
