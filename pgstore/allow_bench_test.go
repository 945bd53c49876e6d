package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// BenchmarkAllowLargeWindow measures Allow on one key whose window holds
// Max events, in steady state: the log is full, the oldest event leaves the
// window as each new one arrives, so every call is allowed and rewrites the
// key's whole events array (Max * 8 bytes). A budget such as the Service's
// global SMS key (SMSBudgetPerHour in the thousands) is this case.
// log-bytes is the stored size of the array (after any compression).
func BenchmarkAllowLargeWindow(b *testing.B) {
	ctx := context.Background()
	pool := newPool(b, nil)
	for _, m := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint("Max=", m), func(b *testing.B) {
			st := newStore(b, pool, pgstore.Config{})
			period := time.Hour
			step := period / time.Duration(m)
			w := []security.Window{{Period: period, Max: m}}
			// Fill the log with m-1 events spread over the window.
			_, err := pool.Exec(ctx, `INSERT INTO `+pgx.Identifier{st.Schema(), "rate_events"}.Sanitize()+`
				(key, events, expires_ns)
				SELECT 'budget', array_agg($1::bigint + i * $2::bigint ORDER BY i), $1::bigint + $3::bigint * $2::bigint + $4::bigint
				FROM generate_series(0, $3::bigint - 2) AS i`,
				base.UnixNano(), int64(step), m, int64(period))
			require.NoError(b, err)

			for i := 0; b.Loop(); i++ {
				now := base.Add(time.Duration(m+i) * step)
				wait, err := st.Allow(ctx, "budget", now, w)
				if err != nil || wait != 0 {
					b.Fatalf("call %d: wait %v, err %v", i, wait, err)
				}
			}
			var size int
			require.NoError(b, pool.QueryRow(ctx, `SELECT pg_column_size(events) FROM `+
				pgx.Identifier{st.Schema(), "rate_events"}.Sanitize()).Scan(&size))
			b.ReportMetric(float64(size), "log-bytes")
		})
	}
}
