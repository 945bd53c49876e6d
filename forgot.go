package security

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func (s *Service) flowID(handle string) string { return s.ticketID("flow", handle) }

// flowScope is the scope of the phone's forgot-password flows. It carries
// the phone's shard tag, as its codes and failure counters do, so a flow
// and its code are one write and step 1 is one check.
func (s *Service) flowScope(e164 string) string { return s.destKey(e164, "forgot", e164) }

// flowCodeScope is where the code of flow flowID lives. The ID carries
// the phone's shard tag (see ticketID), which the scope takes over rather
// than deriving it again.
func (s *Service) flowCodeScope(flowID, e164 string) string {
	return s.taggedKey(s.scopeTag(flowID, e164), "code-forgot", flowID)
}

// voidForgotFlows ends every pending forgot-password flow for phone.
func (s *Service) voidForgotFlows(ctx context.Context, e164 string) {
	if e164 == "" {
		return
	}
	if err := s.store.DeleteTicketScope(ctx, s.flowScope(e164)); err != nil {
		s.log.WarnContext(ctx, "security: could not void forgot-password flows", "error", err.Error())
	}
}

// StartForgotPassword starts a forgot-password flow for phone and returns
// its handle: the shard tag of the phone's flows then 32 random bytes
// (base64url), stored only hashed, that the caller keeps (the
// HTTP adapter sets it as a cookie and a header) and hands to both steps.
// An SMS code goes to the phone only if an account has it bound; the
// answer, and the work done to produce it, are the same either way, because
// delivery happens in the background. A new flow for the same phone voids
// the previous one. Errors: ErrInvalidPhone, *RateLimitError, ErrBusy (queue
// full), and store failures.
//
// The context carries the deadline; its Client gives the IP for the per-IP
// throttle (required under Config.RequireClientIP), the device token that
// marks the phone's owner, and the SMS's locale.
func (s *Service) StartForgotPassword(ctx context.Context, phone string) (_ string, err error) {
	ctx, end := s.observe(ctx, flowForgotStart)
	defer func() { end(err) }()
	p, err := s.normalizePhone(phone)
	if err != nil {
		return "", err
	}
	userID := ""
	switch a, err := s.store.AccountByPhone(ctx, p.E164); {
	case err == nil:
		userID = a.UserID
	case !errors.Is(err, ErrNotFound):
		return "", s.storeErr(err)
	}
	rq, err := s.publicRequester(ctx, userID)
	if err != nil {
		return "", err
	}
	req := SendRequest{Channel: ChannelSMS, To: p.E164, Purpose: PurposeForgotPassword, ClientIP: ClientFrom(ctx).IP}
	flows := s.flowScope(p.E164) // the scope of the phone's flows
	handle, err := s.newTicketHandle(tagOf(flows))
	if err != nil {
		return "", err
	}
	id := s.flowID(handle)
	// The same store writes whether or not an account matched; without one
	// the code is never sent, so nobody can know it.
	scope := s.flowCodeScope(id, p.E164)
	now := s.now()
	t := Ticket{ID: id, Scope: flows, UserID: userID, Destination: p.E164, ExpiresAt: now.Add(s.lim.FlowTTL)}
	code, err := s.issueCode(ctx, req, rq, scope, &t)
	if err != nil {
		return "", err
	}
	j := job{}
	if userID != "" {
		j.msg = &Message{Channel: ChannelSMS, To: p.E164, Purpose: PurposeForgotPassword, Code: code, TTL: s.lim.CodeTTL,
			Locale: s.locale(ctx), UserID: userID, Time: now.UTC()}
		j.onFail = func(ctx context.Context) { s.voidCode(ctx, scope) }
		j.sentEvent = true
	}
	if err := s.enqueue(ctx, j); err != nil {
		return "", err
	}
	s.emit(ctx, Event{Type: EventForgotStarted, Destination: Mask(p.E164), Purpose: PurposeForgotPassword})
	return handle, nil
}

// flow loads the live flow of handle, or ErrFlowRequired.
func (s *Service) flow(ctx context.Context, handle string) (*Ticket, error) {
	if handle == "" || len(handle) > 128 {
		return nil, ErrFlowRequired
	}
	t, err := s.store.GetTicket(ctx, s.flowID(handle), s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, ErrFlowRequired
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	return t, nil
}

// VerifyForgotPassword is step 1: it checks the SMS code of the flow of
// handle. On success the flow is verified under a new handle, which it
// returns, and handle stops working: a handle planted in a victim's
// browser, or copied from it before step 1, cannot finish the flow. Step 2
// must follow with the new handle within Limits.FlowVerifiedTTL (and the
// flow's own lifetime). Of concurrent calls with the right code exactly one
// gets a handle: the code is consumed once, and the old flow is taken once.
// Errors: ErrFlowRequired (no live flow, or already verified),
// ErrInvalidCode, ErrTooManyAttempts, *RateLimitError.
//
// The context carries the deadline; its Client gives the IP that wrong codes
// are counted against and the device token that marks the phone's owner.
func (s *Service) VerifyForgotPassword(ctx context.Context, handle, code string) (_ string, err error) {
	ctx, end := s.observe(ctx, flowForgotVerify)
	defer func() { end(err) }()
	t, err := s.flow(ctx, handle)
	if err != nil {
		return "", err
	}
	if t.Verified {
		return "", ErrFlowRequired
	}
	// The new handle stays in the phone's flow scope, so it keeps its shard
	// tag; a flow started by an earlier version (another scope) moves there.
	flows := s.flowScope(t.Destination)
	current := t.Scope == flows
	// Drawn before the code is spent, so a failing random source cannot
	// cost the user the code.
	next, err := s.newTicketHandle(tagOf(flows))
	if err != nil {
		return "", err
	}
	rq, err := s.publicRequester(ctx, t.UserID)
	if err != nil {
		return "", err
	}
	now := s.now()
	verified := *t
	verified.ID, verified.Scope, verified.Verified = s.flowID(next), flows, true
	if limit := now.Add(s.lim.FlowVerifiedTTL); limit.Before(verified.ExpiresAt) {
		verified.ExpiresAt = limit
	}
	// Without an account nobody was sent the code: a lucky guess verifies
	// nothing, and a wrong one blocks nobody.
	c := codeCheck{scope: s.flowCodeScope(t.ID, t.Destination), dest: t.Destination, code: code,
		rq: rq, userID: t.UserID, purpose: PurposeForgotPassword, sent: t.UserID != ""}
	if current && c.sent {
		// The store puts the verified flow as it consumes the code, so of
		// concurrent right answers one gets a flow, and the put voids the
		// unverified flow (and any other flow of the phone).
		c.onMatch = &verified
	}
	if !current {
		// Its code was stored before codes carried the phone's tag.
		c.scope = s.key("code-forgot", t.ID)
	}
	if err := s.verifyCode(ctx, c); err != nil {
		return "", err
	}
	if c.onMatch == nil {
		// A flow of an earlier version: take it (its scope is not the one
		// the verified flow voids), then put the verified one.
		if _, err := s.store.TakeTicket(ctx, t.ID, now, false); errors.Is(err, ErrNotFound) {
			return "", ErrFlowRequired
		} else if err != nil {
			return "", s.storeErr(err)
		}
		if err := s.store.PutTicket(ctx, verified); err != nil {
			return "", s.storeErr(err)
		}
	}
	return next, nil
}

// CompleteForgotPassword is step 2: with the verified flow of handle and
// the same phone, it sets the new password (policy applied, and it must
// differ from the current one). The flow ends, password checks are
// unlocked (the new password's counters start empty), EventPasswordReset
// is emitted (end every session of the user on it) and a notice is sent.
// Errors: ErrFlowRequired (no verified flow), ErrPhoneMismatch,
// *PolicyError; after any of them but the first the flow still works.
//
// The context carries the deadline, which also bounds the wait for a hashing
// slot (ErrBusy). Its Client's locale is the notice's language.
func (s *Service) CompleteForgotPassword(ctx context.Context, handle, phone, newPassword string) (err error) {
	ctx, end := s.observe(ctx, flowForgotComplete)
	defer func() { end(err) }()
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	if newPassword == "" {
		return fmt.Errorf("%w: password required", ErrInvalidArgument)
	}
	if handle == "" || len(handle) > 128 {
		return ErrFlowRequired
	}
	// Single use: of concurrent completions exactly one takes the flow. It
	// is taken first, so the step reads it and ends it in one store call,
	// and given back (restore) when the step fails for a reason the user
	// can mend: a mistyped phone, a weak password, a store failure.
	t, err := s.store.TakeTicket(ctx, s.flowID(handle), s.now(), true)
	if errors.Is(err, ErrNotFound) {
		return ErrFlowRequired
	} else if err != nil {
		return s.storeErr(err)
	}
	if t.UserID == "" {
		return ErrFlowRequired
	}
	restore := func(err error) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if perr := s.store.PutTicket(ctx, *t); perr != nil {
			s.log.WarnContext(ctx, "security: could not give a forgot-password flow back after a failed step 2", "error", perr.Error())
		}
		return err
	}
	if t.Destination != p.E164 {
		return restore(ErrPhoneMismatch)
	}
	a, err := s.account(ctx, t.UserID)
	if errors.Is(err, ErrAccountNotFound) {
		return ErrFlowRequired
	} else if err != nil {
		return restore(err)
	}
	if a.Phone != t.Destination {
		return ErrFlowRequired // the phone moved: the flow proves nothing any more
	}
	h, err := s.newResetHash(ctx, newPassword, a)
	if err != nil {
		return restore(err)
	}
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
		if cur.Phone != t.Destination {
			return ErrFlowRequired
		}
		cur.PasswordHash = h
		cur.PasswordChangedAt = s.now().UTC()
		return nil
	})
	switch {
	case errors.Is(err, ErrFlowRequired), errors.Is(err, ErrAccountNotFound):
		return ErrFlowRequired
	case err != nil:
		return restore(err)
	}
	// No lock to clear: the new password's failure counters are new (see
	// passwordKey). No other flow of the phone to void: a scope holds one
	// ticket, so the verified flow just taken was the phone's only one,
	// and a flow started since is the user's own and stays.
	s.emit(ctx, Event{Type: EventPasswordReset, UserID: t.UserID, Destination: Mask(t.Destination)})
	s.notify(ctx, after, PurposePasswordReset, time.Time{})
	return nil
}

// newResetHash checks a new password for a (policy, and it must differ
// from the current one) and returns its hash.
func (s *Service) newResetHash(ctx context.Context, newPassword string, a *Account) (string, error) {
	n, err := s.checkNewPassword(ctx, newPassword, a)
	if err != nil {
		return "", err
	}
	ctx, release, err := s.holdSlot(ctx) // compare with the current, hash the new
	if err != nil {
		return "", err
	}
	defer release()
	if match, _, err := s.checkPasswordHash(ctx, newPassword, n, a.PasswordHash); err != nil && !errors.Is(err, errBadHash) {
		return "", err
	} else if match {
		return "", weakPassword("same_as_current")
	}
	return s.hashSecret(ctx, n)
}
