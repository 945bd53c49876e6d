package pgstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/acctsec/security"
	"github.com/jackc/pgx/v5"
)

// RunMemory is how long a run of consecutive failures that left no lock is
// remembered after its last failure; Cleanup then deletes it. It matches
// memstore.
const RunMemory = 30 * 24 * time.Hour

// runMemory is RunMemory under a policy that counts consecutive failures,
// and nothing otherwise: a window-only key is deleted once its window ends.
func runMemory(p security.LockPolicy) int64 {
	if p.Consecutive > 0 || p.MaxConsecutive > 0 {
		return int64(RunMemory)
	}
	return 0
}

// BeginAttempt reserves one attempt of key at now under p in one statement
// (a call of the begin_attempt function, which locks the key's row). A
// reserved attempt counts as a failure until SucceedAttempt; when the
// reservation reaches a limit of p the lock starts now. Attempt IDs come from
// a database sequence, so they are unique across replicas.
func (s *Store) BeginAttempt(ctx context.Context, key string, now time.Time, p security.LockPolicy) (security.Attempt, error) {
	var (
		allowed, forever bool
		id, until        int64
	)
	err := s.pool.QueryRow(ctx, s.q.beginAttempt, key, toNS(now),
		clampInt32(p.Consecutive), durNS(p.LockFor), clampInt32(p.MaxConsecutive),
		durNS(p.Window), clampInt32(p.WindowMax), p.WindowLocksUntilClear, runMemory(p),
	).Scan(&allowed, &id, &until, &forever)
	if err != nil {
		return security.Attempt{}, wrap("begin attempt", err)
	}
	if allowed {
		return security.Attempt{Allowed: true, ID: strconv.FormatInt(id, 10)}, nil
	}
	return lockedAttempt(forever, until), nil
}

// SucceedAttempt records that attempt id of key succeeded, in one statement
// (a call of the succeed_attempt function): the consecutive count is reset,
// the attempt leaves the failure window, and the lock is lifted unless the
// failures left in the window still reach the window rule of the policy the
// last BeginAttempt passed. An unknown id still resets the consecutive count.
func (s *Store) SucceedAttempt(ctx context.Context, key, id string, now time.Time) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		n = -1 // matches no reservation
	}
	if _, err := s.pool.Exec(ctx, s.q.succeedAttempt, key, n, toNS(now)); err != nil {
		return wrap("succeed attempt", err)
	}
	return nil
}

// AttemptStatus reports key's lock at now without reserving anything. The
// lock is the one stored by BeginAttempt and SucceedAttempt; p is not needed.
func (s *Store) AttemptStatus(ctx context.Context, key string, now time.Time, _ security.LockPolicy) (security.Attempt, error) {
	var (
		forever bool
		until   int64
	)
	err := s.pool.QueryRow(ctx, s.q.attemptStatus, key).Scan(&forever, &until)
	if errors.Is(err, pgx.ErrNoRows) {
		return security.Attempt{Allowed: true}, nil
	}
	if err != nil {
		return security.Attempt{}, wrap("attempt status", err)
	}
	if !forever && until <= toNS(now) {
		return security.Attempt{Allowed: true}, nil
	}
	return lockedAttempt(forever, until), nil
}

// ClearAttempts forgets every failure and lock of key.
func (s *Store) ClearAttempts(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, s.q.clearAttempts, key); err != nil {
		return wrap("clear attempts", err)
	}
	return nil
}

func lockedAttempt(forever bool, until int64) security.Attempt {
	if forever {
		return security.Attempt{Forever: true}
	}
	return security.Attempt{LockedUntil: fromNS(until)}
}

// durNS returns d in nanoseconds, or 0 for a negative d (a disabled rule).
func durNS(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d)
}
