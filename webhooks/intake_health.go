package webhooks

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// IntakeHealth is the webhook archive over a time window, for operators.
type IntakeHealth struct {
	// Hours counts the bodies received in each hour of the window, oldest
	// first; hours without bodies are included with zero.
	Hours []HourCount
	// Received, Poison and Pending count the window's bodies: all of them,
	// those that were not a WhatsApp envelope, and those not yet routed.
	Received, Poison, Pending int
	// OrphanChanges counts changes still waiting for a tenant, whenever
	// they came.
	OrphanChanges int
}

// HourCount is the bodies received in the hour starting at Hour.
type HourCount struct {
	Hour   time.Time
	Bodies int
}

// IntakeHealth reads the archive between from and to (from <= received_at
// < to), truncated to whole UTC hours.
func (s *Service) IntakeHealth(ctx context.Context, from, to time.Time) (IntakeHealth, error) {
	from, to = from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour).Add(time.Hour)
	var h IntakeHealth
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		counts, err := hourlyBodies(ctx, tx, from, to)
		if err != nil {
			return err
		}
		for at := from; at.Before(to); at = at.Add(time.Hour) {
			h.Hours = append(h.Hours, HourCount{Hour: at, Bodies: counts[at.Unix()]})
		}
		err = tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE a.error IS NOT NULL),
				count(*) FILTER (WHERE a.error IS NULL AND r.archive_id IS NULL)
			FROM webhook_archive a LEFT JOIN webhook_routed r ON r.archive_id = a.id
			WHERE a.received_at >= $1 AND a.received_at < $2`, from, to).Scan(&h.Received, &h.Poison, &h.Pending)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM webhook_orphans WHERE adopted_at IS NULL`).Scan(&h.OrphanChanges)
	})
	return h, pg.Translate(err, "intake health")
}

func hourlyBodies(ctx context.Context, tx pgx.Tx, from, to time.Time) (map[int64]int, error) {
	rows, err := tx.Query(ctx, `SELECT extract(epoch FROM date_trunc('hour', received_at AT TIME ZONE 'UTC'))::bigint, count(*)
		FROM webhook_archive WHERE received_at >= $1 AND received_at < $2 GROUP BY 1`, from, to)
	if err != nil {
		return nil, err
	}
	out := map[int64]int{}
	var hour int64
	var n int
	_, err = pgx.ForEachRow(rows, []any{&hour, &n}, func() error { out[hour] = n; return nil })
	return out, err
}
