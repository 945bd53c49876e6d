package httpadapter

import (
	"context"
	"errors"
	"time"

	"github.com/acctsec/security"
)

// Errors a host route can hand to Handler.WriteError for the adapter's
// answers: "404" not_found, "405" method_not_allowed (set Allow yourself)
// and "401" unauthenticated.
var (
	ErrNotFound         = errors.New("httpadapter: not found")
	ErrMethodNotAllowed = errors.New("httpadapter: method not allowed")
	ErrUnauthenticated  = errors.New("httpadapter: no signed-in user")
)

var (
	errCrossOrigin = errors.New("httpadapter: cross-origin request refused")
	errInternal    = errors.New("httpadapter: internal error")
)

// outcome is the answer to an error.
type outcome struct {
	code       string // envelope code, also the HTTP status
	key        string // stable data key
	msg        string
	retryAfter time.Duration
}

// rows maps sentinels to (code, key), most specific first. Errors not
// listed, and *argError, errBodyTooLarge and the typed errors handled in
// classify, answer "500" internal.
var rows = []struct {
	err       error
	code, key string
}{
	{ErrNotFound, "404", "not_found"},
	{ErrMethodNotAllowed, "405", "method_not_allowed"},
	{ErrUnauthenticated, "401", "unauthenticated"},
	{errCrossOrigin, "403", "cross_origin"},
	{errBodyTooLarge, "413", "body_too_large"},
	{security.ErrInvalidPhone, "400", "invalid_phone"},
	{security.ErrInvalidEmail, "400", "invalid_email"},
	{security.ErrInvalidCode, "400", "invalid_code"},
	{security.ErrTooManyAttempts, "429", "too_many_attempts"},
	{security.ErrWrongPassword, "403", "wrong_password"},
	{security.ErrWrongPayPassword, "403", "wrong_pay_password"},
	{security.ErrPhoneMismatch, "403", "phone_mismatch"},
	{security.ErrNoPhone, "403", "phone_mismatch"},
	{security.ErrPhoneProofRequired, "403", "phone_proof_required"},
	{security.ErrSignInRequired, "401", "unauthenticated"},
	{security.ErrSendRefused, "403", "send_refused"},
	{security.ErrFlowRequired, "403", "flow_required"},
	{security.ErrAccountNotFound, "403", "no_account"},
	{security.ErrPhoneTaken, "409", "phone_taken"},
	{security.ErrEmailTaken, "409", "email_taken"},
	{security.ErrAccountExists, "409", "account_exists"},
	{security.ErrPayPasswordSet, "409", "pay_password_set"},
	{security.ErrPayPasswordNotSet, "409", "pay_password_not_set"},
	{security.ErrPasswordSet, "409", "password_set"},
	{security.ErrPasswordNotSet, "409", "password_not_set"},
	{security.ErrDeliveryFailed, "502", "delivery_failed"},
	{security.ErrBusy, "503", "unavailable"},
	{security.ErrClosed, "503", "unavailable"},
	{context.DeadlineExceeded, "503", "unavailable"},
	{context.Canceled, "503", "unavailable"},
	{security.ErrInvalidArgument, "400", "invalid_argument"},
}

// classify maps err to its answer, with msg in language l.
func classify(err error, l lang) outcome {
	var ae *argError
	if errors.As(err, &ae) {
		return outcome{code: "400", key: "invalid_argument", msg: argText(ae, l)}
	}
	var pe *security.PolicyError
	if errors.As(err, &pe) && (errors.Is(err, security.ErrWeakPassword) || errors.Is(err, security.ErrWeakPayPassword)) {
		key := "weak_password"
		if errors.Is(err, security.ErrWeakPayPassword) {
			key = "weak_pay_password"
		}
		msg := texts[key].in(l)
		if t, ok := policyTexts[pe.Reason]; ok {
			msg = t.in(l)
		}
		return outcome{code: "422", key: key, msg: msg}
	}
	if errors.Is(err, security.ErrWeakPassword) {
		return simple("422", "weak_password", l)
	}
	if errors.Is(err, security.ErrWeakPayPassword) {
		return simple("422", "weak_pay_password", l)
	}
	var le *security.LockedError
	if errors.As(err, &le) {
		return outcome{code: "423", key: "locked", msg: lockedText(le.Until, l)}
	}
	if errors.Is(err, security.ErrLocked) {
		return simple("423", "locked", l)
	}
	if errors.Is(err, security.ErrRateLimited) {
		o := simple("429", "rate_limited", l)
		var re *security.RateLimitError
		if errors.As(err, &re) {
			o.retryAfter = re.RetryAfter
		}
		return o
	}
	for _, row := range rows {
		if errors.Is(err, row.err) {
			return simple(row.code, row.key, l)
		}
	}
	return simple("500", "internal", l)
}

func simple(code, key string, l lang) outcome {
	return outcome{code: code, key: key, msg: texts[key].in(l)}
}
