package security

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func (s *Service) emailCodeScope(addr, requester string) string {
	return s.destKey(addr, "code-email", addr, requester)
}
func (s *Service) linkScope(addr, requester string) string {
	return s.destKey(addr, "link", addr, requester)
}
func (s *Service) linkID(token string) string { return s.ticketID("link", token) }

// verificationLink returns the link for token: Config.LinkBaseURL with the
// token as its "token" query parameter.
func (s *Service) verificationLink(token string) string {
	u := *s.link
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// SendEmailVerification sends userID, signed in, a verification message
// for email: a 6-digit code and a one-click link. Verifying it binds the
// address to userID (VerifyEmailCode, VerifyEmailToken). Delivery failures
// are returned. userID "" is ErrInvalidArgument: a signed-out request is
// SendPublicEmailVerification.
//
// The code belongs to (address, the account it verifies for), so a code
// sent here is also accepted by VerifyPublicEmailCode when userID's account
// has the address; a new send voids the previous code and link.
//
// The context carries the deadline, which bounds the delivery too; its
// Client gives the IP for the per-IP throttle (required under
// Config.RequireClientIP) and the message's locale.
func (s *Service) SendEmailVerification(ctx context.Context, userID, email string) (err error) {
	ctx, end := s.observe(ctx, flowSendEmailVerification)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required (signed out, use SendPublicEmailVerification)", ErrInvalidArgument)
	}
	return s.sendEmailVerification(ctx, userID, email)
}

// SendPublicEmailVerification sends a verification message, a 6-digit code
// and a one-click link, for email on behalf of a signed-out client. It goes
// only to the address as stored on the account that has it, verifying it
// marks the address verified there, and the answer and its cost are the
// same whether or not an account has it (delivery runs in the background).
// The code is also accepted from that account's user signed in
// (VerifyEmailCode); a new send voids the previous code and link.
//
// The context carries the deadline; its Client gives the IP for the per-IP
// throttle (required under Config.RequireClientIP), the device token that
// marks the address's owner, and the message's locale.
func (s *Service) SendPublicEmailVerification(ctx context.Context, email string) (err error) {
	ctx, end := s.observe(ctx, flowSendPublicEmailVerification)
	defer func() { end(err) }()
	return s.sendEmailVerification(ctx, "", email)
}

// sendEmailVerification sends for userID, signed in, or (userID "") for
// the account that has email.
func (s *Service) sendEmailVerification(ctx context.Context, userID, email string) error {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	if s.link == nil {
		return errors.New("security: Config.LinkBaseURL is not set; email verification is disabled")
	}
	to := addr
	owner := ""
	var rq requester
	if userID != "" {
		a, err := s.account(ctx, userID)
		if err != nil {
			return err
		}
		owner = userID
		rq = memberFor(userID, a.Email == addr)
	} else {
		switch a, err := s.store.AccountByEmail(ctx, addr); {
		case err == nil:
			to, owner = a.Email, a.UserID
		case !errors.Is(err, ErrNotFound):
			return s.storeErr(err)
		}
		if rq, err = s.publicRequester(ctx, owner); err != nil {
			return err
		}
	}
	req := SendRequest{Channel: ChannelEmail, To: addr, Purpose: PurposeVerifyEmail, UserID: userID, ClientIP: ClientFrom(ctx).IP}
	links := s.linkScope(addr, userID) // the scope of the requester's links to addr
	token, err := s.newTicketHandle(tagOf(links))
	if err != nil {
		return err
	}
	scope := s.emailCodeScope(addr, owner)
	now := s.now()
	t := Ticket{ID: s.linkID(token), Scope: links, UserID: userID, Destination: addr, ExpiresAt: now.Add(s.lim.LinkTTL)}
	code, err := s.issueCode(ctx, req, rq, scope, &t)
	if err != nil {
		return err
	}
	m := &Message{Channel: ChannelEmail, To: to, Purpose: PurposeVerifyEmail, Code: code, Link: s.verificationLink(token),
		TTL: s.lim.CodeTTL, Locale: s.locale(ctx), UserID: userID, Time: now.UTC()}
	void := func(ctx context.Context) {
		s.voidCode(ctx, scope)
		if err := s.store.DeleteTicketScope(ctx, t.Scope); err != nil {
			s.log.ErrorContext(ctx, "security: could not void an undelivered link", "error", err.Error())
		}
	}
	if userID != "" {
		if err := s.deliver(ctx, *m); err != nil {
			void(context.WithoutCancel(ctx))
			return err
		}
		s.emit(ctx, Event{Type: EventCodeSent, UserID: userID, Destination: Mask(addr), Purpose: PurposeVerifyEmail})
		return nil
	}
	j := job{onFail: void, sentEvent: true}
	if owner != "" {
		m.UserID = owner
		j.msg = m
	}
	return s.enqueue(ctx, j)
}

// VerifyEmailCode verifies email for userID, signed in, with the code sent
// by SendEmailVerification or, for the address of userID's own account, by
// SendPublicEmailVerification, and binds the address to userID. userID ""
// is ErrInvalidArgument: signed out, use VerifyPublicEmailCode.
//
// The context carries the deadline; its Client's locale is the notice's
// language.
func (s *Service) VerifyEmailCode(ctx context.Context, userID, email, code string) (err error) {
	ctx, end := s.observe(ctx, flowVerifyEmailCode)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required (signed out, use VerifyPublicEmailCode)", ErrInvalidArgument)
	}
	return s.verifyEmailCode(ctx, userID, email, code)
}

// VerifyPublicEmailCode verifies email for a signed-out client: it accepts
// the code sent for the account that has the address, by either
// SendPublicEmailVerification or its user signed in, and marks the address
// verified there.
//
// The context carries the deadline; its Client gives the IP that wrong
// codes are counted against, the device token that marks the address's
// owner, and the notice's locale.
func (s *Service) VerifyPublicEmailCode(ctx context.Context, email, code string) (err error) {
	ctx, end := s.observe(ctx, flowVerifyPublicEmailCode)
	defer func() { end(err) }()
	return s.verifyEmailCode(ctx, "", email, code)
}

// verifyEmailCode verifies for userID, signed in, or (userID "") for the
// account that has email.
func (s *Service) verifyEmailCode(ctx context.Context, userID, email, code string) error {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	owner := userID
	var rq requester
	var loaded *Account // the record to verify the address on, reused for the update
	if userID != "" {
		if loaded, err = s.account(ctx, userID); err != nil {
			return err
		}
		rq = memberFor(userID, loaded.Email == addr)
	} else {
		switch a, err := s.store.AccountByEmail(ctx, addr); {
		case err == nil:
			owner, loaded = a.UserID, a
		case !errors.Is(err, ErrNotFound):
			return s.storeErr(err)
		}
		if rq, err = s.publicRequester(ctx, owner); err != nil {
			return err
		}
	}
	// Without an account for the address, a public send mailed nothing.
	if err := s.verifyCode(ctx, codeCheck{scope: s.emailCodeScope(addr, owner), dest: addr, code: code,
		rq: rq, userID: owner, purpose: PurposeVerifyEmail, sent: owner != ""}); err != nil {
		return err
	}
	s.voidLinks(ctx, addr, userID)
	return s.markEmailVerified(ctx, userID, addr, loaded)
}

// voidLinks deletes the pending links for addr: the public one, and the one
// userID asked for.
func (s *Service) voidLinks(ctx context.Context, addr, userID string) {
	scopes := []string{s.linkScope(addr, "")}
	if userID != "" {
		scopes = append(scopes, s.linkScope(addr, userID))
	}
	for _, sc := range scopes {
		if err := s.store.DeleteTicketScope(ctx, sc); err != nil {
			s.log.WarnContext(ctx, "security: could not void the link of a verified address", "error", err.Error())
		}
	}
}

// VerifyEmailToken verifies the address of the link token (single use,
// Limits.LinkTTL) opened by userID, signed in. userID "" is
// ErrInvalidArgument: signed out, use VerifyPublicEmailToken. A link sent
// by SendEmailVerification binds its address to the user who asked for it,
// and works only for that user (ErrSignInRequired, and the link stays
// usable): otherwise a mail scanner following a link that an attacker had
// sent to a victim's address would bind that address to the attacker's
// account. A link sent by SendPublicEmailVerification marks its address
// verified on the account that has it, whoever opens it. Any other failure
// is ErrInvalidCode.
//
// The context carries the deadline; its Client's locale is the notice's
// language.
func (s *Service) VerifyEmailToken(ctx context.Context, userID, token string) (err error) {
	ctx, end := s.observe(ctx, flowVerifyEmailToken)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required (signed out, use VerifyPublicEmailToken)", ErrInvalidArgument)
	}
	return s.verifyEmailToken(ctx, userID, token)
}

// VerifyPublicEmailToken verifies the address of the link token (single
// use, Limits.LinkTTL) opened signed out. Only a link sent by
// SendPublicEmailVerification works so (it went only to the address as
// stored on its account, and anyone holding it may use it); one a
// signed-in user asked for answers ErrSignInRequired and stays usable. Any
// other failure is ErrInvalidCode.
//
// The context carries the deadline; its Client's locale is the notice's
// language.
func (s *Service) VerifyPublicEmailToken(ctx context.Context, token string) (err error) {
	ctx, end := s.observe(ctx, flowVerifyPublicEmailToken)
	defer func() { end(err) }()
	return s.verifyEmailToken(ctx, "", token)
}

// verifyEmailToken verifies token opened by userID, signed in, or "".
func (s *Service) verifyEmailToken(ctx context.Context, userID, token string) error {
	if token == "" {
		return fmt.Errorf("%w: token required", ErrInvalidArgument)
	}
	if len(token) > 128 {
		return ErrInvalidCode
	}
	id := s.linkID(token)
	now := s.now()
	peek, err := s.store.GetTicket(ctx, id, now)
	if err == nil && peek.UserID != "" && peek.UserID != userID {
		return ErrSignInRequired
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return s.storeErr(err)
	}
	t, err := s.store.TakeTicket(ctx, id, now, false)
	if errors.Is(err, ErrNotFound) {
		s.emit(ctx, Event{Type: EventVerificationFailed, Purpose: PurposeVerifyEmail, Reason: "bad_token"})
		return ErrInvalidCode
	}
	if err != nil {
		return s.storeErr(err)
	}
	owner := t.UserID
	if owner == "" {
		if a, err := s.store.AccountByEmail(ctx, t.Destination); err == nil {
			owner = a.UserID
		}
	}
	if err := s.store.DeleteCode(ctx, s.emailCodeScope(t.Destination, owner)); err != nil {
		s.log.WarnContext(ctx, "security: could not void the code of a verified address", "error", err.Error())
	}
	return s.markEmailVerified(ctx, t.UserID, t.Destination, nil)
}

// markEmailVerified binds addr to userID, or (userID "") marks it verified
// on the account that has it. An address verified on another account is
// ErrEmailTaken. An unverified address reserves nothing: when userID proves
// an address another account holds unverified, that claim is dropped (with
// EventEmailClaimDropped) and the address goes to userID. A public
// verification for an address no account has any more is ErrInvalidCode.
// loaded, when set, is the record the flow has just read (the signed-in
// user's, or the address's holder's): the update starts from it instead of
// reading it again.
func (s *Service) markEmailVerified(ctx context.Context, userID, addr string, loaded *Account) error {
	owner := userID
	if loaded != nil {
		owner = loaded.UserID
	} else if owner == "" {
		a, err := s.store.AccountByEmail(ctx, addr)
		if errors.Is(err, ErrNotFound) {
			return ErrInvalidCode
		}
		if err != nil {
			return s.storeErr(err)
		}
		owner = a.UserID
	}
	bind := func(a *Account) error {
		if userID == "" && a.Email != addr {
			return ErrInvalidCode // the address changed since the message was sent
		}
		if a.Email == addr && a.EmailVerified {
			return errUnchanged
		}
		a.Email, a.EmailVerified = addr, true
		return nil
	}
	var before, after *Account
	var err error
	if loaded != nil {
		before, after, err = s.updateLoaded(ctx, loaded, bind)
	} else {
		before, after, err = s.updateAccount(ctx, owner, bind)
	}
	for try := 0; errors.Is(err, ErrEmailTaken) && userID != "" && try < 3; try++ {
		var dropped bool
		if dropped, err = s.dropUnverifiedClaim(ctx, addr, userID); err == nil && dropped {
			before, after, err = s.updateAccount(ctx, owner, bind)
		} else if err == nil {
			err = ErrEmailTaken
		}
	}
	if err != nil {
		return err
	}
	if before.Email == after.Email && before.EmailVerified == after.EmailVerified {
		return nil
	}
	s.emit(ctx, Event{Type: EventEmailVerified, UserID: owner, Destination: Mask(addr)})
	// Tell the phone and the previous verified address, not the new one.
	s.notify(ctx, &Account{UserID: owner, Phone: before.Phone, Email: before.Email, EmailVerified: before.EmailVerified},
		PurposeEmailVerified, time.Time{})
	return nil
}

// dropUnverifiedClaim removes addr from the account other than userID that
// holds it unverified. It reports false when the holder has verified it (or
// is userID): then the address is taken.
func (s *Service) dropUnverifiedClaim(ctx context.Context, addr, userID string) (bool, error) {
	holder, err := s.store.AccountByEmail(ctx, addr)
	if errors.Is(err, ErrNotFound) {
		return true, nil // released meanwhile
	}
	if err != nil {
		return false, s.storeErr(err)
	}
	if holder.UserID == userID || holder.EmailVerified {
		return false, nil
	}
	before, after, err := s.updateAccount(ctx, holder.UserID, func(a *Account) error {
		if a.Email != addr {
			return errUnchanged // released meanwhile
		}
		if a.EmailVerified {
			return ErrEmailTaken // verified meanwhile
		}
		a.Email = ""
		return nil
	})
	if errors.Is(err, ErrEmailTaken) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if before.Email == after.Email {
		return true, nil // released meanwhile
	}
	s.emit(ctx, Event{Type: EventEmailClaimDropped, UserID: holder.UserID, Destination: Mask(addr), Reason: "proved_elsewhere"})
	return true, nil
}
