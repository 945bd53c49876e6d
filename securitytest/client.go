package securitytest

import (
	"context"

	"github.com/acctsec/security"
)

// Client returns a background context carrying a security.Client with
// address ip, as an HTTP adapter would set it. The flows that send codes
// throttle per client IP, and refuse a context without one when
// Config.RequireClientIP is set. Use addresses reserved for documentation
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
func Client(ip string) context.Context {
	return security.WithClient(context.Background(), security.Client{IP: ip})
}
