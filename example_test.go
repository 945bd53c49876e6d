package security_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// codes is a Notifier for the examples: it remembers the last code sent.
type codes struct{ last string }

func (c *codes) Send(_ context.Context, m security.Message) error {
	if m.Code != "" {
		c.last = m.Code
	}
	return nil
}

func newExampleService(n security.Notifier) *security.Service {
	svc, err := security.New(memstore.New(), n, security.Config{
		Secret:      []byte("replace me with 32+ random bytes from a vault"),
		LinkBaseURL: "https://accounts.example.com/verify-email",
	})
	if err != nil {
		log.Fatal(err)
	}
	return svc
}

func Example() {
	ctx := security.WithClient(context.Background(), security.Client{IP: "203.0.113.7", Locale: "zh-CN"})
	sent := &codes{}
	svc := newExampleService(sent)
	defer svc.Close(ctx)

	// The host creates the security record when it creates the user.
	if err := svc.CreateAccount(ctx, security.NewAccount{UserID: "42", Password: "correct horse battery"}); err != nil {
		log.Fatal(err)
	}
	// Its login checks passwords through the library, which owns the hash.
	fmt.Println(svc.VerifyPassword(ctx, "42", "correct horse battery"))
	fmt.Println(errors.Is(svc.VerifyPassword(ctx, "42", "guess"), security.ErrWrongPassword))

	// Bind a phone: send a code, then bind with it.
	if err := svc.SendPhoneCode(ctx, "42", "138 0013 8000"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(svc.BindPhone(ctx, "42", "+86 138-0013-8000", sent.last))
	st, _ := svc.Status(ctx, "42")
	fmt.Println(st.Phone)
	// Output:
	// <nil>
	// true
	// <nil>
	// +86138****8000
}

func ExampleService_VerifyPayPassword() {
	ctx := context.Background()
	svc := newExampleService(&codes{})
	defer svc.Close(ctx)
	_ = svc.CreateAccount(ctx, security.NewAccount{UserID: "42", Password: "correct horse battery"})

	fmt.Println(svc.SetPayPassword(ctx, "42", "123456")) // too easy
	fmt.Println(svc.SetPayPassword(ctx, "42", "024680"))
	// Confirming a payment:
	fmt.Println(svc.VerifyPayPassword(ctx, "42", "024680"))
	err := svc.VerifyPayPassword(ctx, "42", "000001")
	fmt.Println(errors.Is(err, security.ErrWrongPayPassword))
	// Output:
	// security: pay password refused by policy: sequence
	// <nil>
	// <nil>
	// true
}

func ExampleService_StartForgotPassword() {
	ctx := context.Background()
	sent := &codes{}
	svc := newExampleService(sent)
	_ = svc.CreateAccount(ctx, security.NewAccount{UserID: "42", Password: "correct horse battery", Phone: "13800138000"})

	// Start: the handle goes back to the client (the HTTP adapter uses a
	// cookie and a header); the code goes to the phone in the background.
	handle, err := svc.StartForgotPassword(ctx, "13800138000")
	if err != nil {
		log.Fatal(err)
	}
	_ = svc.Close(ctx) // here: wait for the background delivery

	fmt.Println(svc.VerifyForgotPassword(ctx, handle, sent.last))                                 // step 1
	fmt.Println(svc.CompleteForgotPassword(ctx, handle, "13800138000", "a brand new passphrase")) // step 2
	fmt.Println(svc.VerifyPassword(ctx, "42", "a brand new passphrase"))
	// Output:
	// <nil>
	// <nil>
	// <nil>
}

func ExampleRateLimitError() {
	ctx := context.Background()
	svc := newExampleService(&codes{})
	defer svc.Close(ctx)
	_ = svc.CreateAccount(ctx, security.NewAccount{UserID: "42", Password: "correct horse battery"})
	_ = svc.SendPhoneCode(ctx, "42", "13800138000")

	err := svc.SendPhoneCode(ctx, "42", "13800138000")
	var rl *security.RateLimitError
	if errors.As(err, &rl) {
		fmt.Println("retry after", rl.RetryAfter)
	}
	// Output:
	// retry after 1m0s
}
