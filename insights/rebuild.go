package insights

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// rebuildSQL recomputes the message and turn roll-ups from their rows with
// the definitions Recount checks them against. $1 is the tenant.
var rebuildSQL = []string{
	`UPDATE insight_turns SET bucket = nullif(` + bucketSQL("seconds") + `, -1),
	    business_bucket = nullif(` + bucketSQL("business_seconds") + `, -1)
	WHERE tenant_id = $1 AND (bucket IS DISTINCT FROM nullif(` + bucketSQL("seconds") + `, -1)
	    OR business_bucket IS DISTINCT FROM nullif(` + bucketSQL("business_seconds") + `, -1))`,
	`DELETE FROM insight_exposure_daily WHERE tenant_id = $1`,
	`INSERT INTO insight_exposure_daily (tenant_id, experiment, variant, day, contacts)
	SELECT $1, experiment, variant, first_day, count(*) FROM insight_exposures WHERE tenant_id = $1 GROUP BY 2, 3, 4`,
	`DELETE FROM insight_funnel_daily WHERE tenant_id = $1`,
	`INSERT INTO insight_funnel_daily (tenant_id, day, phone_number_id, template_name, campaign, messages, sent,
	    delivered, read, replied, failed)
	SELECT $1, day, phone_number_id, template_name, campaign, count(*),
	    count(*) FILTER (WHERE sent_at IS NOT NULL OR delivered_at IS NOT NULL OR read_at IS NOT NULL),
	    count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL),
	    count(read_at), count(replied_at), count(failed_at)
	FROM insight_messages WHERE tenant_id = $1 AND at IS NOT NULL GROUP BY 2, 3, 4, 5`,
	`DELETE FROM insight_failures_daily WHERE tenant_id = $1`,
	`INSERT INTO insight_failures_daily (tenant_id, day, phone_number_id, template_name, campaign, error_code,
	    error_title, failed)
	SELECT $1, day, phone_number_id, template_name, campaign, coalesce(error_code, 0), error_title, count(*)
	FROM insight_messages WHERE tenant_id = $1 AND failed_at IS NOT NULL GROUP BY 2, 3, 4, 5, 6, 7`,
	`DELETE FROM insight_hourly WHERE tenant_id = $1`,
	`INSERT INTO insight_hourly (tenant_id, day, hour, phone_number_id, direction, messages)
	SELECT $1, day, hour, phone_number_id, 'out', count(*) FROM insight_messages
	WHERE tenant_id = $1 AND at IS NOT NULL GROUP BY 2, 3, 4
	UNION ALL
	SELECT $1, day, hour, phone_number_id, 'in', count(*) FROM insight_inbound WHERE tenant_id = $1 GROUP BY 2, 3, 4`,
	`DELETE FROM insight_experiment_daily WHERE tenant_id = $1`,
	`INSERT INTO insight_experiment_daily (tenant_id, experiment, variant, day, messages, sent, delivered, read,
	    replied, failed, blocked)
	SELECT $1, experiment, variant, day, count(*),
	    count(*) FILTER (WHERE sent_at IS NOT NULL OR delivered_at IS NOT NULL OR read_at IS NOT NULL),
	    count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL),
	    count(read_at), count(replied_at), count(failed_at),
	    count(*) FILTER (WHERE failed_at IS NOT NULL AND error_code IN (131026, 131049, 131050))
	FROM insight_messages WHERE tenant_id = $1 AND at IS NOT NULL AND experiment <> '' GROUP BY 2, 3, 4`,
}

// RebuildRollups recomputes the turns' buckets and the funnel, failure,
// hourly, experiment, exposure, response-time and journey roll-ups of a tenant from their rows, under the tenant's
// insights lock. The fold keeps them in step already; this is for loading
// history in bulk and for repairing after a fix of the fold.
func (s *Service) RebuildRollups(ctx context.Context, tenantID uuid.UUID) error {
	return s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, lockKey(tenantID))
		for _, q := range append(slices.Clone(rebuildSQL), rebuildJourneySQL...) {
			b.Queue(q, tenantID)
		}
		for _, h := range histTables {
			cols := "grain, start, clock, first, " + h.dims() + "bucket"
			b.Queue(`DELETE FROM `+h.name+` WHERE tenant_id = $1`, tenantID)
			b.Queue(`INSERT INTO `+h.name+` (tenant_id, `+cols+`, turns, seconds)
				SELECT $1, `+cols+`, count(*), coalesce(sum(secs), 0) FROM (`+turnTilesSQL+`) t
				GROUP BY `+cols, tenantID)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("insights: rebuild roll-ups: %w", err)
		}
		return nil
	})
}
