package security_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/acctsec/security"
	"github.com/acctsec/security/memstore"
)

// Benchmarks of the password flows, each next to its physical limit: the
// bare argon2id work the flow cannot avoid, with the Service's default
// parameters (m=19456 KiB, t=2, p=1). Compare the pairs with benchstat;
// BENCHMARKS.md has the commands and the figures.

// benchParams are the Service's default hash parameters.
var benchParams = &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// benchPasswords alternate, so every ChangePassword changes to the other
// one and every check succeeds (the lockout never engages).
var benchPasswords = [2]string{"Plover-Orchid-71", "Quartz-Meadow-58"}

const (
	benchUser  = "bench-user"
	benchPhone = "+8613800138000"
)

var benchSecret = []byte("4dRBM/uO7n7HkhWJdQYZkTsVi4/VCp7IV/rkiEkOL6Y=")

// benchHashes returns one PHC hash of each benchPasswords entry.
func benchHashes(b *testing.B) [2]string {
	b.Helper()
	var h [2]string
	for i, pw := range benchPasswords {
		var err error
		if h[i], err = argon2id.CreateHash(pw, benchParams); err != nil {
			b.Fatal(err)
		}
	}
	return h
}

// benchService is a Service on memstore with the default limits and hash
// parameters, except an SMS budget raised to its maximum (the password
// notice goes to the bound phone), a discarding notifier and logger, and
// one account whose password is benchPasswords[0].
func benchService(tb testing.TB, hashes int, phc string) (*security.Service, *memstore.Store) {
	tb.Helper()
	store := memstore.New()
	svc, err := security.New(store, security.NotifierFunc(func(context.Context, security.Message) error { return nil }), security.Config{
		Secret:              benchSecret,
		Logger:              slog.New(slog.DiscardHandler),
		Limits:              security.Limits{SMSBudgetPerHour: 10_000_000},
		MaxConcurrentHashes: hashes,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = svc.Close(context.Background())
		_ = store.Close()
	})
	if phc != "" {
		err = svc.CreateAccount(context.Background(), security.NewAccount{UserID: benchUser, PasswordHash: phc, Phone: benchPhone})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return svc, store
}

// BenchmarkChangePassword is one ChangePassword end to end on memstore:
// policy, lockout bookkeeping, one argon2id check of the old password, one
// argon2id hash of the new one, the versioned update, the notice.
func BenchmarkChangePassword(b *testing.B) {
	h := benchHashes(b)
	svc, _ := benchService(b, 0, h[0])
	ctx := security.WithClient(context.Background(), security.Client{IP: "198.51.100.1"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := svc.ChangePassword(ctx, benchUser, benchPasswords[i%2], benchPasswords[(i+1)%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareChangePassword is the limit of BenchmarkChangePassword: one
// argon2id comparison of the old password and one argon2id hash of the new.
func BenchmarkBareChangePassword(b *testing.B) {
	h := benchHashes(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ok, err := argon2id.ComparePasswordAndHash(benchPasswords[i%2], h[i%2])
		if err != nil || !ok {
			b.Fatal("bare check failed", err)
		}
		if h[(i+1)%2], err = argon2id.CreateHash(benchPasswords[(i+1)%2], benchParams); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPassword is one successful VerifyPassword on memstore.
func BenchmarkVerifyPassword(b *testing.B) {
	h := benchHashes(b)
	svc, _ := benchService(b, 0, h[0])
	ctx := security.WithClient(context.Background(), security.Client{IP: "198.51.100.1"})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := svc.VerifyPassword(ctx, benchUser, benchPasswords[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareVerify is the limit of BenchmarkVerifyPassword: one argon2id
// comparison.
func BenchmarkBareVerify(b *testing.B) {
	h := benchHashes(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ok, err := argon2id.ComparePasswordAndHash(benchPasswords[0], h[0])
		if err != nil || !ok {
			b.Fatal("bare check failed", err)
		}
	}
}

// The paired benchmarks run the flow and its limit within each op, in
// alternating order, and report their time ratio, so that load from
// elsewhere on a shared machine hits both alike: "overhead" is
// flow/limit - 1 (targets: 0.03 for ChangePassword, 0.02 for
// VerifyPassword).

// BenchmarkChangePasswordPaired alternates one ChangePassword and one bare
// check-and-hash per op.
func BenchmarkChangePasswordPaired(b *testing.B) {
	h := benchHashes(b)
	bare := h
	svc, _ := benchService(b, 0, h[0])
	ctx := security.WithClient(context.Background(), security.Client{IP: "198.51.100.1"})
	var flow, limit time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		from, to := i%2, (i+1)%2
		runFlow := func() {
			if err := svc.ChangePassword(ctx, benchUser, benchPasswords[from], benchPasswords[to]); err != nil {
				b.Fatal(err)
			}
		}
		runLimit := func() {
			ok, err := argon2id.ComparePasswordAndHash(benchPasswords[from], bare[from])
			if err != nil || !ok {
				b.Fatal("bare check failed", err)
			}
			if bare[to], err = argon2id.CreateHash(benchPasswords[to], benchParams); err != nil {
				b.Fatal(err)
			}
		}
		benchPair(i, runFlow, runLimit, &flow, &limit)
	}
	benchReportPair(b, flow, limit)
}

// BenchmarkVerifyPasswordPaired alternates one VerifyPassword and one bare
// comparison per op.
func BenchmarkVerifyPasswordPaired(b *testing.B) {
	h := benchHashes(b)
	svc, _ := benchService(b, 0, h[0])
	ctx := security.WithClient(context.Background(), security.Client{IP: "198.51.100.1"})
	var flow, limit time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		runFlow := func() {
			if err := svc.VerifyPassword(ctx, benchUser, benchPasswords[0]); err != nil {
				b.Fatal(err)
			}
		}
		runLimit := func() {
			ok, err := argon2id.ComparePasswordAndHash(benchPasswords[0], h[0])
			if err != nil || !ok {
				b.Fatal("bare check failed", err)
			}
		}
		benchPair(i, runFlow, runLimit, &flow, &limit)
	}
	benchReportPair(b, flow, limit)
}

// benchPair runs flow and limit, in alternating order (the second one
// otherwise pays for more of the first one's garbage), adding each one's
// time to its total.
func benchPair(i int, flow, limit func(), flowTotal, limitTotal *time.Duration) {
	timed := func(f func(), total *time.Duration) {
		t0 := time.Now()
		f()
		*total += time.Since(t0)
	}
	if i%2 == 0 {
		timed(flow, flowTotal)
		timed(limit, limitTotal)
	} else {
		timed(limit, limitTotal)
		timed(flow, flowTotal)
	}
}

func benchReportPair(b *testing.B, flow, limit time.Duration) {
	b.ReportMetric(float64(flow)/float64(limit)-1, "overhead")
	b.ReportMetric(float64(flow.Nanoseconds())/float64(b.N), "flow-ns/op")
	b.ReportMetric(float64(limit.Nanoseconds())/float64(b.N), "limit-ns/op")
}
