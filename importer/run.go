package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acctsec/security"
)

// DefaultBatchSize is the default for Options.BatchSize.
const DefaultBatchSize = 5000

// Options tune Run.
type Options struct {
	// Format of the input (required: see FormatOf, ParseFormat).
	Format Format
	// Location reads createdAt values without a zone (default
	// DefaultLocation(), Asia/Shanghai).
	Location *time.Location
	// BatchSize is how many records go to the sink at once (default
	// DefaultBatchSize).
	BatchSize int
	// Workers is how many records are prepared at once (default
	// GOMAXPROCS): preparation wraps cheap hashes in argon2id.
	Workers int
	// MaxLineBytes is the longest line read (default DefaultMaxLineBytes).
	MaxLineBytes int
	// KeepCheapHashes stores cheap legacy digests as they are instead of
	// wrapping them in argon2id (security.ImportOptions): much faster, but
	// they stay cheap to crack in the store until each user's next login.
	KeepCheapHashes bool
	// DryRun reads, checks and prepares every record and reports as a run
	// would, but never calls the sink: conflicts with the store's records
	// (already present, phone_taken, email_taken) are not found.
	DryRun bool
	// ResumeFrom, when above 1, skips the records that start before that
	// line: they are counted as read and skipped, not prepared nor stored.
	// Summary.Done of a failed run, plus one, is where to resume; running
	// the whole file again is as safe, only slower.
	ResumeFrom int
	// Report, when set, receives every refused row, in line order.
	Report func(Refusal)
	// Progress, when set, receives the counts so far after every batch.
	Progress func(Summary)
}

func (o Options) withDefaults() (Options, error) {
	if o.Format != FormatJSONL && o.Format != FormatCSV {
		return o, errors.New("importer: Options.Format must be FormatJSONL or FormatCSV")
	}
	if o.Location == nil {
		o.Location = DefaultLocation()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return o, nil
}

// item is one record of a batch on its way to the sink.
type item struct {
	record
	skipped bool
	account *security.Account
}

// batch is a run of consecutive records, prepared.
type batch struct {
	items []item
	last  int // last line read
}

// Run imports the records of in: it reads them, prepares them with svc
// (svc.PrepareAccount: validation, normalisation, hash checks, the onion),
// hands each batch to sink, and reports refusals and progress in line
// order. Reading and preparing the next batch overlaps storing the
// current one. A refused row does not stop the run; an unreadable input,
// a failing sink or the end of ctx does, with the summary so far (its
// Done line tells where to resume).
func Run(ctx context.Context, svc *security.Service, in io.Reader, sink Sink, opt Options) (Summary, error) {
	start := time.Now()
	opt, err := opt.withDefaults()
	sum := Summary{DryRun: opt.DryRun, Refused: map[string]int{}}
	if err != nil {
		return sum, err
	}
	if svc == nil || (sink == nil && !opt.DryRun) {
		return sum, errors.New("importer: nil Service or Sink")
	}
	var src source
	switch opt.Format {
	case FormatJSONL:
		src = newJSONLSource(in, opt.MaxLineBytes)
	case FormatCSV:
		if src, err = newCSVSource(in, opt.MaxLineBytes); err != nil {
			return sum, err
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(batches)
		readErr = produce(ctx, svc, src, opt, batches)
	})
	var sinkErr error
	for b := range batches {
		if sinkErr == nil {
			if sinkErr = consume(ctx, sink, opt, b, &sum); sinkErr != nil {
				cancel()
			}
		}
	}
	wg.Wait()
	sum.Duration = time.Since(start)
	if sinkErr != nil {
		return sum, sinkErr
	}
	if readErr != nil {
		return sum, readErr
	}
	return sum, ctx.Err()
}

// produce reads batches, refuses repeated userIds and prepares the rest on
// opt.Workers goroutines, until the input or ctx ends.
func produce(ctx context.Context, svc *security.Service, src source, opt Options, out chan<- batch) error {
	seen := make(map[string]struct{})
	for {
		b := batch{items: make([]item, 0, opt.BatchSize)}
		var err error
		for len(b.items) < opt.BatchSize {
			var rec record
			if rec, err = src.next(); err != nil {
				break
			}
			b.last = rec.line
			b.items = append(b.items, item{record: rec, skipped: rec.line < opt.ResumeFrom})
		}
		if err != nil && err != io.EOF {
			return err
		}
		if perr := parallel(ctx, opt.Workers, len(b.items), func(i int) error {
			if b.items[i].skipped {
				b.items[i].raw = nil
			} else {
				b.items[i].parse()
			}
			return nil
		}); perr != nil {
			return perr
		}
		for i := range b.items {
			it := &b.items[i]
			if it.skipped || it.row == nil {
				continue
			}
			id := it.row[colUserID]
			if _, dup := seen[id]; dup && id != "" {
				it.refusal = &Refusal{Line: it.line, UserID: printableID(id), Reason: ReasonDuplicateUser}
			} else {
				seen[id] = struct{}{}
			}
		}
		if perr := prepare(ctx, svc, opt, b.items); perr != nil {
			return perr
		}
		if len(b.items) > 0 {
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// prepare fills in the account or refusal of every item to import.
func prepare(ctx context.Context, svc *security.Service, opt Options, items []item) error {
	return parallel(ctx, opt.Workers, len(items), func(i int) error {
		it := &items[i]
		if it.skipped || it.refusal != nil {
			return nil
		}
		return prepareItem(ctx, svc, opt, it)
	})
}

// parallel calls fn(0..n-1) on workers goroutines and returns the first
// errors, or ctx's error when it ended.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// prepareItem prepares one row, setting its account or its refusal. The
// error is for a failure that must stop the run.
func prepareItem(ctx context.Context, svc *security.Service, opt Options, it *item) error {
	id := printableID(it.row[colUserID])
	n, err := it.row.newAccount(opt.Location)
	if err != nil {
		var fe *errField
		if errors.As(err, &fe) {
			it.refusal = &Refusal{Line: it.line, UserID: id, Reason: fe.reason, Detail: fe.Error()}
			if fe.reason == ReasonMissingHash {
				it.refusal.Detail = ""
			}
			return nil
		}
		return err
	}
	a, err := svc.PrepareAccount(ctx, n, security.ImportOptions{KeepCheapHashes: opt.KeepCheapHashes})
	if err == nil {
		it.account = a
		return nil
	}
	reason, detail := "", ""
	msg := err.Error()
	switch {
	case errors.Is(err, security.ErrInvalidPhone):
		reason = ReasonBadPhone
	case errors.Is(err, security.ErrInvalidEmail):
		reason = ReasonBadEmail
	case errors.Is(err, security.ErrInvalidArgument):
		// PrepareAccount names the field at fault in its message, and
		// never a value.
		detail = strings.TrimPrefix(msg, security.ErrInvalidArgument.Error()+": ")
		switch {
		case strings.Contains(msg, "PayPasswordHash"):
			reason = ReasonBadPayHash
			detail = strings.TrimPrefix(detail, "PayPasswordHash: ")
		case strings.Contains(msg, "PasswordHash"):
			reason = ReasonBadHash
			detail = strings.TrimPrefix(detail, "PasswordHash: ")
		case strings.Contains(msg, "user ID"):
			reason, detail = ReasonBadUserID, ""
		default:
			reason = ReasonInvalid
		}
	default:
		return fmt.Errorf("importer: line %d: %w", it.line, err)
	}
	it.refusal = &Refusal{Line: it.line, UserID: id, Reason: reason, Detail: detail}
	return nil
}

// consume stores one prepared batch and reports its outcomes in order.
func consume(ctx context.Context, sink Sink, opt Options, b batch, sum *Summary) error {
	var accounts []*security.Account
	for _, it := range b.items {
		if it.account != nil {
			accounts = append(accounts, it.account)
		}
	}
	var outcomes []error
	if !opt.DryRun && len(accounts) > 0 {
		var err error
		outcomes, err = sink.Import(ctx, accounts)
		if err != nil {
			return fmt.Errorf("importer: batch of lines %d..%d: %w", b.items[0].line, b.last, err)
		}
		if len(outcomes) != len(accounts) {
			return fmt.Errorf("importer: the sink returned %d outcomes for %d accounts", len(outcomes), len(accounts))
		}
	}
	k := 0
	for _, it := range b.items {
		sum.Read++
		var oc error
		if it.account != nil && outcomes != nil {
			oc = outcomes[k]
		}
		if it.account != nil {
			k++
		}
		ref := it.refusal
		switch {
		case it.skipped:
			sum.Skipped++
			continue
		case ref != nil:
		case oc == nil:
			sum.Imported++
		case errors.Is(oc, security.ErrAccountExists):
			sum.AlreadyPresent++
		case errors.Is(oc, security.ErrPhoneTaken):
			ref = &Refusal{Line: it.line, UserID: it.account.UserID, Reason: ReasonPhoneTaken, Detail: security.Mask(it.account.Phone)}
		case errors.Is(oc, security.ErrEmailTaken):
			ref = &Refusal{Line: it.line, UserID: it.account.UserID, Reason: ReasonEmailTaken, Detail: security.Mask(it.account.Email)}
		default:
			return fmt.Errorf("importer: the sink refused line %d with an unexpected outcome: %w", it.line, oc)
		}
		if ref != nil {
			sum.Refused[ref.Reason]++
			if opt.Report != nil {
				opt.Report(*ref)
			}
		}
	}
	sum.Done = b.last
	if opt.Progress != nil {
		opt.Progress(*sum)
	}
	return nil
}
