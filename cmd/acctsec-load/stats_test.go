package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		d := make([]time.Duration, len(ns))
		for i, n := range ns {
			d[i] = time.Duration(n) * time.Millisecond
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"median of even is the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 1..100", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentile(tt.sorted, tt.p))
		})
	}
}

func TestRecorder(t *testing.T) {
	r := newRecorder(5)
	for range 5 {
		require.True(t, r.take())
	}
	require.False(t, r.take(), "the request budget is spent")

	r.request("a", outcomeOK, 30*time.Millisecond, "")
	r.request("a", outcomeOK, 10*time.Millisecond, "")
	r.request("a", outcomeThrottled, 20*time.Millisecond, "")
	r.request("b", outcomeError, 40*time.Millisecond, "403/wrong_password")
	r.request("b", outcomeCancelled, time.Second, "")
	r.flow("f", outcomeOK, 50*time.Millisecond)

	rep := r.report(2*time.Second, 3)
	require.Len(t, rep.Steps, 2)
	a, b := rep.Steps[0], rep.Steps[1]
	assert.Equal(t, summary{Name: "a", Count: 3, OK: 2, Throttled: 1, P50: 20 * time.Millisecond, P95: 30 * time.Millisecond,
		P99: 30 * time.Millisecond, Max: 30 * time.Millisecond}, a)
	assert.Equal(t, 1, b.Count, "a cancelled request is not a completed one")
	assert.Equal(t, 1, b.Cancelled)
	assert.Equal(t, 1, b.Errors)
	assert.Equal(t, map[string]int{"b 403/wrong_password": 1}, rep.Errors)
	assert.Equal(t, 4, rep.Overall.Count)
	assert.Equal(t, 40*time.Millisecond, rep.Overall.Max)
	require.Len(t, rep.Flows, 1)

	var out bytes.Buffer
	rep.print(&out)
	assert.Contains(t, out.String(), "4 requests (2.0/s): 2 ok, 1 throttled (429), 1 errors, 1 cancelled")
	assert.Contains(t, out.String(), "b 403/wrong_password")
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		url  string
		want string // "" when refused
	}{
		{"http://127.0.0.1:8287", "http://127.0.0.1:8287"},
		{"http://127.0.0.1:8287/", "http://127.0.0.1:8287"},
		{"http://127.9.8.7:80", "http://127.9.8.7:80"},
		{"http://[::1]:8287", "http://[::1]:8287"},
		{"http://localhost:8287", "http://localhost:8287"},
		{"http://10.0.0.1:8287", ""},
		{"http://example.com", ""},
		{"http://localhost.example.com:8287", ""},
		{"http://0.0.0.0:8287", ""},
		{"ftp://127.0.0.1", ""},
		{"127.0.0.1:8287", ""},
		{"http://127.0.0.1:8287/api", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := loopbackBase(tt.url)
			if tt.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseArgsBounds(t *testing.T) {
	for _, args := range [][]string{
		{"-d", "11m"}, {"-d", "0s"}, {"-c", "0"}, {"-c", "5000"}, {"-n", "0"},
		{"-url", "http://192.0.2.1:8287"}, {"extra"},
	} {
		_, err := parseArgs(args, &bytes.Buffer{})
		assert.Error(t, err, "%q", args)
	}
	c, err := parseArgs(nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8287", c.url)
	c, err = parseArgs([]string{"-url", "http://localhost:8287/"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:8287", c.url, "the base, trimmed once")
}
