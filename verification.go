package security

import (
	"context"
	"errors"
	"fmt"
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

// throttleSend applies, in order, the per-IP and per-account send limits,
// the requester's failure block for the destination, the host's veto, and
// the destination's send limits. Every check that passes is counted, so a
// request refused later still spends its IP and account budget; that is
// deliberate. The veto comes before the destination's budget, so a refused
// send (no captcha) never spends it: strangers without a captcha cannot use
// up a victim's codes. The destination's budget is split: sends the owner
// asks for (rq.owner) have windows of their own, which requests from anyone
// else cannot spend. Every send passes here, so this is also where
// Config.RequireClientIP refuses a context without a client IP.
func (s *Service) throttleSend(ctx context.Context, req SendRequest, rq requester) error {
	if err := s.checkClientIP(ctx); err != nil {
		return err
	}
	ip, err := s.public(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	// check(reason) reads one limit's answer: a wait refuses the send.
	check := func(reason string) func(time.Duration, error) error {
		return func(wait time.Duration, err error) error {
			if err != nil {
				return s.storeErr(err)
			}
			if wait > 0 {
				s.emit(ctx, Event{Type: EventSendThrottled, UserID: req.UserID, Destination: Mask(req.To), Purpose: req.Purpose, Reason: reason})
				return rateLimited(wait)
			}
			return nil
		}
	}
	// No client IP (a Go API call without WithClient, a unix socket): one
	// shared bucket would let anyone exhaust it for everyone, so there is no
	// per-IP limit; the others apply.
	if ip.kind != "" {
		if err := check("ip")(s.store.Allow(ctx, s.key("send-ip", ip.id), now, []Window{{time.Hour, s.lim.SendsPerIPHour}})); err != nil {
			return err
		}
	}
	if rq.kind == "account" {
		if err := check("account")(s.store.Allow(ctx, s.key("send-account", rq.id), now, []Window{{time.Hour, s.lim.SendsPerAccountHour}})); err != nil {
			return err
		}
	}
	if err := check("destination_failures")(s.failureBlock(ctx, req.To, rq, now)); err != nil {
		return err
	}
	if s.cfg.SendVeto != nil {
		if err := s.cfg.SendVeto(ctx, req); err != nil {
			return err
		}
	}
	destKey := "send-dest"
	if rq.owner {
		destKey = "send-dest-owner"
	}
	return check("destination")(s.store.Allow(ctx, s.key(destKey, req.To), now, s.lim.destinationSends()))
}

// failureBlock reports how long rq stays blocked from sending to and
// verifying for dest, or 0: by its own failures, or, unless rq is the
// owner, by strangers' failures together. A requester without an identity
// (no IP, not signed in) has no count of its own, so that no shared bucket
// exists for one caller to fill against all; the strangers' count and the
// send budgets still bound its guesses.
func (s *Service) failureBlock(ctx context.Context, dest string, rq requester, now time.Time) (time.Duration, error) {
	for _, k := range s.failKeys(dest, rq, true) {
		st, err := s.store.AttemptStatus(ctx, k, now, s.lim.destinationFailures())
		if err != nil || !st.Allowed {
			return s.lockWait(st, now), err
		}
	}
	return 0, nil
}

// recordFailure counts a wrong guess at a live code of dest, on the keys
// failureBlock reads. For a code nobody received (sent false), the
// strangers' count is replaced by a shadow count that nothing reads: the
// guess blocks at most its own requester, yet the store work is the same as
// for a code that was sent, so it does not tell a phone with an account
// from one without. Both counts are bounded by the sends, and expire with
// the window.
func (s *Service) recordFailure(ctx context.Context, dest string, rq requester, sent bool, now time.Time) error {
	for _, k := range s.failKeys(dest, rq, sent) {
		if _, err := s.store.BeginAttempt(ctx, k, now, s.lim.destinationFailures()); err != nil {
			return err
		}
	}
	return nil
}

// failKeys are the failure counts of dest that rq's guesses move: its own
// (when it has an identity) and the strangers' (unless it is the owner), or
// the shadow count for a code that was never sent.
func (s *Service) failKeys(dest string, rq requester, sent bool) []string {
	keys := make([]string, 0, 2)
	if rq.kind != "" {
		keys = append(keys, s.failKey(dest, rq))
	}
	switch {
	case !sent:
		keys = append(keys, s.key("fail-shadow", dest))
	case !rq.owner:
		keys = append(keys, s.strangersFailKey(dest))
	}
	return keys
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

// codeCheck is one code submission.
type codeCheck struct {
	scope, dest, code string
	// rq submits it; userID and purpose are for events.
	rq      requester
	userID  string
	purpose Purpose
	// sent is false for a code that was stored only so that the store work
	// looks the same (a forgot-password start or a public email send for
	// which no account matched): nobody received it, so a guess at it
	// counts against nobody's destination and a match verifies nothing.
	sent bool
}

// verifyCode checks a code submission. The requester's failure block for
// the destination is looked at first; then the store checks the code,
// consuming it on a match or counting the wrong try on the code itself,
// which voids it at Limits.CodeTries. Only a wrong guess at a live code that
// was really sent counts as a failure against (destination, requester). A
// submission that meets no live code (never sent, expired, already used,
// the loser of a race of right answers) charges the requester's miss budget
// and nobody's destination: it could not have guessed anything.
//
// Brute force is bounded twice. Wrong guesses from everyone but the owner
// count together too: Limits.DestinationFailures of them within
// Limits.DestinationFailureWindow block every stranger (not the owner) from
// sending to and verifying for the destination. And whatever races past
// that count, a destination gets at most Limits.SendsPerDay codes a day
// from strangers, each open to Limits.CodeTries guesses.
func (s *Service) verifyCode(ctx context.Context, c codeCheck) error {
	if c.code == "" {
		return fmt.Errorf("%w: code required", ErrInvalidArgument)
	}
	now := s.now()
	wait, err := s.failureBlock(ctx, c.dest, c.rq, now)
	if err != nil {
		return s.storeErr(err)
	}
	if wait > 0 {
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: c.userID, Destination: Mask(c.dest), Purpose: c.purpose, Reason: "destination_blocked"})
		return rateLimited(wait)
	}
	// A malformed code still costs a try: it is a wrong guess.
	mac := s.codeMAC(c.scope, c.dest, c.code)
	if !validCodeFormat(c.code) {
		mac = s.codeMAC(c.scope, c.dest, "malformed")
	}
	res, err := s.store.VerifyCode(ctx, c.scope, mac, now, s.lim.CodeTries)
	if err != nil {
		return s.storeErr(err)
	}
	if !c.sent && res == CodeMatched {
		// Nobody received this code: a lucky guess verifies nothing and is
		// answered as a wrong one.
		res = CodeWrong
	}
	reason := ""
	switch res {
	case CodeMatched:
		return nil
	case CodeWrong, CodeVoided:
		reason = "wrong_code"
		if res == CodeVoided {
			reason = "voided"
		}
		// A wrong guess at a code nobody received blocks no one but its
		// requester, and is answered as a wrong guess (ErrTooManyAttempts
		// at the last try) with the same store work, so neither tells a
		// phone with an account from one without.
		if err := s.recordFailure(ctx, c.dest, c.rq, c.sent, now); err != nil {
			return s.storeErr(err)
		}
	default:
		reason = "expired_or_used"
		if err := s.chargeMiss(ctx, c, now); err != nil {
			return err
		}
	}
	s.emit(ctx, Event{Type: EventVerificationFailed, UserID: c.userID, Destination: Mask(c.dest), Purpose: c.purpose, Reason: reason})
	if res == CodeVoided {
		return ErrTooManyAttempts
	}
	return ErrInvalidCode
}

// chargeMiss spends one of the requester's misses: submissions that
// could not have guessed a code anyone received.
func (s *Service) chargeMiss(ctx context.Context, c codeCheck, now time.Time) error {
	if c.rq.kind == "" {
		return nil
	}
	wait, err := s.store.Allow(ctx, s.missKey(c.rq), now, []Window{{time.Hour, s.lim.MissesPerHour}})
	if err != nil {
		return s.storeErr(err)
	}
	if wait > 0 {
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: c.userID, Destination: Mask(c.dest), Purpose: c.purpose, Reason: "misses"})
		return rateLimited(wait)
	}
	return nil
}

// SendPhoneCode sends an SMS code to phone for the signed-in user userID.
// The code binds that phone (BindPhone, or ChangePhone's new phone) or,
// when phone is the bound phone, proves possession of it (ResetPayPassword,
// ChangePhone's current phone). It is scoped to (userID,
// phone): it works for nothing else. A phone bound to another account is
// not refused here, so the answer reveals nothing about other accounts; the
// bind refuses it after the code proves possession. Delivery failures are
// returned (ErrDeliveryFailed) and leave no usable code behind.
//
// The context carries the deadline, which bounds the delivery too; its
// Client gives the IP for the per-IP throttle (required under
// Config.RequireClientIP) and the SMS's locale.
func (s *Service) SendPhoneCode(ctx context.Context, userID, phone string) (err error) {
	ctx, end := s.observe(ctx, flowSendPhoneCode)
	defer func() { end(err) }()
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
	if err := s.throttleSend(ctx, req, memberFor(userID, purpose == PurposeConfirmPhone)); err != nil {
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
