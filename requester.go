package security

import (
	"context"
	"fmt"
	"net/netip"
)

// requester is the party behind a send or a verification: the one that
// pays for what it does. A member route's requester is the signed-in
// account; a public route's is the client IP's bucket, or nobody when the
// caller passed no IP.
//
// Failures against a destination are counted per (destination, requester),
// so a stranger's wrong guesses can block only that stranger, never the
// owner; the per-destination send budgets (one for the owner, one for
// everyone else) bound the guesses all requesters together can make.
type requester struct {
	kind string // "account", "ip", or "" (no IP known)
	id   string
	// owner: the request comes from the holder of the destination (signed
	// in as the account it is bound to, or from a device that account has
	// signed in on). The owner's sends have a budget of their own.
	owner bool
}

// member is the requester of a signed-in user's request.
func member(userID string) requester { return requester{kind: "account", id: userID} }

// owner is the requester of a signed-in user's request about the user's own
// bound phone or address.
func owner(userID string) requester { return requester{kind: "account", id: userID, owner: true} }

// memberFor is member, or owner when isOwner.
func memberFor(userID string, isOwner bool) requester {
	return requester{kind: "account", id: userID, owner: isOwner}
}

// public is the requester of an anonymous request: its client IP bucket.
// A malformed Client.IP is an error, so a misconfigured host learns at its
// first request that its per-IP throttle is not working.
func (s *Service) public(ctx context.Context) (requester, error) {
	ip := ClientFrom(ctx).IP
	if ip == "" {
		return requester{}, nil
	}
	b, err := ipBucket(ip)
	if err != nil {
		return requester{}, err
	}
	return requester{kind: "ip", id: b}, nil
}

// checkClientIP refuses, when Config.RequireClientIP is set, a send whose
// context carries no Client.IP: the per-IP throttle cannot apply to it.
func (s *Service) checkClientIP(ctx context.Context) error {
	if s.cfg.RequireClientIP && ClientFrom(ctx).IP == "" {
		return fmt.Errorf("%w: Config.RequireClientIP is set and the context carries no client IP; pass the request's with security.WithClient", ErrInvalidArgument)
	}
	return nil
}

// publicRequester is the requester of an anonymous request concerning the
// account holderID (or none): the holder itself when the client presents a
// device token of the holder, its IP bucket otherwise.
func (s *Service) publicRequester(ctx context.Context, holderID string) (requester, error) {
	if _, ok := s.deviceOf(ctx, holderID); ok {
		return requester{kind: "account", id: holderID, owner: true}, nil
	}
	return s.public(ctx)
}

// ipBucket is the per-IP throttle's key for ip: the address itself for
// IPv4, its /64 for IPv6, since one subscriber usually holds a whole /64 and
// could otherwise rotate through 2^64 addresses. It accepts a bare address
// or host:port (an unmodified http.Request.RemoteAddr) and refuses anything
// else.
func ipBucket(ip string) (string, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		ap, perr := netip.ParseAddrPort(ip)
		if perr != nil {
			return "", fmt.Errorf("security: Client.IP %q is neither an IP address nor host:port", ip)
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String(), nil
	}
	p, _ := a.Prefix(64)
	return p.String(), nil
}

// failKey counts the failed verifications of requester r against dest,
// whose shard tag is tag.
func (s *Service) failKey(tag, dest string, r requester) string {
	return s.taggedKey(tag, "fail", dest, r.kind, r.id)
}

// strangersFailKey counts the failed verifications against dest of every
// requester but its owner.
func (s *Service) strangersFailKey(tag, dest string) string {
	return s.taggedKey(tag, "fail-strangers", dest)
}

// missKey counts r's submissions that met no live code.
func (s *Service) missKey(r requester) string {
	return s.key("miss", r.kind, r.id)
}
