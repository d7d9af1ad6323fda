package outbound

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
)

// batchStats is what record learned from one batch.
type batchStats struct {
	attempts, delivered, failed int
	// resting means the endpoint failed and gets nothing before its retry.
	resting  bool
	disabled bool
}

// rows accumulates the set-based writes of one batch.
type batchRows struct {
	// attempts
	aTenant  []uuid.UUID
	aID      []int64
	aNum     []int32
	aAt      []time.Time
	aLatency []int32
	aStatus  []int32
	aErr     []string
	aBody    []string
	// delivery updates
	dID     []int64
	dStatus []string
	dNum    []int32
	dNext   []time.Time
	dAt     []time.Time
	dCode   []int32
	dErr    []string
	dDead   []string
	// held back: not attempted, moved to the endpoint's retry time
	held []int64
}

// health is the endpoint's state after a batch.
type health struct {
	lastSuccess, lastFailure *time.Time
	// failingFrom is the first failure after the batch's last success.
	failingFrom *time.Time
	anySuccess  bool
	gone        bool
	retryAt     *time.Time
}

// record stores a batch's attempts and outcomes and the endpoint's health
// and, when the endpoint answered 410 or failed for the whole failure
// window, disables it.
func (s *Service) record(ctx context.Context, ep endpoint, batch []due, outs []outcome) (batchStats, error) {
	var st batchStats
	var r batchRows
	var h health
	for i, d := range batch {
		s.classify(&r, &h, &st, d, outs[i])
	}
	st.resting = h.retryAt != nil && !h.anySuccess
	// One round trip for the whole batch: a pipeline with one sync point
	// runs as one implicit transaction, so the attempts, the outcomes and
	// the endpoint's health commit together or not at all. The commit does
	// not wait for its WAL flush: a crash can lose the last moment of the
	// log, and the deliveries it covered, still pending, are sent again,
	// which at-least-once delivery allows.
	b := &pgx.Batch{}
	b.Queue(asyncCommit)
	r.queue(b, ep.id, h)
	var failingSince *time.Time
	queueHealth(b, ep.id, h, st.resting).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&failingSince); err != nil && !isNoRows(err) {
			return err
		}
		return nil // a subscription deleted meanwhile has no health to keep
	})
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return batchStats{}, fmt.Errorf("outbound: record attempts for %s: %w", ep.id, err)
	}
	reason := ""
	switch {
	case h.gone:
		reason = "gone"
	case failingSince != nil && time.Since(*failingSince) >= s.opt.FailureWindow:
		reason = "failing"
	}
	if reason == "" {
		return st, nil
	}
	st.disabled = true
	err := s.db.InTx(ctx, func(tx pgx.Tx) error { return s.disable(ctx, tx, ep, reason, failingSince) })
	if err != nil {
		return batchStats{}, fmt.Errorf("outbound: disable %s: %w", ep.id, err)
	}
	return st, nil
}

// asyncCommit lets the current transaction commit without waiting for its
// WAL to reach disk.
const asyncCommit = `SELECT set_config('synchronous_commit', 'off', true)`

// classify files one delivery's outcome under the right writes.
func (s *Service) classify(r *batchRows, h *health, st *batchStats, d due, o outcome) {
	if d.missing {
		r.update(d.id, "dead", d.attempts, time.Now(), time.Now(), 0, "event no longer stored", "event no longer stored")
		return
	}
	if !o.sent {
		r.held = append(r.held, d.id)
		return
	}
	st.attempts++
	n := d.attempts + 1
	r.aTenant, r.aID, r.aNum = append(r.aTenant, d.tenantID), append(r.aID, d.id), append(r.aNum, int32(n))
	r.aAt, r.aLatency = append(r.aAt, o.at), append(r.aLatency, int32(o.latency.Milliseconds()))
	r.aStatus, r.aErr, r.aBody = append(r.aStatus, int32(o.status)), append(r.aErr, o.err), append(r.aBody, o.body)
	errText := o.err
	if errText == "" && !o.ok() {
		errText = fmt.Sprintf("HTTP %d", o.status)
	}
	switch {
	case o.ok():
		st.delivered++
		h.anySuccess = true
		if h.lastSuccess == nil || o.at.After(*h.lastSuccess) {
			h.lastSuccess, h.failingFrom = &o.at, nil
		}
		r.update(d.id, "delivered", n, o.at, o.at, o.status, "", "")
		return
	case o.gone():
		h.gone = true
		r.update(d.id, "dead", n, o.at, o.at, o.status, errText, "endpoint answered 410 Gone")
	default:
		next, ok := s.opt.Retry.next(n, time.Now(), d.expiresAt, o.retryAfter)
		if ok {
			r.update(d.id, "pending", n, next, o.at, o.status, errText, "")
			if h.retryAt == nil || next.Before(*h.retryAt) {
				h.retryAt = &next
			}
		} else {
			r.update(d.id, "dead", n, o.at, o.at, o.status, errText, "retries exhausted")
		}
	}
	st.failed++
	if h.lastFailure == nil || o.at.After(*h.lastFailure) {
		h.lastFailure = &o.at
	}
	if h.lastSuccess == nil || o.at.After(*h.lastSuccess) {
		if h.failingFrom == nil || o.at.Before(*h.failingFrom) {
			h.failingFrom = &o.at
		}
	}
}

func (r *batchRows) update(id int64, status string, n int, next, at time.Time, code int, errText, dead string) {
	r.dID, r.dStatus, r.dNum = append(r.dID, id), append(r.dStatus, status), append(r.dNum, int32(n))
	r.dNext, r.dAt, r.dCode = append(r.dNext, next), append(r.dAt, at), append(r.dCode, int32(code))
	r.dErr, r.dDead = append(r.dErr, errText), append(r.dDead, dead)
}

func (r *batchRows) queue(b *pgx.Batch, subID uuid.UUID, h health) {
	if len(r.aID) > 0 {
		b.Queue(`
			INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, subscription_id, attempted_at,
				latency_ms, status_code, error, response_body)
			SELECT u.tenant_id, u.id, u.n, $9, u.at, u.latency, nullif(u.code, 0), nullif(u.err, ''), u.body
			FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::text[])
				AS u(tenant_id, id, n, at, latency, code, err, body)
			ON CONFLICT (tenant_id, delivery_id, attempt) DO NOTHING`,
			uuidArray(r.aTenant), r.aID, r.aNum, r.aAt, r.aLatency, r.aStatus, r.aErr, r.aBody, subID)
	}
	if len(r.dID) > 0 {
		b.Queue(`
			UPDATE webhook_deliveries d SET status = u.status, attempts = u.n, next_attempt_at = u.next,
				last_attempt_at = CASE WHEN u.n > d.attempts THEN u.at ELSE d.last_attempt_at END,
				last_status_code = coalesce(nullif(u.code, 0), CASE WHEN u.n = d.attempts THEN d.last_status_code END),
				last_error = nullif(u.err, ''), dead_reason = nullif(u.dead, ''),
				delivered_at = CASE WHEN u.status = 'delivered' THEN u.at END
			FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::text[], $8::text[])
				AS u(id, status, n, next, at, code, err, dead)
			WHERE d.id = u.id AND d.status = 'pending'`,
			r.dID, r.dStatus, r.dNum, r.dNext, r.dAt, r.dCode, r.dErr, r.dDead)
	}
	if len(r.held) > 0 && h.retryAt != nil {
		b.Queue(`UPDATE webhook_deliveries SET next_attempt_at = greatest(next_attempt_at, $2)
			WHERE id = ANY($1) AND status = 'pending'`, r.held, *h.retryAt)
	}
}

// queueHealth stores the endpoint's success and failure times; the query
// returns since when it has been failing without a success (NULL when it
// is not).
func queueHealth(b *pgx.Batch, subID uuid.UUID, h health, resting bool) *pgx.QueuedQuery {
	var retryAt *time.Time
	if resting {
		retryAt = h.retryAt
	}
	return b.Queue(`
		UPDATE webhook_subscriptions SET
			last_success_at = coalesce($2, last_success_at),
			last_failure_at = coalesce($3, last_failure_at),
			failing_since = CASE WHEN $4 THEN $5 ELSE coalesce(failing_since, $5) END,
			retry_at = $6
		WHERE id = $1 RETURNING failing_since`,
		subID, h.lastSuccess, h.lastFailure, h.anySuccess, h.failingFrom, retryAt)
}

// disable deactivates a subscription, retires its pending deliveries and
// tells its tenant through a webhook.endpoint.disabled event, which the
// tenant's other subscriptions receive. A partner's subscription has no one
// tenant to tell; the admin health view shows it.
func (s *Service) disable(ctx context.Context, tx pgx.Tx, ep endpoint, reason string, failingSince *time.Time) error {
	var at time.Time
	err := tx.QueryRow(ctx, `
		UPDATE webhook_subscriptions SET active = false, disabled_reason = $2, disabled_at = now(),
			retry_at = NULL, updated_at = now()
		WHERE id = $1 AND active RETURNING disabled_at`, ep.id, reason).Scan(&at)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	dead := map[string]string{"gone": "endpoint answered 410 Gone", "failing": "endpoint failed for the whole failure window"}[reason]
	if err := killPendingTx(ctx, tx, ep.id, dead); err != nil {
		return err
	}
	s.log.Warn("subscription disabled", "subscription_id", ep.id, "reason", reason, "url", ep.url)
	if ep.tenantID == uuid.Nil {
		return nil
	}
	data := map[string]any{"subscription_id": ep.id, "url": ep.url, "reason": reason, "disabled_at": at.UTC()}
	if failingSince != nil {
		data["failing_since"] = failingSince.UTC()
	}
	_, err = events.Emit(ctx, tx, events.Event{
		TenantID: ep.tenantID, Type: TypeEndpointDisabled, Subject: ep.id.String(), OccurredAt: at,
		DedupeKey: fmt.Sprintf("%s:%s:%d", TypeEndpointDisabled, ep.id, at.UnixMicro()), Data: data,
	})
	return err
}
