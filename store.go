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
	// Ticket, when set, is stored in the same atomic step as the code, as
	// PutTicket stores it (voiding the other tickets of its scope): a
	// forgot-password flow or an email link and its code are one write.
	// Its ID and non-empty Scope carry the shard prefix of Scope.
	Ticket *Ticket
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
	// CodeBlocked: a failure counter of the check was at its Max; the code
	// was not looked at and nothing changed.
	CodeBlocked
)

// CodeCheck is one submission of a code to VerifyCode.
type CodeCheck struct {
	Scope string
	MAC   []byte
	// MaxTries is the wrong tries the code survives: the try that reaches
	// it deletes the code (a value below 1 counts as 1: a store fails
	// closed).
	MaxTries int
	// OnMatch, when set, is stored as PutTicket stores it (voiding the
	// other tickets of its scope) in the same atomic step, when and only
	// when the result is CodeMatched: a verified forgot-password flow
	// replaces the unverified one as its code is consumed. Its ID and
	// non-empty Scope carry the shard prefix of Scope.
	OnMatch *Ticket
	// Failures are the counters a wrong guess moves. Before the code is
	// looked at, every hit with a Max is checked as Count would check it
	// (Count+Add <= Max); if one has no room the result is CodeBlocked and
	// nothing changes. On CodeWrong and CodeVoided every hit's Add is
	// applied, with no Max check. On CodeMatched and CodeMissing they are
	// left alone. Their keys share Scope's shard prefix (see Ticket), so
	// a store can keep them together.
	Failures []Hit
}

// CodeStore keeps pending one-time codes. Every method is one atomic
// operation and, on a networked backend, one round trip (a sharded store
// whose PutCode gates lie on other shards than the code may take two).
//
// Errors: ErrInvalidArgument for a malformed argument (an empty scope or
// MAC, a
// hit a CounterStore would refuse, a ticket PutTicket would refuse), and
// then nothing is applied;
// anything else is a system failure. A missing code is not an error:
// VerifyCode answers CodeMissing. Code.Ticket and CodeCheck.OnMatch store
// tickets, so the CodeStore and TicketStore of a StateStore are one
// backend.
type CodeStore interface {
	// PutCode applies gates at now as Count applies hits and then, in the
	// same call, stores c, replacing (voiding) any code in the same scope,
	// when and only when every gate with a Max was applied: a send's caps
	// and its code are one round trip, and a refused send leaves the code
	// it would have replaced alone. It reports whether c was stored, and
	// the gates' tallies in order. With no gates, c is stored. Like a Count
	// batch, the gates are each atomic on their own key, not one
	// transaction with the code; when the code cannot be stored after the
	// gates were applied (a full store, a lost connection), the store takes
	// back what they added before it returns the error, so a send that
	// stored nothing spends none of its caps.
	PutCode(ctx context.Context, now time.Time, c Code, gates []Hit) (bool, []Tally, error)
	// VerifyCode checks c.MAC against the live code of c.Scope at now and,
	// in the same atomic step, consumes it on a match or counts the wrong
	// try (deleting the code when the count reaches c.MaxTries) and applies
	// c.Failures as CodeCheck describes. The comparison is constant-time.
	// Of many concurrent calls with the right MAC exactly one gets
	// CodeMatched; of many concurrent wrong ones, no more get past the
	// Failures' Max than it allows. The tallies are c.Failures' counters
	// after the call, in order (their Applied is false when nothing was
	// added).
	VerifyCode(ctx context.Context, now time.Time, c CodeCheck) (CodeResult, []Tally, error)
	// DeleteCode removes the code of scope, if any.
	DeleteCode(ctx context.Context, scope string) error
}

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
// and Scope prefixes differ. Code scopes and counter keys the Service makes
// carry a shard prefix the same way.
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

// TicketStore keeps forgot-password flows and email link tokens. Every
// method is one atomic operation and, on a networked backend, one round
// trip.
//
// Errors: ErrNotFound from GetTicket and TakeTicket when there is no live
// ticket; ErrInvalidArgument for a malformed ticket; anything else is a
// system failure.
type TicketStore interface {
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
}

// CounterBuckets is how many buckets a counter's window is split into.
// A counter over Window W keeps its events in buckets of W/CounterBuckets
// (whole nanoseconds, rounded down), numbered from the Unix epoch: the
// event at t falls in bucket floor(t.UnixNano() / (W/CounterBuckets)). Its
// count at now is the sum of the current bucket and the CounterBuckets
// before it. So a count never misses an event of the last W, and may
// include events up to W/CounterBuckets older: every limit built on it
// errs on the strict side by at most one twelfth of its window, and each
// operation costs the same whatever the number of events.
const CounterBuckets = 12

// Hit is one operation on one counter in a Count batch.
type Hit struct {
	Key string
	// Window is the sliding window counted, at least CounterBuckets
	// nanoseconds. All hits on one key use the same Window.
	Window time.Duration
	// Add is added to the bucket of now. A negative Add takes back events
	// added earlier with the same now (a refund); a bucket never goes
	// below zero.
	Add int
	// Max, when above zero, makes the hit conditional: Add is applied only
	// if Count+Add <= Max, where Count also takes in the events of buckets
	// after now's that the counter holds (written by a caller whose clock
	// runs ahead, or that reached the store first), so callers out of
	// order never get more past Max than it allows. Zero applies it
	// unconditionally. A hit with no
	// Add and a Max is a check: Applied reports Count <= Max (the Service
	// gates a send on failure counts so).
	Max int
	// Reset empties the counter before Add and Max are considered; a hit
	// that Max refuses applies neither.
	Reset bool
}

// Tally is what a store saw of one counter.
type Tally struct {
	// Count is the events of the window at now, after the hit.
	Count int
	// Applied reports whether the hit's Add (and Reset) took effect.
	Applied bool
	// Next is when the oldest bucket holding events in the window leaves
	// it, so Count falls; zero when Count is zero.
	Next time.Time
}

// CounterStore keeps event counters: the Service builds every rate limit,
// lockout and budget on them and decides every policy itself.
//
// Errors: ErrInvalidArgument for an empty key or a Window below
// CounterBuckets nanoseconds (nothing of the batch is applied); anything
// else is a system failure. A counter never seen counts zero.
type CounterStore interface {
	// Count applies hits in order at now and reports, for each, the
	// counter after it. Each hit is atomic on its own key: of many
	// concurrent conditional hits no more are applied than Max allows.
	// The batch as a whole is one round trip but not one transaction. A
	// store may forget a counter once its newest event has left the
	// window.
	Count(ctx context.Context, now time.Time, hits []Hit) ([]Tally, error)
}

// StateStore holds short-lived state: codes, tickets and counters. Times
// are always passed in, so a store never reads its own clock.
type StateStore interface {
	CodeStore
	TicketStore
	CounterStore
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
