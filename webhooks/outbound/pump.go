package outbound

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wabsp/wabsp/internal/events"
)

// gapTimeout is how long a skipped event id is waited for. An id stays
// missing for good when its transaction rolled back; one that commits
// arrives within a transaction's lifetime, far less than this.
const gapTimeout = 5 * time.Minute

// maxGaps bounds the gaps kept; a rolled-back bulk insert can skip
// thousands of ids at once, and those need not all be watched.
const maxGaps = 10000

// PumpResult says what one Pump call did.
type PumpResult struct {
	Events     int
	Deliveries int
	// Woken are the subscriptions that received new deliveries.
	Woken []uuid.UUID
	// More is true when events were left for another call.
	More bool
}

// Pump fans new outbox events out into deliveries, at most limit events per
// call, in one transaction with the pump's cursor: a crash anywhere repeats
// the whole step, and the unique (subscription, event) index makes the
// repeat create nothing twice. Only one Pump runs at a time; a concurrent
// call returns at once with nothing done.
func (s *Service) Pump(ctx context.Context, limit int) (PumpResult, error) {
	var res PumpResult
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		// The fan-out and the cursor commit together, so losing an
		// unflushed commit in a crash only repeats the fan-out.
		if _, err := tx.Exec(ctx, asyncCommit); err != nil {
			return err
		}
		var cursor int64
		err := tx.QueryRow(ctx, `SELECT last_event_id FROM webhook_pump FOR UPDATE NOWAIT`).Scan(&cursor)
		if isLockBusy(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("outbound: pump cursor: %w", err)
		}
		late, err := s.lateEvents(ctx, tx)
		if err != nil {
			return err
		}
		fresh, err := events.ListAfter(ctx, tx, cursor, limit)
		if err != nil {
			return err
		}
		if err := recordGaps(ctx, tx, cursor, fresh); err != nil {
			return err
		}
		res.Events, res.More = len(late)+len(fresh), len(fresh) == limit
		all := append(late, fresh...)
		if res.Deliveries, res.Woken, err = s.fanOut(ctx, tx, all); err != nil {
			return err
		}
		if len(fresh) > 0 {
			_, err = tx.Exec(ctx, `UPDATE webhook_pump SET last_event_id = $1, updated_at = now()`, fresh[len(fresh)-1].ID)
		}
		return err
	})
	if err != nil {
		return PumpResult{}, err
	}
	return res, nil
}

func isLockBusy(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// lateEvents returns events whose ids were skipped earlier and have since
// committed, and forgets them and any gap waited on for too long.
func (s *Service) lateEvents(ctx context.Context, tx pgx.Tx) ([]events.Stored, error) {
	rows, err := tx.Query(ctx, `
		WITH gone AS (
			DELETE FROM webhook_pump_gaps g
			WHERE g.seen_at < now() - make_interval(secs => $1)
			   OR EXISTS (SELECT 1 FROM domain_events e WHERE e.id = g.event_id)
			RETURNING g.event_id
		)
		SELECT e.id, e.tenant_id, e.type, e.subject, e.occurred_at, e.created_at, e.data
		FROM domain_events e JOIN gone ON gone.event_id = e.id ORDER BY e.id`, gapTimeout.Seconds())
	if err != nil {
		return nil, fmt.Errorf("outbound: late events: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[events.Stored])
	if err != nil {
		return nil, fmt.Errorf("outbound: late events: %w", err)
	}
	return out, nil
}

// recordGaps stores the ids between cursor and the newest fresh event that
// did not come back.
func recordGaps(ctx context.Context, tx pgx.Tx, cursor int64, fresh []events.Stored) error {
	var gaps []int64
	next := cursor + 1
	for _, e := range fresh {
		for id := next; id < e.ID && len(gaps) < maxGaps; id++ {
			gaps = append(gaps, id)
		}
		next = e.ID + 1
	}
	if len(gaps) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_pump_gaps (event_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING`, gaps)
	if err != nil {
		return fmt.Errorf("outbound: record gaps: %w", err)
	}
	return nil
}

// target is a subscription that may receive a tenant's events, and since
// when: a subscription gets only events created after it existed (and, for
// a partner's, after the tenant was assigned to the partner).
type target struct {
	sub      uuid.UUID
	patterns []string
	since    time.Time
}

// fanOut inserts one delivery per (event, matching subscription) and returns
// how many it created and for which subscriptions.
func (s *Service) fanOut(ctx context.Context, tx pgx.Tx, evs []events.Stored) (int, []uuid.UUID, error) {
	if len(evs) == 0 {
		return 0, nil, nil
	}
	targets, err := targetsFor(ctx, tx, evs)
	if err != nil || len(targets) == 0 {
		return 0, nil, err
	}
	var tenants, subs []uuid.UUID
	var ids []int64
	var msgIDs, types []string
	for _, e := range evs {
		for _, t := range targets[e.TenantID] {
			if e.CreatedAt.Before(t.since) || !matches(t.patterns, e.Type) {
				continue
			}
			tenants, subs, ids = append(tenants, e.TenantID), append(subs, t.sub), append(ids, e.ID)
			msgIDs, types = append(msgIDs, eventMessageID(e.ID)), append(types, e.Type)
		}
	}
	if len(ids) == 0 {
		return 0, nil, nil
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, message_id, event_type, origin, expires_at)
		SELECT u.tenant_id, u.sub, u.event_id, u.message_id, u.event_type, 'event', now() + make_interval(secs => $6)
		FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[])
			AS u(tenant_id, sub, event_id, message_id, event_type)
		ORDER BY u.sub, u.event_id
		ON CONFLICT (tenant_id, subscription_id, event_id) WHERE origin = 'event' DO NOTHING`,
		uuidArray(tenants), uuidArray(subs), ids, msgIDs, types, s.opt.Retry.Horizon.Seconds())
	if err != nil {
		return 0, nil, fmt.Errorf("outbound: insert deliveries: %w", err)
	}
	slices.SortFunc(subs, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return int(tag.RowsAffected()), slices.Compact(subs), nil
}

// targetsFor returns, per tenant of evs, the active subscriptions that may
// receive its events: its own and those of partners it is assigned to.
func targetsFor(ctx context.Context, tx pgx.Tx, evs []events.Stored) (map[uuid.UUID][]target, error) {
	seen := map[uuid.UUID]bool{}
	var tenants []uuid.UUID
	for _, e := range evs {
		if !seen[e.TenantID] {
			seen[e.TenantID] = true
			tenants = append(tenants, e.TenantID)
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT s.tenant_id, s.id, s.event_types, s.created_at FROM webhook_subscriptions s
		WHERE s.active AND s.tenant_id = ANY($1)
		UNION ALL
		SELECT pt.tenant_id, s.id, s.event_types, greatest(s.created_at, pt.assigned_at)
		FROM partner_tenants pt JOIN webhook_subscriptions s ON s.partner_id = pt.partner_id
		WHERE s.active AND pt.tenant_id = ANY($1)`, uuidArray(tenants))
	if err != nil {
		return nil, fmt.Errorf("outbound: subscriptions for events: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID][]target{}
	for rows.Next() {
		var tenant uuid.UUID
		var t target
		if err := rows.Scan(&tenant, &t.sub, &t.patterns, &t.since); err != nil {
			return nil, fmt.Errorf("outbound: subscriptions for events: %w", err)
		}
		out[tenant] = append(out[tenant], t)
	}
	return out, rows.Err()
}

// uuidArray converts ids for a uuid[] parameter. pgx encodes uuid.UUID
// through its driver.Valuer, a string per element; pgtype.UUID goes as
// binary, which matters for the tens of thousands of ids a fan-out sends.
func uuidArray(ids []uuid.UUID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		out[i] = pgtype.UUID{Bytes: id, Valid: true}
	}
	return out
}

// eventMessageID is the webhook-id of an event's messages: the same for
// every attempt, every subscription and every replay of that event, so a
// receiver can drop what it already processed.
func eventMessageID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// Due returns up to limit subscriptions with deliveries whose time has
// come, skipping endpoints resting after failures: the sweep that starts
// delivery runs for retries and for anything a lost wake-up left behind.
// It probes each subscription's queue index once, so a large backlog costs
// nothing here.
func (s *Service) Due(ctx context.Context, limit int) ([]uuid.UUID, error) {
	rows, err := s.db.Query(ctx, `
		SELECT s.id FROM webhook_subscriptions s
		WHERE (s.retry_at IS NULL OR s.retry_at <= now() OR NOT s.active)
		  AND EXISTS (SELECT 1 FROM webhook_deliveries d
			WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= now())
		LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbound: due subscriptions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("outbound: due subscriptions: %w", err)
	}
	return ids, nil
}
