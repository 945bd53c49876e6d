package securitytest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security/securitytest"
)

func TestClock(t *testing.T) {
	t.Run("zero value reads Start and moves from it", func(t *testing.T) {
		var c securitytest.Clock
		assert.Equal(t, securitytest.Start, c.Now())
		assert.Equal(t, securitytest.Start, c.Now(), "reading does not move it")
		c.Advance(90 * time.Second)
		assert.Equal(t, securitytest.Start.Add(90*time.Second), c.Now())
		c.Advance(-time.Minute)
		assert.Equal(t, securitytest.Start.Add(30*time.Second), c.Now())
	})
	t.Run("NewClock and Set", func(t *testing.T) {
		at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		c := securitytest.NewClock(at)
		assert.Equal(t, at, c.Now())
		c.Set(securitytest.Start)
		assert.Equal(t, securitytest.Start, c.Now())
		c.Advance(time.Hour)
		assert.Equal(t, securitytest.Start.Add(time.Hour), c.Now())
	})
	t.Run("concurrent advances all count", func(t *testing.T) {
		var c securitytest.Clock
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				c.Advance(time.Second)
				_ = c.Now()
			})
		}
		wg.Wait()
		assert.Equal(t, securitytest.Start.Add(50*time.Second), c.Now())
	})
}
