package security

import (
	"errors"
	"fmt"
	"time"
)

// Limits are the throttles, lockouts and lifetimes of a Service. A zero
// field takes its default; New refuses a value outside its range, so a
// configuration cannot silently drop below the standards the defaults
// follow (OWASP ASVS 5.0, NIST SP 800-63B).
type Limits struct {
	// CodeTTL is the lifetime of SMS and email codes. Default 5m, 1m..10m.
	CodeTTL time.Duration
	// CodeTries is the wrong tries a code survives; the last voids it.
	// Default 5, 3..10.
	CodeTries int
	// DestinationFailures is how many failed verifications per phone or
	// address within DestinationFailureWindow block sending to and verifying
	// for it, until the oldest of them leaves the window. Default 10 per
	// 24h, 2..20. Like every window here, it is counted in twelfths (see
	// CounterBuckets), so a failure may count up to a twelfth longer.
	DestinationFailures      int
	DestinationFailureWindow time.Duration

	// SendCooldown is the gap between two sends to one destination.
	// Default 60s, 30s..300s. It is counted over 12/13 of its length, so a
	// send is never refused after SendCooldown, and may be accepted up to
	// SendCooldown/13 earlier.
	SendCooldown time.Duration
	// SendsPerHour and SendsPerDay cap sends to one destination.
	// Defaults 5 (1..10) and 10 (1..20).
	SendsPerHour int
	SendsPerDay  int
	// SendsPerIPHour caps sends requested from one client IP. Default 20, 1..1000.
	SendsPerIPHour int
	// SendsPerAccountHour caps sends requested by one signed-in account.
	// Default 10, 1..100.
	SendsPerAccountHour int
	// SMSBudgetPerHour caps all SMS sent by the Service (every replica
	// sharing the store) per hour. Default 1000, 1..1e7.
	SMSBudgetPerHour int

	// FlowTTL is the lifetime of a forgot-password flow from its start.
	// Default 15m, 5m..30m.
	FlowTTL time.Duration
	// FlowVerifiedTTL is the most time allowed from a verified code to
	// step 2. Default 10m, 1m..15m.
	FlowVerifiedTTL time.Duration
	// LinkTTL is the lifetime of an email link token. Default 60m, 5m..24h.
	LinkTTL time.Duration

	// PasswordMinLength and PasswordMaxLength bound login passwords, in
	// characters after NFKC. Defaults 8 (8..64) and 128 (64..1024).
	PasswordMinLength int
	PasswordMaxLength int
	// PasswordFailures wrong login passwords since the last success within
	// PasswordLockFor block checks until the first of them is
	// PasswordLockFor old. Defaults 5 (3..10) and 15m (1m..24h).
	PasswordFailures int
	PasswordLockFor  time.Duration
	// PasswordMaxFailures wrong login passwords without a success (within
	// 30 days) lock checks until a reset. Default 100, 10..100.
	PasswordMaxFailures int

	// PayFailures wrong PINs since the last right one within PayLockFor
	// lock the pay password until the first of them is PayLockFor old.
	// Defaults 5 (3..10) and 3h (15m..24h).
	PayFailures int
	PayLockFor  time.Duration
	// PayDailyFailures wrong PINs within 24h lock it until a reset.
	// Default 10, 3..20 (and at least PayFailures).
	PayDailyFailures int

	// DeviceTokenTTL is how long a device token from VerifyPassword marks
	// its client as known. Default 90 days, 1 day..400 days.
	DeviceTokenTTL time.Duration
	// DeviceMaxFailures wrong passwords without a success on one known
	// device lock that device (and only it) until a reset; PasswordFailures
	// of them within PasswordLockFor block it as they block unknown
	// clients. Default 10, 3..20.
	DeviceMaxFailures int

	// MissesPerHour caps, per requester (a signed-in account, or a client
	// IP on public routes), the code submissions that meet no live code:
	// never sent, expired, already used. They count against nobody's
	// destination, so this is what bounds them. Default 30, 5..1000.
	MissesPerHour int
}

// DefaultLimits returns the documented defaults.
func DefaultLimits() Limits {
	l, _ := Limits{}.withDefaults()
	return l
}

func (l Limits) withDefaults() (Limits, error) {
	var errs []error
	dur := func(name string, v *time.Duration, def, lo, hi time.Duration) {
		if *v == 0 {
			*v = def
		}
		if *v < lo || *v > hi {
			errs = append(errs, fmt.Errorf("security: Limits.%s %s outside %s..%s", name, *v, lo, hi))
		}
	}
	num := func(name string, v *int, def, lo, hi int) {
		if *v == 0 {
			*v = def
		}
		if *v < lo || *v > hi {
			errs = append(errs, fmt.Errorf("security: Limits.%s %d outside %d..%d", name, *v, lo, hi))
		}
	}
	dur("CodeTTL", &l.CodeTTL, 5*time.Minute, time.Minute, 10*time.Minute)
	num("CodeTries", &l.CodeTries, 5, 3, 10)
	num("DestinationFailures", &l.DestinationFailures, 10, 2, 20)
	dur("DestinationFailureWindow", &l.DestinationFailureWindow, 24*time.Hour, time.Hour, 7*24*time.Hour)
	dur("SendCooldown", &l.SendCooldown, time.Minute, 30*time.Second, 5*time.Minute)
	num("SendsPerHour", &l.SendsPerHour, 5, 1, 10)
	num("SendsPerDay", &l.SendsPerDay, 10, 1, 20)
	num("SendsPerIPHour", &l.SendsPerIPHour, 20, 1, 1000)
	num("SendsPerAccountHour", &l.SendsPerAccountHour, 10, 1, 100)
	num("SMSBudgetPerHour", &l.SMSBudgetPerHour, 1000, 1, 10_000_000)
	dur("FlowTTL", &l.FlowTTL, 15*time.Minute, 5*time.Minute, 30*time.Minute)
	dur("FlowVerifiedTTL", &l.FlowVerifiedTTL, 10*time.Minute, time.Minute, 15*time.Minute)
	dur("LinkTTL", &l.LinkTTL, time.Hour, 5*time.Minute, 24*time.Hour)
	num("PasswordMinLength", &l.PasswordMinLength, 8, 8, 64)
	num("PasswordMaxLength", &l.PasswordMaxLength, 128, 64, 1024)
	num("PasswordFailures", &l.PasswordFailures, 5, 3, 10)
	dur("PasswordLockFor", &l.PasswordLockFor, 15*time.Minute, time.Minute, 24*time.Hour)
	num("PasswordMaxFailures", &l.PasswordMaxFailures, 100, 10, 100)
	num("PayFailures", &l.PayFailures, 5, 3, 10)
	dur("PayLockFor", &l.PayLockFor, 3*time.Hour, 15*time.Minute, 24*time.Hour)
	num("PayDailyFailures", &l.PayDailyFailures, 10, 3, 20)
	dur("DeviceTokenTTL", &l.DeviceTokenTTL, 90*24*time.Hour, 24*time.Hour, 400*24*time.Hour)
	num("DeviceMaxFailures", &l.DeviceMaxFailures, 10, 3, 20)
	num("MissesPerHour", &l.MissesPerHour, 30, 5, 1000)
	if len(errs) == 0 {
		if l.SendsPerDay < l.SendsPerHour {
			errs = append(errs, fmt.Errorf("security: Limits.SendsPerDay %d below SendsPerHour %d", l.SendsPerDay, l.SendsPerHour))
		}
		if l.PayDailyFailures < l.PayFailures {
			errs = append(errs, fmt.Errorf("security: Limits.PayDailyFailures %d below PayFailures %d", l.PayDailyFailures, l.PayFailures))
		}
		if l.DeviceMaxFailures < l.PasswordFailures {
			errs = append(errs, fmt.Errorf("security: Limits.DeviceMaxFailures %d below PasswordFailures %d", l.DeviceMaxFailures, l.PasswordFailures))
		}
		if l.PasswordMaxLength < l.PasswordMinLength {
			errs = append(errs, fmt.Errorf("security: Limits.PasswordMaxLength below PasswordMinLength"))
		}
		if l.FlowVerifiedTTL > l.FlowTTL {
			errs = append(errs, fmt.Errorf("security: Limits.FlowVerifiedTTL above FlowTTL"))
		}
	}
	return l, errors.Join(errs...)
}
