package security

import (
	"context"
	"errors"
	"time"
)

// Store is everything the Service keeps: durable account records and
// short-lived state. A host may serve both halves from one backend
// (memstore, pgstore) or compose two (accounts in PostgreSQL, the rest in
// Redis) with [Compose].
type Store interface {
	AccountStore
	StateStore
}

// Store errors. Implementations return them (wrapped or not) so that
// errors.Is works; any other error is treated as an internal failure.
var (
	// ErrNotFound: no such record, or it has expired.
	ErrNotFound = errors.New("security: not found")
	// ErrConflict: UpdateAccount lost an optimistic-concurrency race
	// (the stored Version is not the one the caller read).
	ErrConflict = errors.New("security: version conflict")
	// ErrAccountExists: CreateAccount for a user ID that already has a record.
	ErrAccountExists = errors.New("security: account already exists")
)

// Account is the security record of one user. The library owns it; the host
// owns everything else about the user.
type Account struct {
	UserID string
	// PasswordHash is an argon2id PHC string of the NFKC-normalised login
	// password, or "" for an account without one (an SMS or WeChat sign-up).
	PasswordHash      string
	PasswordChangedAt time.Time
	// Phone is the bound, verified phone in E.164 ("+8613800138000"), or "".
	Phone string
	// Email is the normalised address ("alice@example.com"), or "".
	Email         string
	EmailVerified bool
	// PayPasswordHash is "$acctsec-pin$k=" and the KeyID of the secret that
	// peppered the PIN, then an argon2id PHC string of the peppered PIN; or "".
	// Hashes stored before key IDs are a bare PHC string.
	PayPasswordHash  string
	PayPasswordSetAt time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Version is bumped by every successful UpdateAccount.
	Version int64
}

// AccountStore holds durable account records.
//
// Phone and Email are unique across accounts when non-empty: CreateAccount and
// UpdateAccount return ErrPhoneTaken or ErrEmailTaken when another account
// already holds the value. Uniqueness must be enforced by the store itself
// (a unique index, a transaction), so two replicas racing cannot both win.
type AccountStore interface {
	// CreateAccount stores a new record with Version 1. It returns
	// ErrAccountExists, ErrPhoneTaken or ErrEmailTaken on conflict.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns the record of userID, or ErrNotFound.
	GetAccount(ctx context.Context, userID string) (*Account, error)
	// AccountByPhone returns the record whose Phone equals e164, or ErrNotFound.
	AccountByPhone(ctx context.Context, e164 string) (*Account, error)
	// AccountByEmail returns the record whose Email equals the normalised
	// address, or ErrNotFound.
	AccountByEmail(ctx context.Context, email string) (*Account, error)
	// UpdateAccount replaces the record of a.UserID if its stored Version
	// equals a.Version, and stores it with Version+1 (a.Version is updated).
	// It returns ErrNotFound, ErrConflict (someone else updated it first),
	// ErrPhoneTaken or ErrEmailTaken; on any error nothing is changed.
	UpdateAccount(ctx context.Context, a *Account) error
	// DeleteAccount removes the record of userID in one atomic step, so
	// that its phone and email are free for another account at once. It
	// returns ErrNotFound when there is no such record. A store keeps no
	// copy (no tombstone, no history) of the record it deleted.
	DeleteAccount(ctx context.Context, userID string) error
}

// Code is a pending one-time code (SMS or email). Only its MAC is stored:
// HMAC-SHA-256 keyed by Config.Secret over the scope, destination and digits.
type Code struct {
	// Scope names what the code is for; at most one code lives per scope.
	// It is an opaque key derived by the Service and never contains the code.
	Scope     string
	MAC       []byte
	ExpiresAt time.Time
	// Tries counts wrong submissions so far.
	Tries int
}

// CodeResult is the outcome of one VerifyCode call.
type CodeResult int

// CodeResult values.
const (
	// CodeMissing: no live code in the scope (never sent, expired, used, voided).
	CodeMissing CodeResult = iota
	// CodeMatched: the MAC matched; the code has been consumed.
	CodeMatched
	// CodeWrong: the MAC did not match; Tries was incremented.
	CodeWrong
	// CodeVoided: the MAC did not match and that was the last allowed try;
	// the code has been deleted.
	CodeVoided
)

// Ticket is a short-lived, single-use record addressed by the hash of a
// high-entropy handle: a forgot-password flow or an email link token.
//
// Shard prefix: the ID of a ticket the Service makes and its non-empty Scope
// start with the same shard prefix, everything up to the first ".", drawn
// from the scope (a few base64url characters of a MAC of it). A store may
// use it to place a ticket and its scope together (redisstore makes it the
// Redis Cluster hash tag, so tickets spread over the shards), and must not
// rely on it for anything else: it is not secret, and an ID looked up may
// carry any prefix. IDs and scopes without a "." (made by an earlier
// version, or by another caller) must keep working. A store that places by
// the prefix may refuse, with ErrInvalidArgument, a scoped ticket whose ID
// and Scope prefixes differ.
type Ticket struct {
	// ID is the hash of the handle the user holds (never the handle itself).
	ID string
	// Scope groups tickets: PutTicket deletes any other ticket of the same
	// non-empty scope, so a new flow or link voids the previous one.
	Scope  string
	UserID string
	// Destination is the phone (E.164) or email address the ticket is for.
	Destination string
	// Verified marks a forgot-password flow whose code was verified.
	Verified  bool
	ExpiresAt time.Time
}

// Window is one sliding window of a rate limit: at most Max events in any
// Period.
type Window struct {
	Period time.Duration
	Max    int
}

// LockPolicy tells the store when a run of failed attempts locks a key.
// A zero field disables its rule.
type LockPolicy struct {
	// Every N consecutive failures (N, 2N, ...) lock the key for LockFor.
	Consecutive int
	LockFor     time.Duration
	// MaxConsecutive failures without a success lock it until ClearAttempts.
	MaxConsecutive int
	// WindowMax failures within Window lock it: until ClearAttempts when
	// WindowLocksUntilClear, else until the oldest failure leaves the window.
	Window                time.Duration
	WindowMax             int
	WindowLocksUntilClear bool
}

// Attempt is the outcome of BeginAttempt.
type Attempt struct {
	// Allowed reports whether the caller may evaluate the secret now.
	Allowed bool
	// ID identifies this attempt for SucceedAttempt.
	ID string
	// LockedUntil is set when not Allowed (zero when Forever).
	LockedUntil time.Time
	// Forever: locked until ClearAttempts.
	Forever bool
}

// StateStore holds short-lived state: codes, tickets, rate limits and
// failure counters. Every method is a single atomic operation; a backend
// with a network (Redis, PostgreSQL) performs each in one round trip.
// Times are always passed in, so a store never reads its own clock.
type StateStore interface {
	// PutCode stores c, replacing (voiding) any code in the same scope.
	PutCode(ctx context.Context, c Code) error
	// VerifyCode checks mac against the live code of scope at now and, in the
	// same atomic step, consumes it on a match or counts the wrong try,
	// deleting the code when the count reaches maxTries (a maxTries below 1
	// counts as 1: a store fails closed). The comparison must
	// be constant-time. Of many concurrent calls with the right MAC exactly
	// one gets CodeMatched.
	VerifyCode(ctx context.Context, scope string, mac []byte, now time.Time, maxTries int) (CodeResult, error)
	// DeleteCode removes the code of scope, if any.
	DeleteCode(ctx context.Context, scope string) error

	// PutTicket stores t, deleting any other ticket of the same non-empty
	// scope.
	PutTicket(ctx context.Context, t Ticket) error
	// GetTicket returns the live ticket id at now, or ErrNotFound.
	GetTicket(ctx context.Context, id string, now time.Time) (*Ticket, error)
	// TakeTicket returns and deletes the live ticket id at now in one atomic
	// step; of concurrent callers exactly one gets it, the rest ErrNotFound.
	// When verified is true, an unverified ticket is left alone and
	// ErrNotFound returned.
	TakeTicket(ctx context.Context, id string, now time.Time, verified bool) (*Ticket, error)
	// DeleteTicketScope removes every ticket of scope.
	DeleteTicketScope(ctx context.Context, scope string) error

	// Allow checks key's events against every window at now. When all have
	// room it records one event and returns 0; otherwise it records nothing
	// and returns how long until every window has room again.
	Allow(ctx context.Context, key string, now time.Time, windows []Window) (time.Duration, error)

	// BeginAttempt reserves one attempt of key at now under p. A reserved
	// attempt counts as a failure until SucceedAttempt says otherwise, so of
	// many concurrent attempts no more than the policy allows are let
	// through. When the reservation reaches a limit of p the lock starts now.
	BeginAttempt(ctx context.Context, key string, now time.Time, p LockPolicy) (Attempt, error)
	// SucceedAttempt records that attempt id of key succeeded: the
	// consecutive count is reset, the attempt stops counting as a failure,
	// and any lock set by reservations still in flight is lifted.
	SucceedAttempt(ctx context.Context, key, id string, now time.Time) error
	// AttemptStatus reports key's lock at now without reserving anything;
	// Allowed is true when it is not locked.
	AttemptStatus(ctx context.Context, key string, now time.Time, p LockPolicy) (Attempt, error)
	// ClearAttempts forgets every failure and lock of key.
	ClearAttempts(ctx context.Context, key string) error
}

// Compose serves AccountStore calls from accounts and StateStore calls from
// state: for example accounts in PostgreSQL (pgstore) and codes, tickets and
// counters in Redis (redisstore).
func Compose(accounts AccountStore, state StateStore) Store {
	return composed{accounts, state}
}

type composed struct {
	AccountStore
	StateStore
}
