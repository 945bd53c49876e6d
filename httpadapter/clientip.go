package httpadapter

import (
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds the forwarded entries read per request.
const maxForwardedHops = 32

// clientIP returns the client's address: the connection's peer, unless that
// peer is a trusted proxy, in which case the right-most address of header
// (its lines and comma-separated entries, right to left) that is not a
// trusted proxy. No other forwarding header is read, so a client cannot
// pick its address through a header the proxy does not set. Without the
// header the peer is the client; an entry that does not parse stops the
// walk, and the last trusted hop is used. It returns "" when RemoteAddr is
// not an IP address.
func clientIP(r *http.Request, trusted []netip.Prefix, header string) string {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return ""
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	lines := r.Header.Values(header)
	ip := peer
	hops := 0
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			var entry string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				entry, rest = rest, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			hops++
			a, ok := parseHost(entry)
			if !ok || hops > maxForwardedHops {
				return ip.String()
			}
			ip = a
			if !isTrusted(a, trusted) {
				return a.String()
			}
		}
	}
	return ip.String()
}

// parseHost reads "ip", "ip:port" or "[ipv6]:port", unmapping IPv4-in-IPv6
// and dropping any zone.
func parseHost(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
