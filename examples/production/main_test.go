package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/examples/internal/demotest"
)

func TestParseSettings(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    settings
		wantErr string
	}{
		{name: "defaults", want: settings{otel: "off", addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
			requestTimeout: 10 * time.Second, cleanupInterval: time.Minute}},
		{name: "environment",
			env: map[string]string{"ACCTSEC_POSTGRES_URL": "postgres://db/x", "ACCTSEC_REDIS_URL": "redis://r:1/2",
				"ACCTSEC_ADDR": ":9", "ACCTSEC_SCHEMA": "s", "ACCTSEC_PREFIX": "p:", "ACCTSEC_REQUEST_TIMEOUT": "3s",
				"ACCTSEC_CLEANUP_INTERVAL": "5m", "ACCTSEC_SECRET": secret, "ACCTSEC_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8"},
			want: settings{otel: "off", addr: ":9", postgres: "postgres://db/x", redis: "redis://r:1/2", schema: "s", prefix: "p:",
				requestTimeout: 3 * time.Second, cleanupInterval: 5 * time.Minute, secret: bytes.Repeat([]byte{7}, 32),
				trustedProxies: prefixes("10.0.0.0/8", "fd00::/8")}},
		{name: "flags win over environment",
			args: []string{"-postgres", "postgres://flag/x", "-redis", "redis://flag:1/0", "-addr", ":8", "-schema", "fs",
				"-prefix", "fp:", "-request-timeout", "1s", "-cleanup-interval", "30s", "-max-limits",
				"-trusted-proxies", "192.168.1.7/32"},
			env: map[string]string{"ACCTSEC_POSTGRES_URL": "postgres://db/x", "ACCTSEC_REDIS_URL": "redis://r:1/2",
				"ACCTSEC_SCHEMA": "s", "ACCTSEC_PREFIX": "p:", "ACCTSEC_REQUEST_TIMEOUT": "3s", "ACCTSEC_TRUSTED_PROXIES": "10.0.0.0/8"},
			want: settings{otel: "off", addr: ":8", postgres: "postgres://flag/x", redis: "redis://flag:1/0", schema: "fs", prefix: "fp:",
				requestTimeout: time.Second, cleanupInterval: 30 * time.Second, maxLimits: true,
				trustedProxies: prefixes("192.168.1.7/32")}},
		{name: "empty flag trusts nothing despite environment", args: []string{"-trusted-proxies", ""},
			env: map[string]string{"ACCTSEC_TRUSTED_PROXIES": "10.0.0.0/8"},
			want: settings{otel: "off", addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
				requestTimeout: 10 * time.Second, cleanupInterval: time.Minute}},
		{name: "trusted proxies: blank entries skipped, host bits masked", args: []string{"-trusted-proxies", " 10.1.2.3/8,, 2001:db8::1/32 ,"},
			want: settings{otel: "off", addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
				requestTimeout: 10 * time.Second, cleanupInterval: time.Minute, trustedProxies: prefixes("10.0.0.0/8", "2001:db8::/32")}},
		{name: "trusted proxy without a length", env: map[string]string{"ACCTSEC_TRUSTED_PROXIES": "10.0.0.0/8,10.1.2.3"},
			wantErr: `ACCTSEC_TRUSTED_PROXIES): "10.1.2.3" is not a CIDR prefix`},
		{name: "trusted proxy not an address", args: []string{"-trusted-proxies", "proxy.internal/24"},
			wantErr: `-trusted-proxies (ACCTSEC_TRUSTED_PROXIES): "proxy.internal/24"`},
		{name: "trusted proxy length too long", args: []string{"-trusted-proxies", "10.0.0.0/33"}, wantErr: `"10.0.0.0/33"`},
		{name: "client IP header", args: []string{"-trusted-proxies", "10.0.0.0/8", "-client-ip-header", " X-Real-IP "},
			env: map[string]string{"ACCTSEC_CLIENT_IP_HEADER": "CF-Connecting-IP"},
			want: settings{addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
				requestTimeout: 10 * time.Second, cleanupInterval: time.Minute, trustedProxies: prefixes("10.0.0.0/8"),
				clientIPHeader: "X-Real-IP", otel: otelOff}},
		{name: "client IP header from the environment", env: map[string]string{"ACCTSEC_TRUSTED_PROXIES": "10.0.0.0/8",
			"ACCTSEC_CLIENT_IP_HEADER": "CF-Connecting-IP"},
			want: settings{addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
				requestTimeout: 10 * time.Second, cleanupInterval: time.Minute, trustedProxies: prefixes("10.0.0.0/8"),
				clientIPHeader: "CF-Connecting-IP", otel: otelOff}},
		{name: "client IP header without trusted proxies", args: []string{"-client-ip-header", "X-Real-IP"},
			wantErr: "-client-ip-header (ACCTSEC_CLIENT_IP_HEADER) is read only from -trusted-proxies"},
		{name: "client IP header not a name", args: []string{"-trusted-proxies", "10.0.0.0/8", "-client-ip-header", "X Real IP:"},
			wantErr: `"X Real IP:" is not a header name`},
		{name: "short secret", env: map[string]string{"ACCTSEC_SECRET": base64.StdEncoding.EncodeToString([]byte("short"))},
			wantErr: "ACCTSEC_SECRET"},
		{name: "secret not base64", env: map[string]string{"ACCTSEC_SECRET": "not base64 at all!"}, wantErr: "ACCTSEC_SECRET"},
		{name: "bad duration", env: map[string]string{"ACCTSEC_REQUEST_TIMEOUT": "soon"}, wantErr: "ACCTSEC_REQUEST_TIMEOUT"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "nope"},
		{name: "max-limits takes a bool", args: []string{"-max-limits=maybe"}, wantErr: "max-limits"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected"},
		{name: "otel from the environment", env: map[string]string{"ACCTSEC_OTEL": "otlp"},
			want: settings{otel: "otlp", addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
				requestTimeout: 10 * time.Second, cleanupInterval: time.Minute}},
		{name: "otel flag wins", args: []string{"-otel", "stdout"}, env: map[string]string{"ACCTSEC_OTEL": "otlp"},
			want: settings{otel: "stdout", addr: defaultAddr, postgres: defaultPostgresURL, redis: defaultRedisURL,
				requestTimeout: 10 * time.Second, cleanupInterval: time.Minute}},
		{name: "otel unknown exporter", args: []string{"-otel", "jaeger"}, wantErr: `-otel (ACCTSEC_OTEL): "jaeger"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			got, err := parseSettings(tc.args, getenv, io.Discard)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				if v := tc.env["ACCTSEC_SECRET"]; v != "" {
					assert.NotContains(t, err.Error(), v)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestRunShutsDown: run migrates its schema, serves, prints its curl
// examples (and a warning with -max-limits) and returns cleanly (cleanup
// loop stopped, pool and client closed: TestMain checks for goroutines)
// when its context ends.
func TestRunShutsDown(t *testing.T) {
	requireServices(t)
	schema, prefix := isolate(t)
	env := map[string]string{"ACCTSEC_POSTGRES_URL": postgresURL(), "ACCTSEC_REDIS_URL": redisURL(), "ACCTSEC_PREFIX": prefix}
	getenv := func(k string) string { return env[k] }

	demotest.CheckMaxLimitsFlag(t, func(t *testing.T, extra ...string) string {
		args := append([]string{"-addr", "127.0.0.1:0", "-schema", schema}, extra...)
		stderr, stop := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
			return run(ctx, args, getenv, io.Discard, stderr)
		})
		require.NoError(t, stop())
		out := stderr.String()
		assert.Contains(t, out, "\naccount-security example server on http://127.0.0.1:")
		assert.Contains(t, out, "ACCTSEC_SECRET not set")
		assert.Contains(t, out, "/demo/register")
		return out
	})

	// A database nobody listens on: run fails at Migrate, within its start-up deadline.
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-postgres", "postgres://postgres@127.0.0.1:1/test?sslmode=disable"},
		getenv, io.Discard, io.Discard)
	require.Error(t, err)
	require.Error(t, run(context.Background(), []string{"-addr", "256.0.0.1:bad"}, getenv, io.Discard, io.Discard))
}

// TestRunExportsTelemetry: with -otel stdout, run prints the spans of the
// requests it served and its metrics on stderr when it shuts down, with
// none of the request's personal data, and leaves no exporter goroutine
// behind (TestMain).
func TestRunExportsTelemetry(t *testing.T) {
	requireServices(t)
	schema, prefix := isolate(t)
	env := map[string]string{"ACCTSEC_POSTGRES_URL": postgresURL(), "ACCTSEC_REDIS_URL": redisURL(), "ACCTSEC_PREFIX": prefix}
	args := []string{"-addr", "127.0.0.1:0", "-schema", schema, "-otel", "stdout"}
	stderr, stop := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
		return run(ctx, args, func(k string) string { return env[k] }, io.Discard, stderr)
	})
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(stderr.String())
	require.NotEmpty(t, base)
	const user, phone = "otel-user-5d2e", "+8613800138555"
	res, err := http.PostForm(base+"/demo/register", url.Values{"userId": {user}, "password": {"violet tractor umbrella"}, "phone": {phone}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	req, err := http.NewRequest(http.MethodGet, base+"/member/userservice/security/status", nil)
	require.NoError(t, err)
	req.Header.Set("X-User-ID", user)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.NoError(t, stop())

	out := stderr.String()
	for _, want := range []string{`"Name": "POST /demo/register"`, `"Name": "create_account"`, `"Name": "acctsec.store CreateAccount"`,
		`"Name": "GET /member/userservice/security/status"`, `"Name": "acctsec.hash.duration"`, `"Value": "acctsec-production"`} {
		assert.Contains(t, out, want)
	}
	for _, secret := range []string{user, phone, "13800138555"} {
		assert.NotContains(t, out, secret)
	}
}
