package security

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
)

// HashParams is the argon2id cost of new password and PIN hashes.
type HashParams struct {
	// Memory in KiB. Default 19456 (19 MiB).
	Memory uint32
	// Iterations (t). Default 2.
	Iterations uint32
	// Parallelism (p). Default 1.
	Parallelism uint8
}

// Ceilings applied to stored hashes before they are run, so a corrupted or
// tampered record cannot make a check allocate gigabytes.
const (
	maxHashMemory     = 256 * 1024
	maxHashIterations = 10
	maxHashParallel   = 16
)

func (h HashParams) withDefaults() (HashParams, error) {
	if h == (HashParams{}) {
		return HashParams{Memory: 19456, Iterations: 2, Parallelism: 1}, nil
	}
	if h.Iterations == 0 {
		h.Iterations = 2
	}
	if h.Parallelism == 0 {
		h.Parallelism = 1
	}
	// ASVS 5.0 appendix C / OWASP: t=1 needs m>=46 MiB, t=2 m>=19 MiB,
	// t=3 m>=12 MiB, t=4 m>=9 MiB, t>=5 m>=7 MiB.
	floor := map[uint32]uint32{1: 47104, 2: 19456, 3: 12288, 4: 9216}[h.Iterations]
	if h.Iterations >= 5 {
		floor = 7168
	}
	if h.Memory < floor {
		return h, fmt.Errorf("security: Hash.Memory %d KiB below the floor %d KiB for t=%d", h.Memory, floor, h.Iterations)
	}
	if h.Memory > maxHashMemory || h.Iterations > maxHashIterations || h.Parallelism > maxHashParallel {
		return h, errors.New("security: Hash parameters above the ceiling (m<=256 MiB, t<=10, p<=16)")
	}
	return h, nil
}

func (h HashParams) argon2() *argon2id.Params {
	return &argon2id.Params{Memory: h.Memory, Iterations: h.Iterations, Parallelism: h.Parallelism, SaltLength: 16, KeyLength: 32}
}

// slotKey marks a context whose flow holds a hashing slot; its value is
// the *heldSlot.
type slotKey struct{}

// heldSlot is one flow's hashing slot. Once released, the context that
// carries it no longer counts as holding one.
type heldSlot struct {
	s        *Service
	released atomic.Bool
}

// holding reports whether ctx carries a slot of s that is still held.
func (s *Service) holding(ctx context.Context) bool {
	h, ok := ctx.Value(slotKey{}).(*heldSlot)
	return ok && h.s == s && !h.released.Load()
}

// holdSlot takes one hashing slot for the whole of a flow that hashes more
// than once (check the old secret, then hash the new one). Hashes on the
// returned context reuse it. Under a flood, a flow that has started then
// finishes, instead of queueing again behind new arrivals for its second
// hash and timing out with its first hash wasted. Events raised on the
// returned context wait until the slot is released (see holdEvents), so
// OnEvent never runs while the flow holds it.
func (s *Service) holdSlot(ctx context.Context) (context.Context, func(), error) {
	if s.holding(ctx) {
		return ctx, func() {}, nil
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return ctx, nil, err
	}
	ctx, flush := s.holdEvents(ctx)
	h := &heldSlot{s: s}
	// Idempotent, so a flow can give the slot back early (before hooks
	// and store writes) and still defer it; after that, hashes on the
	// context take a slot of their own again.
	return context.WithValue(ctx, slotKey{}, h), sync.OnceFunc(func() {
		h.released.Store(true)
		release()
		flush()
	}), nil
}

// acquire takes one hashing slot, waiting at most as long as ctx allows.
func (s *Service) acquire(ctx context.Context) (func(), error) {
	if s.holding(ctx) {
		return func() {}, nil
	}
	select {
	case s.hashSem <- struct{}{}:
		return func() { <-s.hashSem }, nil
	default:
	}
	select {
	case s.hashSem <- struct{}{}:
		return func() { <-s.hashSem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

// hashSecret returns a new argon2id PHC string of secret.
func (s *Service) hashSecret(ctx context.Context, secret string) (string, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	defer s.hashed(ctx, "hash", time.Now())
	h, err := argon2id.CreateHash(secret, s.hash.argon2())
	if err != nil {
		return "", fmt.Errorf("security: hashing: %w", err)
	}
	return h, nil
}

// errBadHash means a stored hash cannot be checked.
var errBadHash = errors.New("security: stored hash is malformed or outside the allowed parameters")

// checkSecret compares secret with the PHC string in constant time. It
// reports whether they match and whether the hash should be upgraded to the
// current parameters.
func (s *Service) checkSecret(ctx context.Context, secret, phc string) (match, outdated bool, err error) {
	p, ok := decodePHC(phc)
	if !ok {
		return false, false, errBadHash
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	defer s.hashed(ctx, "check", time.Now())
	match, _, err = argon2id.CheckHash(secret, phc)
	if err != nil {
		return false, false, errBadHash
	}
	cur := s.hash.argon2()
	outdated = p.Memory != cur.Memory || p.Iterations != cur.Iterations || p.Parallelism != cur.Parallelism ||
		p.SaltLength != cur.SaltLength || p.KeyLength != cur.KeyLength
	return match, outdated, nil
}

// newDecoyHash makes the hash that checks run against when there is no real
// one, so a missing account costs the same time as a wrong password.
func (s *Service) newDecoyHash() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("security: random source: %w", err)
	}
	return argon2id.CreateHash(string(b), s.hash.argon2())
}

// decodePHC reads the parameters of an argon2id PHC string and reports
// whether this Service can check it: within the ceilings, so a corrupted
// or tampered record cannot make a check allocate gigabytes. SaltLength and
// KeyLength are those of the stored salt and key.
func decodePHC(h string) (*argon2id.Params, bool) {
	if !strings.HasPrefix(h, "$argon2id$") {
		return nil, false
	}
	p, salt, key, err := argon2id.DecodeHash(h)
	if err != nil || p.Memory == 0 || p.Memory > maxHashMemory || p.Iterations == 0 || p.Iterations > maxHashIterations ||
		p.Parallelism == 0 || p.Parallelism > maxHashParallel || len(salt) < 16 || len(key) < 16 {
		return nil, false
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	return p, true
}

// validPHC reports whether h is an argon2id PHC string this Service can
// check (used when a host imports an existing hash).
func validPHC(h string) bool {
	_, ok := decodePHC(h)
	return ok
}

// passwordHashField and payPasswordHashField select a hash of an Account,
// for rehash.
func passwordHashField(a *Account) *string    { return &a.PasswordHash }
func payPasswordHashField(a *Account) *string { return &a.PayPasswordHash }

// rehash replaces the hash field selects with one of secret at the current
// parameters, best effort, unless it changed meanwhile (the newer one is
// kept). It returns the record as it now is.
func (s *Service) rehash(ctx context.Context, a *Account, field func(*Account) *string, secret string) *Account {
	return s.replaceHash(ctx, a, field, func() (string, error) { return s.hashSecret(ctx, secret) })
}

// replaceHash is rehash with the new hash made by hash: one versioned
// UpdateAccount, whether the upgrade is of parameters, of the pepper's key,
// or both.
func (s *Service) replaceHash(ctx context.Context, a *Account, field func(*Account) *string, hash func() (string, error)) *Account {
	h, err := hash()
	if err != nil {
		return a
	}
	old := *field(a)
	_, after, err := s.updateLoaded(ctx, a, func(cur *Account) error {
		if *field(cur) != old {
			return errUnchanged
		}
		*field(cur) = h
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "security: hash upgrade failed", "error", err.Error())
		return a
	}
	return after
}
