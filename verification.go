package security

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// storeErr wraps an unexpected store failure. The store's text stays in the
// error chain for the host's logs; the HTTP adapter never shows it.
func (s *Service) storeErr(err error) error {
	return fmt.Errorf("security: store: %w", err)
}

func rateLimited(wait time.Duration) error {
	return &RateLimitError{RetryAfter: ceilSecond(wait)}
}

// throttleSend applies, in order, the per-IP, per-account and
// per-destination send limits and the destination's failure block, then the
// host's veto. Every check that passes is counted, so a request refused
// later still spends its IP and account budget; that is deliberate.
func (s *Service) throttleSend(ctx context.Context, req SendRequest, userID string) error {
	now := s.now()
	checks := []struct {
		reason string
		run    func() (time.Duration, error)
	}{
		{"ip", func() (time.Duration, error) {
			ip := ClientFrom(ctx).IP
			if ip == "" {
				// No client IP (a Go API call without WithClient, a unix
				// socket): one shared bucket would let anyone exhaust it for
				// everyone, so there is no per-IP limit; the others apply.
				return 0, nil
			}
			return s.store.Allow(ctx, s.key("send-ip", ipBucket(ip)), now, []Window{{time.Hour, s.lim.SendsPerIPHour}})
		}},
		{"account", func() (time.Duration, error) {
			if userID == "" {
				return 0, nil
			}
			return s.store.Allow(ctx, s.key("send-account", userID), now, []Window{{time.Hour, s.lim.SendsPerAccountHour}})
		}},
		{"destination_failures", func() (time.Duration, error) {
			st, err := s.store.AttemptStatus(ctx, s.key("fail", req.To), now, s.lim.destinationFailures())
			if err != nil || st.Allowed {
				return 0, err
			}
			return s.lockWait(st, now), nil
		}},
		{"destination", func() (time.Duration, error) {
			return s.store.Allow(ctx, s.key("send-dest", req.To), now, s.lim.destinationSends())
		}},
	}
	for _, c := range checks {
		wait, err := c.run()
		if err != nil {
			return s.storeErr(err)
		}
		if wait > 0 {
			s.emit(ctx, Event{Type: EventSendThrottled, UserID: userID, Destination: Mask(req.To), Purpose: req.Purpose, Reason: c.reason})
			return rateLimited(wait)
		}
	}
	if s.cfg.SendVeto != nil {
		if err := s.cfg.SendVeto(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

// ipBucket is the per-IP throttle's key for ip: the address itself for
// IPv4, its /64 for IPv6, since one subscriber usually holds a whole /64 and
// could otherwise rotate through 2^64 addresses. Anything unparsable is
// kept as it is.
func ipBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// issueCode stores a new code for scope and destination, voiding the
// previous one of the scope, and returns its digits.
func (s *Service) issueCode(ctx context.Context, scope, dest string) (string, error) {
	code, err := s.newCode()
	if err != nil {
		return "", err
	}
	c := Code{Scope: scope, MAC: s.codeMAC(scope, dest, code), ExpiresAt: s.now().Add(s.lim.CodeTTL)}
	if err := s.store.PutCode(ctx, c); err != nil {
		return "", s.storeErr(err)
	}
	return code, nil
}

// lockWait is how long a destination stays blocked.
func (s *Service) lockWait(a Attempt, now time.Time) time.Duration {
	if w := a.LockedUntil.Sub(now); !a.Forever && w > 0 {
		return w
	}
	return s.lim.DestinationFailureWindow
}

// validCodeFormat reports whether code is 6 ASCII digits.
func validCodeFormat(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// verifyCode checks code against the live code of scope for dest. It counts
// every failure against dest (all purposes share the count) before the
// code is even looked at, so parallel guessing cannot exceed the limits.
func (s *Service) verifyCode(ctx context.Context, scope, dest, code string, userID string, purpose Purpose) error {
	if code == "" {
		return fmt.Errorf("%w: code required", ErrInvalidArgument)
	}
	now := s.now()
	failKey := s.key("fail", dest)
	att, err := s.store.BeginAttempt(ctx, failKey, now, s.lim.destinationFailures())
	if err != nil {
		return s.storeErr(err)
	}
	if !att.Allowed {
		wait := s.lockWait(att, now)
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: userID, Destination: Mask(dest), Purpose: purpose, Reason: "destination_blocked"})
		return rateLimited(wait)
	}
	// A malformed code still costs a try: it is a wrong guess.
	mac := s.codeMAC(scope, dest, code)
	if !validCodeFormat(code) {
		mac = s.codeMAC(scope, dest, "malformed")
	}
	res, err := s.store.VerifyCode(ctx, scope, mac, now, s.lim.CodeTries)
	if err != nil {
		return s.storeErr(err)
	}
	switch res {
	case CodeMatched:
		if err := s.store.SucceedAttempt(ctx, failKey, att.ID, now); err != nil {
			// The code is already consumed; a stale failure count is harmless.
			s.log.WarnContext(ctx, "security: could not clear a verification failure", "error", err.Error())
		}
		return nil
	case CodeVoided:
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: userID, Destination: Mask(dest), Purpose: purpose, Reason: "voided"})
		return ErrTooManyAttempts
	case CodeWrong:
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: userID, Destination: Mask(dest), Purpose: purpose, Reason: "wrong_code"})
	default:
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: userID, Destination: Mask(dest), Purpose: purpose, Reason: "expired_or_used"})
	}
	return ErrInvalidCode
}

// SendPhoneCode sends an SMS code to phone for the signed-in user userID.
// The code binds that phone (BindPhone, or ChangePhone's new phone) or,
// when phone is the bound phone, proves possession of it (ResetPayPassword,
// ChangePhone's current phone). It is scoped to (userID,
// phone): it works for nothing else. A phone bound to another account is
// not refused here, so the answer reveals nothing about other accounts; the
// bind refuses it after the code proves possession. Delivery failures are
// returned (ErrDeliveryFailed) and leave no usable code behind.
func (s *Service) SendPhoneCode(ctx context.Context, userID, phone string) error {
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
	}
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	purpose := PurposeBindPhone
	if a.Phone == p.E164 {
		purpose = PurposeConfirmPhone
	}
	req := SendRequest{Channel: ChannelSMS, To: p.E164, Purpose: purpose, UserID: userID, ClientIP: ClientFrom(ctx).IP}
	if err := s.throttleSend(ctx, req, userID); err != nil {
		return err
	}
	scope := s.memberCodeScope(userID, p.E164)
	code, err := s.issueCode(ctx, scope, p.E164)
	if err != nil {
		return err
	}
	m := Message{Channel: ChannelSMS, To: p.E164, Purpose: purpose, Code: code, TTL: s.lim.CodeTTL,
		Locale: s.locale(ctx), UserID: userID, Time: s.now().UTC()}
	if err := s.deliver(ctx, m); err != nil {
		s.voidCode(ctx, scope)
		return err
	}
	s.emit(ctx, Event{Type: EventCodeSent, UserID: userID, Destination: Mask(p.E164), Purpose: purpose})
	return nil
}

func (s *Service) memberCodeScope(userID, e164 string) string {
	return s.key("code-member", userID, e164)
}

// voidCode deletes a code whose message could not be delivered. It uses a
// context that outlives the request's, so a cancelled request cannot leave
// a usable code behind.
func (s *Service) voidCode(ctx context.Context, scope string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.DeleteCode(ctx, scope); err != nil {
		s.log.ErrorContext(ctx, "security: could not void an undelivered code", "error", err.Error())
	}
}

// account loads userID's record, mapping a missing one to ErrAccountNotFound.
func (s *Service) account(ctx context.Context, userID string) (*Account, error) {
	a, err := s.store.GetAccount(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrAccountNotFound
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	return a, nil
}
