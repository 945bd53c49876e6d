package security

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A one-time code is six digits sent by SMS or email. The store keeps only
// its MAC (codeMAC), in a scope that names what it is for, and checks it in
// one atomic step together with the failure counters a wrong guess moves
// (CodeCheck), so a verification is one round trip whatever the policy.

// issueCode decides whether a code may be sent to req.To (see sendGates)
// and stores a new one for scope in the same store call, voiding the
// previous code of the scope, and returns its digits. A ticket t (a flow
// or a link that the code belongs to) is stored in the same write. A send
// that a gate refuses stores nothing. The SMS budget is a sum the store
// cannot gate: a send it refuses has its code voided again, and the
// replica then refuses SMS sends without a store call until the budget's
// oldest hour leaves it (the count cannot fall before, since refused sends
// take their add back), so while the budget is spent a pending code is
// voided at most once per replica, and a flood costs the store nothing.
func (s *Service) issueCode(ctx context.Context, req SendRequest, rq requester, scope string, t *Ticket) (string, error) {
	sb, err := s.sendGates(ctx, req, rq, s.scopeTag(scope, req.To))
	if err != nil {
		return "", err
	}
	now := s.now()
	if until := s.budgetFull.Load(); sb.sms && now.UnixNano() < until {
		s.budgetDrop(ctx, sb.b.name, Message{Channel: req.Channel, To: req.To, Purpose: req.Purpose, UserID: req.UserID})
		return "", rateLimited(time.Duration(until - now.UnixNano()))
	}
	code, err := s.newCode()
	if err != nil {
		return "", err
	}
	c := Code{Scope: scope, MAC: s.codeMAC(scope, req.To, code), ExpiresAt: now.Add(s.lim.CodeTTL), Ticket: t}
	stored, tallies, err := s.store.PutCode(ctx, now, c, sb.hits)
	if err != nil {
		return "", s.storeErr(err)
	}
	if err := s.judgeSend(ctx, req, sb, tallies, now); err != nil {
		if stored { // only the budget refuses a stored code
			var rl *RateLimitError
			if errors.As(err, &rl) {
				s.budgetFull.Store(now.Add(rl.RetryAfter).UnixNano())
			}
			s.voidCode(ctx, scope)
		}
		return "", s.refundSend(ctx, now, err, sb, tallies)
	}
	if !stored {
		return "", fmt.Errorf("security: the store kept no code although every gate had room")
	}
	return code, nil
}

// scopeTag is the shard tag of dest, read off the code scope that carries
// it (destKey) rather than derived again; a scope from before tags has
// none.
func (s *Service) scopeTag(scope, dest string) string {
	if tag := tagOf(scope); tag != "" {
		return tag
	}
	return s.destTag(dest)
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
	// onMatch, when set, is the ticket the store puts as the code matches
	// (a verified forgot-password flow), in the same step.
	onMatch *Ticket
}

// verifyCode checks a code submission in one store call: the requester's
// failure block for the destination, then the code itself, consumed on a
// match or its wrong try counted (the try at Limits.CodeTries voids it),
// and a wrong guess counted on the destination's failure counts. Only a
// wrong guess at a live code that was really sent counts against
// (destination, requester). A submission that meets no live code (never
// sent, expired, already used, the loser of a race of right answers)
// charges the requester's miss budget and nobody's destination: it could
// not have guessed anything.
//
// Brute force is bounded twice. Wrong guesses from everyone but the owner
// count together too: Limits.DestinationFailures of them within
// Limits.DestinationFailureWindow block every stranger (not the owner) from
// sending to and verifying for the destination, and since the store checks
// and counts in one atomic step, no race gets more guesses past that. And
// a destination gets at most Limits.SendsPerDay codes a day from
// strangers, each open to Limits.CodeTries guesses.
func (s *Service) verifyCode(ctx context.Context, c codeCheck) error {
	if c.code == "" {
		return fmt.Errorf("%w: code required", ErrInvalidArgument)
	}
	now := s.now()
	// A malformed code still costs a try: it is a wrong guess.
	mac := s.codeMAC(c.scope, c.dest, c.code)
	if !validCodeFormat(c.code) {
		mac = s.codeMAC(c.scope, c.dest, "malformed")
	}
	fails := s.failHits(s.scopeTag(c.scope, c.dest), c.dest, c.rq, c.sent)
	res, tallies, err := s.store.VerifyCode(ctx, now, CodeCheck{Scope: c.scope, MAC: mac, MaxTries: s.lim.CodeTries, Failures: fails, OnMatch: c.onMatch})
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
	case CodeBlocked:
		var wait time.Duration
		for i, t := range tallies {
			if fails[i].Max > 0 && t.Count+1 > fails[i].Max {
				wait = max(wait, waitFor(t, now))
			}
		}
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: c.userID, Destination: Mask(c.dest), Purpose: c.purpose, Reason: "destination_blocked"})
		return rateLimited(wait)
	case CodeWrong, CodeVoided:
		// A wrong guess at a code nobody received blocks no one but its
		// requester, and is answered as a wrong guess (ErrTooManyAttempts
		// at the last try) with the same store work, so neither tells a
		// phone with an account from one without.
		reason = "wrong_code"
		if res == CodeVoided {
			reason = "voided"
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
