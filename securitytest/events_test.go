package securitytest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acctsec/security"
	"github.com/acctsec/security/securitytest"
)

func TestEvents(t *testing.T) {
	var r securitytest.Events
	assert.Empty(t, r.All())
	assert.Zero(t, r.Count(security.EventCodeSent))

	r.Add(context.Background(), security.Event{Type: security.EventVerificationFailed, Reason: "wrong_code"})
	r.Add(context.Background(), security.Event{Type: security.EventCodeSent, UserID: "u1"})
	r.Add(context.Background(), security.Event{Type: security.EventVerificationFailed, Reason: "wrong_code"})
	r.Add(context.Background(), security.Event{Type: security.EventVerificationFailed, Reason: "expired_or_used"})

	all := r.All()
	assert.Len(t, all, 4)
	assert.Equal(t, security.EventVerificationFailed, all[0].Type, "oldest first")
	assert.Equal(t, 3, r.Count(security.EventVerificationFailed))
	assert.Equal(t, []security.Event{{Type: security.EventCodeSent, UserID: "u1"}}, r.Of(security.EventCodeSent))
	assert.Equal(t, map[string]int{"wrong_code": 2, "expired_or_used": 1}, r.Reasons(security.EventVerificationFailed))

	all[0].Reason = "changed"
	assert.Equal(t, "wrong_code", r.All()[0].Reason, "All returns a copy")
}

func TestEventsConcurrent(t *testing.T) {
	var r securitytest.Events
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() { r.Add(context.Background(), security.Event{Type: security.EventCodeSent}) })
	}
	wg.Wait()
	assert.Equal(t, 40, r.Count(security.EventCodeSent))
}
