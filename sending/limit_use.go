package sending

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// LimitUse is how much of a tenant's messaging limit its last 24 hours of
// business-initiated sends took.
type LimitUse struct {
	// Limit is the lowest tier any of the tenant's WABAs reports, "" when
	// none reports one.
	Limit string
	// Recipients counts the distinct users reached, as RecentRecipients.
	Recipients int
}

// Headroom is how many more unique users the tenant may reach before the
// limit refuses sends; ok is false when the limit is unknown or unlimited.
func (u LimitUse) Headroom() (n int, ok bool) {
	limit, ok := LimitOf(u.Limit)
	if !ok {
		return 0, false
	}
	return max(limit-u.Recipients, 0), true
}

// LimitUses reads LimitUse for each of tenantIDs (missing tenants get the
// zero value). It runs as the owning role, for the cross-tenant overview;
// the caller decides which tenants its user may see.
func (st *Store) LimitUses(ctx context.Context, tenantIDs []uuid.UUID, now time.Time) (map[uuid.UUID]LimitUse, error) {
	out := make(map[uuid.UUID]LimitUse, len(tenantIDs))
	if len(tenantIDs) == 0 {
		return out, nil
	}
	err := st.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := readLimits(ctx, tx, tenantIDs, out); err != nil {
			return err
		}
		return readRecipients(ctx, tx, tenantIDs, now, out)
	})
	if err != nil {
		return nil, fmt.Errorf("sending: limit use: %w", err)
	}
	return out, nil
}

// readLimits keeps each tenant's lowest counted tier: the one that refuses
// sends first.
func readLimits(ctx context.Context, tx pgx.Tx, tenantIDs []uuid.UUID, out map[uuid.UUID]LimitUse) error {
	rows, err := tx.Query(ctx, `SELECT tenant_id, messaging_limit FROM quality_accounts
		WHERE tenant_id = ANY($1) AND messaging_limit <> ''
		UNION SELECT tenant_id, messaging_limit FROM quality_numbers
		WHERE tenant_id = ANY($1) AND messaging_limit <> ''`, tenantIDs)
	if err != nil {
		return err
	}
	var id uuid.UUID
	var tier string
	_, err = pgx.ForEachRow(rows, []any{&id, &tier}, func() error {
		u := out[id]
		n, ok := LimitOf(tier)
		cur, known := LimitOf(u.Limit)
		if u.Limit == "" || (ok && (!known || n < cur)) {
			u.Limit = tier
		}
		out[id] = u
		return nil
	})
	return err
}

func readRecipients(ctx context.Context, tx pgx.Tx, tenantIDs []uuid.UUID, now time.Time, out map[uuid.UUID]LimitUse) error {
	rows, err := tx.Query(ctx, `SELECT tenant_id, count(DISTINCT recipient) FROM sends
		WHERE tenant_id = ANY($1) AND kind = 'template' AND state IN ('queued', 'sending', 'sent')
			AND created_at > $2::timestamptz - interval '24 hours'
		GROUP BY tenant_id`, tenantIDs, now)
	if err != nil {
		return err
	}
	var id uuid.UUID
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		u := out[id]
		u.Recipients = n
		out[id] = u
		return nil
	})
	return err
}
