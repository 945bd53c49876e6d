// Package securitytest provides fakes for testing code that uses the
// security package, as testing/fstest provides MapFS: a settable Clock, an
// Outbox that captures messages instead of sending them, an Events
// recorder for Config.OnEvent, and NewService, which wires them into a
// Service on memstore.
//
// It uses only the standard library, the security package and memstore, so
// a host's tests take on no other dependency.
//
// A host's test that binds a phone might read:
//
//	func TestBindPhone(t *testing.T) {
//		s := securitytest.NewService(t)
//		ctx := securitytest.Client("203.0.113.7")
//		if err := s.CreateAccount(ctx, security.NewAccount{UserID: "u1"}); err != nil {
//			t.Fatal(err)
//		}
//		if err := s.SendPhoneCode(ctx, "u1", "13800138000"); err != nil {
//			t.Fatal(err)
//		}
//		code := s.Outbox.LastCode(t, "+8613800138000")
//		if err := s.BindPhone(ctx, "u1", "13800138000", code); err != nil {
//			t.Fatal(err)
//		}
//		if s.Events.Count(security.EventPhoneBound) != 1 {
//			t.Error("no phone_bound event")
//		}
//	}
//
// Move the Clock (s.Clock.Advance) to run codes, cooldowns and locks out;
// make deliveries fail with s.Outbox.Fail; await background deliveries
// with s.Outbox.Wait.
//
// Every fake is safe for concurrent use: the Service delivers notices and
// public sends on background goroutines.
package securitytest
