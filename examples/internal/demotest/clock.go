package demotest

import (
	"time"

	"github.com/acctsec/security/securitytest"
)

// Clock is a clock tests move by hand, safe for concurrent use: one can be
// shared by every replica of a test. It is securitytest's Clock.
type Clock = securitytest.Clock

// NewClock returns a Clock at the current time, truncated to the
// millisecond, as before the type moved to securitytest (whose zero Clock
// reads the fixed securitytest.Start).
func NewClock() *Clock { return securitytest.NewClock(time.Now().Truncate(time.Millisecond)) }
