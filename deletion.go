package security

import (
	"context"
	"errors"
	"fmt"
)

// DeleteAccount erases userID's security record and the short-lived state
// that names the user (PIPL article 47, GDPR article 17): on the StateStore,
// the pending codes of its phone and address (member, SMS login and email
// codes), its forgot-password flows and email links, its password and pay
// password locks, and the failure counts the user made against its own
// phone and address. The phone and address are then free for another
// account. EventAccountDeleted is emitted; end the user's sessions on it.
// Errors: ErrAccountNotFound, and store failures (the record is left in
// place when the state could not be erased, so the call can be repeated).
//
// What stays, and why (see README, "Account deletion"):
//   - rate-limit windows (sends per account, misses, notices): their keys
//     are MACs and their values timestamps, they hold no personal data in
//     the clear, and they end within 24 hours. Erasing them would make
//     deleting and re-creating an account a way to reset one's throttles.
//   - the password counters of the user's known devices: they are keyed by
//     a MAC of (user, device ID) and the device ID exists only in the
//     client's token, so the Service cannot name them. A counter without a
//     lock ends with its window; a device locked until reset keeps an
//     opaque key that nothing can reach any more.
//   - the code of a forgot-password flow: it is keyed by the flow, whose
//     ticket is erased, so it cannot be checked any more and ends within
//     Limits.CodeTTL.
//   - state for destinations not on the record (a phone or address the
//     user was binding at that moment): codes end within Limits.CodeTTL,
//     links within Limits.LinkTTL, failure counts within
//     Limits.DestinationFailureWindow; none of them can do anything once
//     the account is gone.
//
// The context carries the deadline; its Client's IP and user agent go into
// the event.
func (s *Service) DeleteAccount(ctx context.Context, userID string) (err error) {
	ctx, end := s.observe(ctx, flowDeleteAccount)
	defer func() { end(err) }()
	if userID == "" {
		return fmt.Errorf("%w: user required", ErrInvalidArgument)
	}
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	// Erase the state first: if that fails, the record stays and the call
	// can be repeated. Then the record; then the state once more, for what
	// a request racing the deletion created meanwhile.
	if err := s.eraseState(ctx, a); err != nil {
		return s.storeErr(err)
	}
	if err := s.store.DeleteAccount(ctx, userID); errors.Is(err, ErrNotFound) {
		return ErrAccountNotFound
	} else if err != nil {
		return s.storeErr(err)
	}
	if err := s.eraseState(ctx, a); err != nil {
		s.log.WarnContext(ctx, "security: could not erase state created during an account deletion", "error", err.Error())
	}
	s.emit(ctx, Event{Type: EventAccountDeleted, UserID: userID})
	return nil
}

// eraseState deletes every code, ticket and failure count the Service can
// derive from a's user ID, phone and address.
func (s *Service) eraseState(ctx context.Context, a *Account) error {
	uid := a.UserID
	codes := []string{}
	tickets := []string{}
	fails := []string{}
	if a.Phone != "" {
		codes = append(codes, s.memberCodeScope(uid, a.Phone), s.loginCodeScope(a.Phone, uid))
		tickets = append(tickets, s.flowScope(a.Phone))
		fails = append(fails, s.failKey(s.destTag(a.Phone), a.Phone, member(uid)))
	}
	if a.Email != "" {
		codes = append(codes, s.emailCodeScope(a.Email, uid))
		tickets = append(tickets, s.linkScope(a.Email, uid), s.linkScope(a.Email, ""))
		fails = append(fails, s.failKey(s.destTag(a.Email), a.Email, member(uid)))
	}
	for _, c := range codes {
		if err := s.store.DeleteCode(ctx, c); err != nil {
			return err
		}
	}
	for _, t := range tickets {
		if err := s.store.DeleteTicketScope(ctx, t); err != nil {
			return err
		}
	}
	// The lockouts and the failure counts, in one store call.
	resets := lockResets(lockKey{s.passwordKey(uid, a.PasswordChangedAt), s.lim.passwordLockout()}, lockKey{s.payKey(uid), s.lim.payLockout()})
	return s.reset(ctx, append(resets, s.failureResets(fails...)...))
}
