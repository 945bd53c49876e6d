package security_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"time"

	security "github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// codes is a Notifier for the examples: it hands each code on, through a
// channel, as a phone would to its user.
type codes chan string

func (c codes) Send(_ context.Context, m security.Message) error {
	if m.Code != "" {
		c <- m.Code
	}
	return nil
}

// newExampleService returns a Service on a fresh memstore, and a func that
// closes both.
func newExampleService(n security.Notifier) (*security.Service, func()) {
	secret := make([]byte, 32) // in production: from a vault, the same on every replica
	if _, err := rand.Read(secret); err != nil {
		log.Fatal(err)
	}
	store := memstore.New()
	svc, err := security.New(store, n, security.Config{
		Secret:      secret,
		LinkBaseURL: "https://accounts.example.com/verify-email",
	})
	if err != nil {
		log.Fatal(err)
	}
	return svc, func() {
		_ = svc.Close(context.Background()) // drains background deliveries
		_ = store.Close()
	}
}

func Example() {
	ctx := security.WithClient(context.Background(), security.Client{IP: "203.0.113.7", Locale: "zh-CN"})
	sent := make(codes, 8)
	svc, done := newExampleService(sent)
	defer done()

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
	fmt.Println(svc.BindPhone(ctx, "42", "+86 138-0013-8000", <-sent))
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
	svc, done := newExampleService(make(codes, 8))
	defer done()
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
	sent := make(codes, 8)
	svc, done := newExampleService(sent)
	defer done()
	_ = svc.CreateAccount(ctx, security.NewAccount{UserID: "42", Password: "correct horse battery", Phone: "13800138000"})

	// Start: the handle goes back to the client (the HTTP adapter uses a
	// cookie and a header); the code goes to the phone in the background.
	handle, err := svc.StartForgotPassword(ctx, "13800138000")
	if err != nil {
		log.Fatal(err)
	}
	code := <-sent // the user reads the SMS

	handle, err = svc.VerifyForgotPassword(ctx, handle, code) // step 1: a new handle for step 2
	fmt.Println(err)
	fmt.Println(svc.CompleteForgotPassword(ctx, handle, "13800138000", "a brand new passphrase")) // step 2
	fmt.Println(svc.VerifyPassword(ctx, "42", "a brand new passphrase"))
	// Output:
	// <nil>
	// <nil>
	// <nil>
}

func ExampleRateLimitError() {
	ctx := context.Background()
	svc, done := newExampleService(make(codes, 8))
	defer done()
	_ = svc.CreateAccount(ctx, security.NewAccount{UserID: "42", Password: "correct horse battery"})
	_ = svc.SendPhoneCode(ctx, "42", "13800138000")

	err := svc.SendPhoneCode(ctx, "42", "13800138000")
	var rl *security.RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter <= time.Minute {
		// The one-minute cooldown: RetryAfter is at most SendCooldown.
		fmt.Println("rate limited; retry within a minute")
	}
	// Output:
	// rate limited; retry within a minute
}
