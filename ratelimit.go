package security

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"
)

// Every limit of the Service is a counter in the store (see CounterStore)
// with its policy here: which counters a request moves, which caps refuse
// it and what a refusal takes back. A send's caps, the destination's
// failure counts and the SMS budget are the gates of the PutCode that
// stores its code: one store call.

// budgetShards is how many counters one SMS budget is spread over: each
// send adds to one at random and reads them all, so no single key (a hot
// row in PostgreSQL, one slot of a Redis Cluster) takes every send.
const budgetShards = 8

// budgetKeys are the counter keys of the SMS budgets, derived once.
type budgetKeys struct {
	codes, notices [budgetShards]string
}

func (s *Service) newBudgetKeys() budgetKeys {
	var b budgetKeys
	for i := range budgetShards {
		b.codes[i] = s.key("sms-budget", strconv.Itoa(i))
		b.notices[i] = s.key("sms-notice-budget", strconv.Itoa(i))
	}
	return b
}

func rateLimited(wait time.Duration) error {
	return &RateLimitError{RetryAfter: ceilSecond(wait)}
}

// cap is a conditional hit of one event on key within window.
func capHit(key string, window time.Duration, max int) Hit {
	return Hit{Key: key, Window: window, Add: 1, Max: max}
}

// waitFor is how long until t's counter has room again.
func waitFor(t Tally, now time.Time) time.Duration {
	if w := t.Next.Sub(now); w > 0 {
		return w
	}
	return time.Second
}

// budget is one SMS budget's part of a batch.
type budget struct {
	name  string
	first int // index of its first shard hit
	shard int // the shard this send adds to
}

// addBudget appends the hits of one SMS to budget name (codes or
// notices): one to a random shard, reads of the others.
func (s *Service) addBudget(hits []Hit, notices bool) ([]Hit, budget) {
	keys, name := &s.budget.codes, "sms-budget"
	if notices {
		keys, name = &s.budget.notices, "sms-notice-budget"
	}
	b := budget{name: name, first: len(hits), shard: rand.IntN(budgetShards)}
	for i, k := range keys {
		h := Hit{Key: k, Window: time.Hour}
		if i == b.shard {
			h.Add = 1
		}
		hits = append(hits, h)
	}
	return hits, b
}

// spent reads a budget's answer: the SMS sent this hour with this one,
// and when the oldest of them leaves the hour. Concurrent sends may each
// miss the others' adds, so the budget can be passed by at most the sends
// in flight at once.
func (b budget) spent(tallies []Tally) (n int, next time.Time) {
	for _, t := range tallies[b.first : b.first+budgetShards] {
		n += t.Count
		if !t.Next.IsZero() && (next.IsZero() || t.Next.Before(next)) {
			next = t.Next
		}
	}
	return n, next
}

// checkBudget reports the wait when b is spent, and emits the warning for
// every SMS from 80% of the budget on.
func (s *Service) checkBudget(ctx context.Context, b budget, tallies []Tally, m Message, now time.Time) time.Duration {
	n, next := b.spent(tallies)
	if n > s.lim.SMSBudgetPerHour {
		s.budgetDrop(ctx, b.name, m)
		return waitFor(Tally{Next: next}, now)
	}
	if mark := s.lim.SMSBudgetPerHour * 8 / 10; mark >= 2 && n >= mark {
		s.emit(ctx, Event{Type: EventSMSBudgetWarning, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: b.name})
	}
	return 0
}

// budgetDrop logs and emits an SMS that budget name has no room for.
func (s *Service) budgetDrop(ctx context.Context, name string, m Message) {
	s.log.WarnContext(ctx, "security: SMS budget spent, message dropped", slog.String("purpose", string(m.Purpose)), slog.String("to", Mask(m.To)))
	s.emit(ctx, Event{Type: EventSMSBudgetExhausted, UserID: m.UserID, Destination: Mask(m.To), Purpose: m.Purpose, Reason: name})
}

// sendBatch is a send's part of the store call that stores its code: the
// gates that must all have room, and what is needed to judge the answer.
type sendBatch struct {
	hits    []Hit
	reasons []string // why each hit would refuse the send
	own     int      // hits before this index stay spent on refusal
	sms     bool
	b       budget
}

// sendGates builds the gates of a send: the host's veto first, then the
// per-IP and per-account caps, the requester's failure block for the
// destination, the destination's caps and, for an SMS, the code budget.
// The destination's caps are split: sends the owner asks for (rq.owner)
// have caps of their own, which requests from anyone else cannot spend.
// Every send passes here, so this is also where Config.RequireClientIP
// refuses a context without a client IP. tag is the shard tag of req.To.
func (s *Service) sendGates(ctx context.Context, req SendRequest, rq requester, tag string) (sendBatch, error) {
	if err := s.checkClientIP(ctx); err != nil {
		return sendBatch{}, err
	}
	ip, err := s.public(ctx)
	if err != nil {
		return sendBatch{}, err
	}
	if s.cfg.SendVeto != nil {
		if err := s.cfg.SendVeto(ctx, req); err != nil {
			return sendBatch{}, err
		}
	}
	sb := sendBatch{hits: make([]Hit, 0, 16), reasons: make([]string, 0, 8), sms: req.Channel == ChannelSMS}
	add := func(h Hit, reason string) {
		sb.hits = append(sb.hits, h)
		sb.reasons = append(sb.reasons, reason)
	}
	// No client IP (a Go API call without WithClient, a unix socket): one
	// shared bucket would let anyone exhaust it for everyone, so there is
	// no per-IP cap; the others apply.
	if ip.kind != "" {
		add(capHit(s.key("send-ip", ip.id), time.Hour, s.lim.SendsPerIPHour), "ip")
	}
	if rq.kind == "account" {
		add(capHit(s.key("send-account", rq.id), time.Hour, s.lim.SendsPerAccountHour), "account")
	}
	sb.own = len(sb.hits)
	// A read with room below DestinationFailures: blocked at that many.
	for _, k := range s.failKeys(tag, req.To, rq, true) {
		add(Hit{Key: k, Window: s.lim.DestinationFailureWindow, Max: s.lim.DestinationFailures - 1}, "destination_failures")
	}
	destKey := "send-dest"
	if rq.owner {
		destKey = "send-dest-owner"
	}
	// One MAC for the destination's caps; each window is a counter of its
	// own under it.
	dk := s.key(destKey, req.To)
	for _, w := range s.lim.destinationSends() {
		add(capHit(dk+"/"+w.name, w.period, w.max), "destination")
	}
	if sb.sms {
		sb.hits, sb.b = s.addBudget(sb.hits, false)
	}
	return sb, nil
}

// judgeSend reads the answer to a send's gates: nil when the send may go,
// else the refusal (an event emitted), which the caller returns after
// taking back, with refund, what the send added to the destination and
// the budget. So refused sends never spend a victim's codes; what a
// refused send added to its own IP and account stays spent, so probing
// costs the prober. On success an SMS has spent its budget: deliver does
// not spend it again.
func (s *Service) judgeSend(ctx context.Context, req SendRequest, sb sendBatch, tallies []Tally, now time.Time) error {
	var wait time.Duration
	reason := ""
	for i, r := range sb.reasons {
		if !tallies[i].Applied {
			wait, reason = waitFor(tallies[i], now), r
			break
		}
	}
	m := Message{Channel: req.Channel, To: req.To, Purpose: req.Purpose, UserID: req.UserID}
	if reason == "" && sb.sms {
		if wait = s.checkBudget(ctx, sb.b, tallies, m, now); wait > 0 {
			reason = "budget"
		}
	}
	switch reason {
	case "":
		return nil
	case "budget":
	default:
		s.emit(ctx, Event{Type: EventSendThrottled, UserID: req.UserID, Destination: Mask(req.To), Purpose: req.Purpose, Reason: reason})
	}
	return rateLimited(wait)
}

// refundSend takes back what a refused send added to the destination and
// the budget, and returns cause.
func (s *Service) refundSend(ctx context.Context, now time.Time, cause error, sb sendBatch, tallies []Tally) error {
	return s.refund(ctx, now, cause, applied(sb.hits[sb.own:], tallies[sb.own:])...)
}

// applied returns the hits that added events and were applied.
func applied(hits []Hit, tallies []Tally) []Hit {
	var out []Hit
	for i, h := range hits {
		if h.Add > 0 && tallies[i].Applied {
			out = append(out, h)
		}
	}
	return out
}

// sendWindow is one of a destination's send caps.
type sendWindow struct {
	name   string
	period time.Duration
	max    int
}

// destinationSends are a destination's send caps. The cooldown is counted
// over twelve thirteenths of SendCooldown: a counter may count an event up
// to a twelfth of its window longer (see CounterBuckets), so this one
// counts it for between 12/13 and all of SendCooldown, never longer. A
// client's countdown of SendCooldown is never refused at its end; the
// price is that a send may be accepted up to SendCooldown/13 early. The
// hour and day caps err strict.
func (l Limits) destinationSends() []sendWindow {
	return []sendWindow{
		{"cooldown", l.SendCooldown * CounterBuckets / (CounterBuckets + 1), 1},
		{"hour", time.Hour, l.SendsPerHour},
		{"day", 24 * time.Hour, l.SendsPerDay},
	}
}

// failKeys are the failure counts of dest (whose shard tag is tag) that
// rq's guesses move: its own (when it has an identity) and the strangers'
// (unless it is the owner), or the shadow count for a code that was never
// sent.
func (s *Service) failKeys(tag, dest string, rq requester, sent bool) []string {
	keys := make([]string, 0, 2)
	if rq.kind != "" {
		keys = append(keys, s.failKey(tag, dest, rq))
	}
	switch {
	case !sent:
		keys = append(keys, s.taggedKey(tag, "fail-shadow", dest))
	case !rq.owner:
		keys = append(keys, s.strangersFailKey(tag, dest))
	}
	return keys
}

// failHits are the counters a wrong guess at a code of dest moves (see
// failKeys). The requester's and the strangers' counts block at
// Limits.DestinationFailures; the shadow count blocks nothing.
func (s *Service) failHits(tag, dest string, rq requester, sent bool) []Hit {
	keys := s.failKeys(tag, dest, rq, sent)
	hits := make([]Hit, len(keys))
	for i, k := range keys {
		hits[i] = Hit{Key: k, Window: s.lim.DestinationFailureWindow, Add: 1, Max: s.lim.DestinationFailures}
	}
	if !sent {
		hits[len(hits)-1].Max = 0
	}
	return hits
}

// failureResets are the hits that forget the failure counts at keys.
func (s *Service) failureResets(keys ...string) []Hit {
	hits := make([]Hit, len(keys))
	for i, k := range keys {
		hits[i] = Hit{Key: k, Window: s.lim.DestinationFailureWindow, Reset: true}
	}
	return hits
}

// reset applies resets, in one store call.
func (s *Service) reset(ctx context.Context, resets []Hit) error {
	if _, err := s.store.Count(ctx, s.now(), resets); err != nil {
		return s.storeErr(err)
	}
	return nil
}

// chargeMiss spends one of the requester's misses: submissions that
// could not have guessed a code anyone received.
func (s *Service) chargeMiss(ctx context.Context, c codeCheck, now time.Time) error {
	if c.rq.kind == "" {
		return nil
	}
	tallies, err := s.store.Count(ctx, now, []Hit{capHit(s.missKey(c.rq), time.Hour, s.lim.MissesPerHour)})
	if err != nil {
		return s.storeErr(err)
	}
	if !tallies[0].Applied {
		s.emit(ctx, Event{Type: EventVerificationFailed, UserID: c.userID, Destination: Mask(c.dest), Purpose: c.purpose, Reason: "misses"})
		return rateLimited(waitFor(tallies[0], now))
	}
	return nil
}

// refund takes back, in one store call, the events that hits added at
// now, and returns cause (or the store's error).
func (s *Service) refund(ctx context.Context, now time.Time, cause error, hits ...Hit) error {
	if len(hits) == 0 {
		return cause
	}
	back := make([]Hit, len(hits))
	for i, h := range hits {
		back[i] = Hit{Key: h.Key, Window: h.Window, Add: -h.Add}
	}
	if _, err := s.store.Count(ctx, now, back); err != nil {
		return s.storeErr(err)
	}
	return cause
}
