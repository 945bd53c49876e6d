package securitytest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/securitytest"
)

// Example binds a phone to an account with the fakes: the code is read
// from the Outbox, the event from Events, and the Clock runs the code past
// its lifetime.
func Example() {
	s, err := securitytest.Open()
	if err != nil {
		panic(err)
	}
	defer s.Close(context.Background())
	ctx := securitytest.Client("203.0.113.7")

	if err := s.CreateAccount(ctx, security.NewAccount{UserID: "u1"}); err != nil {
		panic(err)
	}
	if err := s.SendPhoneCode(ctx, "u1", "13800138000"); err != nil {
		panic(err)
	}
	m, _ := s.Outbox.Last("+8613800138000")
	fmt.Println("sent:", m)

	// A code past its lifetime is refused.
	s.Clock.Advance(m.TTL + time.Second)
	err = s.BindPhone(ctx, "u1", "13800138000", m.Code)
	fmt.Println("late:", errors.Is(err, security.ErrInvalidCode))

	// A fresh code binds the phone.
	if err := s.SendPhoneCode(ctx, "u1", "13800138000"); err != nil {
		panic(err)
	}
	m, _ = s.Outbox.Last("+8613800138000")
	fmt.Println("bind:", s.BindPhone(ctx, "u1", "13800138000", m.Code))
	fmt.Println("phone_bound events:", s.Events.Count(security.EventPhoneBound))

	// Output:
	// sent: sms bind_phone to +86138****8000
	// late: true
	// bind: <nil>
	// phone_bound events: 1
}
