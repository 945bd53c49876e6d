package security

import (
	"context"
	"errors"
)

// loginCodeScope is where the SMS login code of phone lives. It names the
// account the phone belongs to at sending ("" when none), so a code sent
// while the phone belonged to one account signs in nobody once the phone
// has moved to another.
func (s *Service) loginCodeScope(e164, userID string) string {
	return s.destKey(e164, "code-login", e164, userID)
}

// SendLoginCode sends an SMS code to sign in with phone (验证码登录). It
// creates no account: when no account has the phone bound, a code is
// stored all the same and never sent, so the answer and the store work are
// the same either way (delivery runs in the background) and an unknown
// phone is told apart from a known one by neither. A new code voids the
// previous one. The throttles are those of the forgot-password start: per
// client IP, per destination (the owner's known device, Client.DeviceToken,
// has a budget of its own that strangers cannot spend), the requester's
// failure block and Config.SendVeto. Errors: ErrInvalidPhone,
// *RateLimitError, ErrSendRefused (the veto), ErrBusy (queue full).
//
// The context carries the deadline; its Client gives the IP for the per-IP
// throttle (required under Config.RequireClientIP), the device token that
// marks the phone's owner, and the SMS's locale.
func (s *Service) SendLoginCode(ctx context.Context, phone string) (err error) {
	ctx, end := s.observe(ctx, flowSendLoginCode)
	defer func() { end(err) }()
	p, err := s.normalizePhone(phone)
	if err != nil {
		return err
	}
	userID, err := s.phoneHolder(ctx, p.E164)
	if err != nil {
		return err
	}
	rq, err := s.publicRequester(ctx, userID)
	if err != nil {
		return err
	}
	req := SendRequest{Channel: ChannelSMS, To: p.E164, Purpose: PurposeLoginCode, ClientIP: ClientFrom(ctx).IP}
	scope := s.loginCodeScope(p.E164, userID)
	code, err := s.issueCode(ctx, req, rq, scope, nil)
	if err != nil {
		return err
	}
	j := job{}
	if userID != "" {
		j.msg = &Message{Channel: ChannelSMS, To: p.E164, Purpose: PurposeLoginCode, Code: code, TTL: s.lim.CodeTTL,
			Locale: s.locale(ctx), UserID: userID, Time: s.now().UTC()}
		j.onFail = func(ctx context.Context) { s.voidCode(ctx, scope) }
		j.sentEvent = true
	}
	return s.enqueue(ctx, j)
}

// VerifyLoginCode checks the SMS login code of phone and returns the user
// it signs in; the host then starts that user's session. The code is
// single use, scoped to the phone and its account, and bounded like every
// code: Limits.CodeTries wrong tries void it, wrong tries count against
// (phone, requester), and submissions that meet no code against the
// requester's miss budget. A phone no account has gets ErrInvalidCode, as
// a wrong code does: nobody was sent its code, so a guess at it verifies
// nothing and blocks nobody. Errors: ErrInvalidPhone, ErrInvalidCode,
// ErrTooManyAttempts, *RateLimitError.
//
// The context carries the deadline; its Client gives the IP that wrong codes
// are counted against and the device token that marks the phone's owner.
func (s *Service) VerifyLoginCode(ctx context.Context, phone, code string) (_ string, err error) {
	ctx, end := s.observe(ctx, flowVerifyLoginCode)
	defer func() { end(err) }()
	return s.verifyLoginCode(ctx, phone, code)
}

// SignInWithLoginCode is VerifyLoginCode that, on success, also returns a
// device token for the client, as SignIn does: keep it on the client and
// pass it back in Client.DeviceToken. For a user who never types a
// password it is the only way to become a known device, whose sends (the
// next login code) draw on the owner's own budget, so strangers spending
// the phone's budget cannot keep the user from signing in.
//
// The context carries the deadline; its Client gives the IP that wrong codes
// are counted against and the device token that marks the phone's owner.
func (s *Service) SignInWithLoginCode(ctx context.Context, phone, code string) (userID, deviceToken string, err error) {
	ctx, end := s.observe(ctx, flowSignInWithLoginCode)
	defer func() { end(err) }()
	if userID, err = s.verifyLoginCode(ctx, phone, code); err != nil {
		return "", "", err
	}
	if deviceToken, err = s.issueDevice(userID); err != nil {
		return "", "", err
	}
	return userID, deviceToken, nil
}

func (s *Service) verifyLoginCode(ctx context.Context, phone, code string) (string, error) {
	p, err := s.normalizePhone(phone)
	if err != nil {
		return "", err
	}
	userID, err := s.phoneHolder(ctx, p.E164)
	if err != nil {
		return "", err
	}
	rq, err := s.publicRequester(ctx, userID)
	if err != nil {
		return "", err
	}
	if err := s.verifyCode(ctx, codeCheck{scope: s.loginCodeScope(p.E164, userID), dest: p.E164, code: code,
		rq: rq, userID: userID, purpose: PurposeLoginCode, sent: userID != ""}); err != nil {
		return "", err
	}
	if userID == "" {
		return "", ErrInvalidCode // unreachable: verifyCode never matches an unsent code
	}
	s.emit(ctx, Event{Type: EventLoginCodeVerified, UserID: userID, Destination: Mask(p.E164), Purpose: PurposeLoginCode})
	return userID, nil
}

// phoneHolder returns the user whose bound phone is e164, or "".
func (s *Service) phoneHolder(ctx context.Context, e164 string) (string, error) {
	switch a, err := s.store.AccountByPhone(ctx, e164); {
	case err == nil:
		return a.UserID, nil
	case errors.Is(err, ErrNotFound):
		return "", nil
	default:
		return "", s.storeErr(err)
	}
}
