package demotest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security/examples/internal/demo"
)

// CheckMaxLimitsFlag runs an example without and with -max-limits, as
// subtests, and checks that only the run with the flag warned on stderr.
// run starts the example with extra appended to its arguments, checks
// what it must, shuts it down and returns its stderr.
func CheckMaxLimitsFlag(t *testing.T, run func(t *testing.T, extra ...string) string) {
	t.Helper()
	t.Run("defaults", func(t *testing.T) {
		assert.NotContains(t, run(t), demo.MaxLimitsFlag)
	})
	t.Run("max limits", func(t *testing.T) {
		out := run(t, "-"+demo.MaxLimitsFlag)
		assert.Contains(t, out, `level=WARN msg="-`+demo.MaxLimitsFlag+`: every throttle raised`)
	})
}
