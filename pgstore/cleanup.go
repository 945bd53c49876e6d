package pgstore

import (
	"context"
	"sync"
	"time"
)

// DefaultCleanupInterval is the period of StartCleanup when it is given a
// non-positive interval.
const DefaultCleanupInterval = time.Minute

// Cleanup deletes the rows that have expired at Config.Now(): codes,
// tickets, and counters whose newest event has left their window. It
// deletes in batches of Config.CleanupBatch rows per statement, so no
// statement holds many locks for long, and returns the number of rows
// deleted. Rows another
// transaction holds are skipped until the next run.
func (s *Store) Cleanup(ctx context.Context) (int64, error) {
	now := toNS(s.cfg.Now())
	var total int64
	for _, sql := range s.q.cleanup {
		for {
			tag, err := s.pool.Exec(ctx, sql, now, s.cfg.CleanupBatch)
			if err != nil {
				return total, wrap("cleanup", err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < int64(s.cfg.CleanupBatch) {
				break
			}
		}
	}
	return total, nil
}

// StartCleanup runs Cleanup every interval (DefaultCleanupInterval when not
// positive) in a background goroutine until ctx ends or stop is called. stop
// waits for a run in progress to end; it may be called more than once. After
// each run Config.CleanupReport, if set, is told the outcome.
func (s *Store) StartCleanup(ctx context.Context, interval time.Duration) (stop func()) {
	if interval <= 0 {
		interval = DefaultCleanupInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, err := s.Cleanup(ctx)
			if ctx.Err() != nil {
				return
			}
			if s.cfg.CleanupReport != nil {
				s.cfg.CleanupReport(n, err)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(cancel)
		<-done
	}
}
