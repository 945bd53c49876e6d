package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/acctsec/security"
)

// Allow checks key's events against every window at now in one statement (a
// call of the allow function, which keeps a sorted log of event times per
// key, trimmed to the longest window). When all windows have room it records
// one event and returns 0; otherwise it records nothing and returns how long
// until every window has room again.
//
// A window whose Period or Max is not positive is an error wrapping
// security.ErrInvalidArgument; with no window Allow returns 0 without
// touching the database.
func (s *Store) Allow(ctx context.Context, key string, now time.Time, windows []security.Window) (time.Duration, error) {
	periods := make([]int64, 0, len(windows))
	maxes := make([]int32, 0, len(windows))
	for _, w := range windows {
		if w.Period <= 0 || w.Max <= 0 {
			return 0, fmt.Errorf("pgstore: window %v/%d: %w", w.Period, w.Max, security.ErrInvalidArgument)
		}
		periods = append(periods, int64(w.Period))
		maxes = append(maxes, clampInt32(w.Max))
	}
	if len(periods) == 0 {
		return 0, nil
	}
	var wait int64
	if err := s.pool.QueryRow(ctx, s.q.allow, key, toNS(now), periods, maxes).Scan(&wait); err != nil {
		return 0, wrap("allow", err)
	}
	return time.Duration(wait), nil
}
