package outbound

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// EndpointHealth is one subscription as operators see it: its state and how
// its last day of attempts went.
type EndpointHealth struct {
	Subscription
	// Attempts24h and Failures24h count attempts in the last 24 hours.
	Attempts24h int `json:"attempts_24h"`
	Failures24h int `json:"failures_24h"`
	// Pending is how many deliveries wait; Dead how many became dead
	// letters in the last 24 hours.
	Pending int `json:"pending"`
	Dead24h int `json:"dead_24h"`
}

// FailureRate is Failures24h over Attempts24h, 0 without attempts.
func (h EndpointHealth) FailureRate() float64 {
	if h.Attempts24h == 0 {
		return 0
	}
	return float64(h.Failures24h) / float64(h.Attempts24h)
}

// HealthFilter narrows the admin health view.
type HealthFilter struct {
	TenantID  uuid.UUID
	PartnerID uuid.UUID
	// Unhealthy keeps disabled subscriptions and ones failing now.
	Unhealthy bool
}

// HealthSummary totals the health view across all subscriptions.
type HealthSummary struct {
	Subscriptions int `json:"subscriptions"`
	Disabled      int `json:"disabled"`
	Failing       int `json:"failing"`
	Attempts24h   int `json:"attempts_24h"`
	Failures24h   int `json:"failures_24h"`
}

// Health lists subscriptions across every tenant and partner for admins,
// newest first, with their delivery figures, and totals for all of them.
// It runs as the owning role: this is the cross-tenant oversight view.
func (s *Service) Health(ctx context.Context, f HealthFilter, p Page) (List[EndpointHealth], HealthSummary, error) {
	at, id, ok, err := paging.DecodeCursor(p.Cursor)
	if err != nil {
		return List[EndpointHealth]{}, HealthSummary{}, err
	}
	var afterAt, afterID any
	if ok {
		u, err := uuid.Parse(id)
		if err != nil {
			return List[EndpointHealth]{}, HealthSummary{}, errBadCursor
		}
		afterAt, afterID = at, u
	}
	size := p.Size()
	var rows []EndpointHealth
	var sum HealthSummary
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		const filter = `($1::uuid IS NULL OR s.tenant_id = $1) AND ($2::uuid IS NULL OR s.partner_id = $2)
			AND (NOT $3 OR NOT s.active OR s.failing_since IS NOT NULL)`
		r, err := tx.Query(ctx, `
			SELECT `+subColumns+`, a.attempts, a.failures, q.pending, q.dead
			FROM webhook_subscriptions s
			CROSS JOIN LATERAL (SELECT count(*) AS attempts,
					count(*) FILTER (WHERE error IS NOT NULL OR status_code NOT BETWEEN 200 AND 299) AS failures
				FROM webhook_attempts WHERE subscription_id = s.id AND attempted_at > now() - interval '24 hours') a
			CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
					count(*) FILTER (WHERE status = 'dead' AND created_at > now() - interval '24 hours') AS dead
				FROM webhook_deliveries WHERE subscription_id = s.id
				  AND (status = 'pending' OR created_at > now() - interval '24 hours')) q
			WHERE `+filter+` AND ($4::timestamptz IS NULL OR (s.created_at, s.id) < ($4, $5::uuid))
			ORDER BY s.created_at DESC, s.id DESC LIMIT $6`,
			nullUUID(f.TenantID), nullUUID(f.PartnerID), f.Unhealthy, afterAt, afterID, size+1)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, scanHealth)
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
			SELECT count(*), count(*) FILTER (WHERE NOT s.active),
				count(*) FILTER (WHERE s.active AND s.failing_since IS NOT NULL),
				coalesce(sum(a.attempts), 0), coalesce(sum(a.failures), 0)
			FROM webhook_subscriptions s
			CROSS JOIN LATERAL (SELECT count(*) AS attempts,
					count(*) FILTER (WHERE error IS NOT NULL OR status_code NOT BETWEEN 200 AND 299) AS failures
				FROM webhook_attempts WHERE subscription_id = s.id AND attempted_at > now() - interval '24 hours') a
			WHERE `+filter, nullUUID(f.TenantID), nullUUID(f.PartnerID), f.Unhealthy).
			Scan(&sum.Subscriptions, &sum.Disabled, &sum.Failing, &sum.Attempts24h, &sum.Failures24h)
	})
	if err != nil {
		return List[EndpointHealth]{}, HealthSummary{}, pg.Translate(err, "delivery health")
	}
	page := paging.Paginate(rows, size, func(h EndpointHealth) (time.Time, string) { return h.CreatedAt, h.ID.String() })
	return page, sum, nil
}

func scanHealth(row pgx.CollectableRow) (EndpointHealth, error) {
	var h EndpointHealth
	var tenant, partner *uuid.UUID
	var reason *string
	err := row.Scan(&h.ID, &tenant, &partner, &h.URL, &h.Description, &h.EventTypes, &h.Active,
		&h.Ordered, &h.MaxInFlight, &reason, &h.DisabledAt, &h.FailingSince, &h.LastSuccessAt,
		&h.LastFailureAt, &h.PreviousSecretExpiresAt, &h.CreatedAt, &h.UpdatedAt,
		&h.Attempts24h, &h.Failures24h, &h.Pending, &h.Dead24h)
	if tenant != nil {
		h.TenantID = *tenant
	}
	if partner != nil {
		h.PartnerID = *partner
	}
	if reason != nil {
		h.DisabledReason = *reason
	}
	return h, err
}
