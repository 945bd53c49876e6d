package main

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/acctsec/security/examples/internal/demotest"
)

// prefixes parses CIDRs for test tables.
func prefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

var baseRE = regexp.MustCompile(`server on (http://127\.0\.0\.1:[0-9]+)`)

// TestRunTrustedProxies: run hands -trusted-proxies (or
// ACCTSEC_TRUSTED_PROXIES) and -client-ip-header to the adapter. After one
// forwarded client IP has used up the per-IP send throttle (20 an hour), a
// request forwarded for another IP is served only when the proxy (this
// test, on loopback) is trusted and forwards in the named header;
// otherwise the header is ignored and both count as the proxy's own
// address. The "nginx" cases are a proxy that sets X-Real-IP and passes
// the client's own X-Forwarded-For through: named, X-Real-IP is believed
// and X-Forwarded-For is not.
func TestRunTrustedProxies(t *testing.T) {
	requireServices(t)
	tests := []struct {
		name      string
		args      []string
		env       string
		header    string // where the test proxy puts the client; "" X-Forwarded-For
		otherCode string
	}{
		{name: "flag", args: []string{"-trusted-proxies", "127.0.0.0/8"}, otherCode: "200"},
		{name: "environment", env: "192.0.2.0/24, 127.0.0.1/32", otherCode: "200"},
		{name: "none", otherCode: "429"},
		{name: "other network", args: []string{"-trusted-proxies", "10.0.0.0/8"}, otherCode: "429"},
		{name: "nginx X-Real-IP", args: []string{"-trusted-proxies", "127.0.0.0/8", "-client-ip-header", "X-Real-IP"},
			header: "X-Real-IP", otherCode: "200"},
		{name: "nginx: the client's X-Forwarded-For ignored", args: []string{"-trusted-proxies", "127.0.0.0/8", "-client-ip-header", "X-Real-IP"},
			otherCode: "429"},
		{name: "X-Real-IP not named", args: []string{"-trusted-proxies", "127.0.0.0/8"}, header: "X-Real-IP", otherCode: "429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema, prefix := isolate(t)
			env := map[string]string{"ACCTSEC_POSTGRES_URL": postgresURL(), "ACCTSEC_REDIS_URL": redisURL(),
				"ACCTSEC_PREFIX": prefix, "ACCTSEC_TRUSTED_PROXIES": tc.env}
			args := append([]string{"-addr", "127.0.0.1:0", "-schema", schema}, tc.args...)
			stderr, _ := demotest.Start(t, func(ctx context.Context, stderr io.Writer) error {
				return run(ctx, args, func(k string) string { return env[k] }, io.Discard, stderr)
			})
			m := baseRE.FindStringSubmatch(stderr.String())
			require.NotNil(t, m, "no base URL in %s", stderr.String())
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr}
			do := func(q req) answer {
				t.Helper()
				a, err := send(client, m[1], q)
				require.NoError(t, err)
				return a
			}

			users := []string{"u0", "u1", "u2"} // the per-account throttle is 10 an hour
			for _, u := range users {
				requireAnswer(t, do(req{method: http.MethodPost, path: "/demo/register",
					form: demotest.Form("userId", u, "password", password)}), "201", "")
			}
			fwd := xff
			if tc.header != "" {
				fwd = func(ip string) map[string]string { return map[string]string{tc.header: ip} }
			}
			const ip = "203.0.113.7"
			for i := range 20 {
				requireAnswer(t, do(sendCode(users[i%3], phoneN(i), fwd(ip))), "200", "")
			}
			requireAnswer(t, do(sendCode(users[20%3], phoneN(20), fwd(ip))), "429", "rate_limited")
			requireAnswer(t, do(sendCode(users[0], phoneN(21), fwd("203.0.113.8"))), tc.otherCode, "")
		})
	}
}
