package demo_test

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security"
	"github.com/acctsec/security/examples/internal/demo"
)

// TestMaxLimitsAtTheTop: security.New accepts MaxLimits, and refuses it as
// soon as any one of its throttles goes one step further (up for the
// counts, down for the cooldown): each sits at the top of its range.
func TestMaxLimitsAtTheTop(t *testing.T) {
	_, err := newService(t, demo.MaxLimits())
	require.NoError(t, err)

	tests := []struct {
		field string
		raise func(*security.Limits)
	}{
		{"SendsPerHour", func(l *security.Limits) { l.SendsPerHour++ }},
		{"SendsPerDay", func(l *security.Limits) { l.SendsPerDay++ }},
		{"SendsPerIPHour", func(l *security.Limits) { l.SendsPerIPHour++ }},
		{"SendsPerAccountHour", func(l *security.Limits) { l.SendsPerAccountHour++ }},
		{"SMSBudgetPerHour", func(l *security.Limits) { l.SMSBudgetPerHour++ }},
		{"SendCooldown", func(l *security.Limits) { l.SendCooldown -= time.Second }},
		{"DestinationFailures", func(l *security.Limits) { l.DestinationFailures++ }},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			l := demo.MaxLimits()
			tc.raise(&l)
			_, err := newService(t, l)
			require.ErrorContains(t, err, "Limits."+tc.field)
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		max  bool
		want security.Limits
		warn bool
	}{
		{name: "defaults", want: security.Limits{}},
		{name: "max", max: true, want: demo.MaxLimits(), warn: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			got := demo.Limits(tc.max, slog.New(slog.NewTextHandler(&log, nil)))
			assert.Equal(t, tc.want, got)
			if !tc.warn {
				assert.Empty(t, log.String())
				return
			}
			assert.Contains(t, log.String(), "level=WARN")
			assert.Contains(t, log.String(), "-max-limits")
			assert.Equal(t, 1, bytes.Count(log.Bytes(), []byte("\n")), "one line")
		})
	}
}
