package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wabsp/wabsp/webhooks"
)

// Handler returns the webhooks.Handler that keeps the ledger, the roll-ups,
// inbound counts and service windows for the messages field. Register it
// beside webhooks.Service.Defaults(), which keeps statuses and message state.
func (s *Service) Handler() webhooks.Handler { return ledgerHandler{s} }

type ledgerHandler struct{ s *Service }

// Apply runs inside the intake's tenant transaction. It takes the tenant's
// ledger lock, reads the affected rows, folds the new statuses into them in
// memory and writes rows and roll-up deltas back: two round trips, whatever
// the batch size.
func (h ledgerHandler) Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []webhooks.Change) error {
	var obs observations
	for _, c := range changes {
		if c.Field == webhooks.FieldMessages {
			obs.add(c)
		}
	}
	if len(obs.statuses) == 0 && len(obs.inbound) == 0 {
		return nil
	}
	markets, err := h.s.marketTable(ctx)
	if err != nil {
		return err
	}
	slices.SortStableFunc(obs.statuses, func(a, b statusObs) int { return cmp.Compare(a.wamid, b.wamid) })
	wamids := distinctWamids(obs.statuses)

	loc, old, err := readLedger(ctx, tx, tenantID, wamids)
	if err != nil {
		return err
	}
	w := &ledgerWrite{tenantID: tenantID, delta: map[usageKey]Counts{}}
	i := 0
	for _, id := range wamids {
		prev, existed := old[id]
		next := prev
		for ; i < len(obs.statuses) && obs.statuses[i].wamid == id; i++ {
			next.fold(obs.statuses[i])
		}
		next.derive(h.s.cfg.Fallback, markets, loc)
		w.change(prev, next, existed)
	}
	w.addInbound(obs.inbound, markets, loc)
	return w.flush(ctx, tx)
}

func distinctWamids(sorted []statusObs) []string {
	var out []string
	for _, o := range sorted {
		if len(out) == 0 || out[len(out)-1] != o.wamid {
			out = append(out, o.wamid)
		}
	}
	return out
}

// selectLedgerSQL finds each message's month in the key table and reads its
// row from that month only: the month is a join parameter, so every other
// partition is pruned when the probe runs.
const selectLedgerSQL = `
SELECT l.wamid, l.phone_number_id, coalesce(l.recipient, ''), coalesce(l.recipient_user_id, ''), l.market, l.category,
    l.rate_category, l.pricing_type, l.pricing_model, l.billable, l.pricing_rank, l.fallback, l.charged, l.first_seen_at,
    l.sent_at, l.delivered_at, l.read_at, l.failed_at, l.error_code, l.billed_at, l.day, l.month
FROM unnest($2::text[]) AS u(wamid)
JOIN billing_ledger_keys k ON k.tenant_id = $1 AND k.wamid = u.wamid
CROSS JOIN LATERAL (SELECT * FROM billing_ledger l
    WHERE l.tenant_id = $1 AND l.wamid = k.wamid AND l.month = k.month OFFSET 0) l`

// readLedger takes the tenant's ledger lock and returns its time zone and the
// stored rows of wamids, in one round trip.
func readLedger(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wamids []string) (*time.Location, map[string]ledgerRow, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, lockKey(tenantID))
	b.Queue(`SELECT time_zone FROM tenants WHERE id = $1`, tenantID)
	if len(wamids) > 0 {
		b.Queue(selectLedgerSQL, tenantID, wamids)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, fmt.Errorf("billing: ledger lock: %w", err)
	}
	var tz string
	if err := br.QueryRow().Scan(&tz); err != nil {
		return nil, nil, fmt.Errorf("billing: tenant zone: %w", err)
	}
	old := map[string]ledgerRow{}
	if len(wamids) > 0 {
		rows, err := br.Query()
		if err != nil {
			return nil, nil, fmt.Errorf("billing: read ledger: %w", err)
		}
		for rows.Next() {
			r, err := scanLedger(rows)
			if err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("billing: read ledger: %w", err)
			}
			old[r.wamid] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("billing: read ledger: %w", err)
		}
	}
	return location(tz), old, br.Close()
}

func scanLedger(row pgx.Row) (ledgerRow, error) {
	var r ledgerRow
	var sent, delivered, read, failed pgtype.Timestamptz
	var code *int32
	err := row.Scan(&r.wamid, &r.phoneID, &r.recipient, &r.userID, &r.market, &r.category, &r.rateCategory,
		&r.pricingType, &r.model, &r.billable, &r.pricingRank, &r.fallback, &r.charged, &r.firstSeen,
		&sent, &delivered, &read, &failed, &code, &r.billedAt, &r.day, &r.month)
	r.sent, r.delivered, r.read, r.failed = sent.Time, delivered.Time, read.Time, failed.Time
	if code != nil {
		r.errorCode, r.hasErrorCode = *code, true
	}
	return r, err
}
