package demo

import (
	"log/slog"
	"time"

	"github.com/acctsec/security"
)

// MaxLimitsFlag and MaxLimitsUsage name and describe the examples' bool
// flag that selects MaxLimits.
const (
	MaxLimitsFlag  = "max-limits"
	MaxLimitsUsage = "raise every throttle to the top of its allowed range, for load tests"
)

// MaxLimits raises every throttle to the top of the range security.New
// accepts (see security.Limits), so that a load test measures the flows
// rather than the throttles. The lockouts, lifetimes and password rules
// keep their defaults.
func MaxLimits() security.Limits {
	return security.Limits{
		SendsPerHour:        10,
		SendsPerDay:         20,
		SendsPerIPHour:      1000,
		SendsPerAccountHour: 100,
		SMSBudgetPerHour:    10_000_000,
		SendCooldown:        30 * time.Second,
		DestinationFailures: 20,
	}
}

// Limits returns the Limits an example runs with: the zero value (the
// library's defaults), or MaxLimits when max is set, after a warning on
// logger.
func Limits(max bool, logger *slog.Logger) security.Limits {
	if !max {
		return security.Limits{}
	}
	logger.Warn("-" + MaxLimitsFlag + ": every throttle raised to the top of its range; for load tests only, never in production")
	return MaxLimits()
}
