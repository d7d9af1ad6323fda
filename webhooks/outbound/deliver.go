package outbound

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// RunResult says what one Deliver call did.
type RunResult struct {
	Attempts  int
	Delivered int
	Failed    int
	// More is true when the time budget ran out with deliveries still due.
	More bool
	// Disabled is true when the run disabled the subscription.
	Disabled bool
}

// due is a pending delivery with its body built.
type due struct {
	id        int64
	tenantID  uuid.UUID
	messageID string
	attempts  int
	expiresAt time.Time
	nextAt    time.Time
	body      []byte
	// missing is set when the event behind the delivery is gone from the
	// outbox; such a delivery can never be sent.
	missing bool
}

// Deliver sends one subscription's due deliveries, batch after batch, until
// none is due, an attempt fails, or budget is spent. The caller makes sure
// only one Deliver runs per subscription at a time. Up to the subscription's
// in-flight limit of attempts run at once; an ordered subscription gets one
// at a time in event order, and a failure holds back what follows it.
func (s *Service) Deliver(ctx context.Context, subID uuid.UUID, budget time.Duration) (RunResult, error) {
	var res RunResult
	ep, batch, err := s.open(ctx, subID)
	if isNoRows(err) {
		return res, nil // deleted meanwhile: its deliveries went with it
	}
	if err != nil {
		return res, err
	}
	if !ep.active {
		return res, s.killPending(ctx, ep.id, "subscription disabled")
	}
	if ep.retryAt != nil && ep.retryAt.After(time.Now()) {
		return res, nil
	}
	stop := time.Now().Add(budget)
	for len(batch) > 0 {
		outs := s.sendBatch(ctx, ep, batch)
		st, err := s.record(ctx, ep, batch, outs)
		if err != nil {
			return res, err
		}
		res.Attempts += st.attempts
		res.Delivered += st.delivered
		res.Failed += st.failed
		if st.disabled {
			res.Disabled = true
			return res, nil
		}
		if st.resting || len(batch) < s.opt.BatchSize {
			return res, nil
		}
		if time.Now().After(stop) {
			res.More = true
			return res, nil
		}
		if batch, err = s.dueBatch(ctx, ep); err != nil {
			return res, err
		}
	}
	return res, nil
}

// open reads the endpoint and its first batch in one round trip. Which
// query reads the batch depends on whether the endpoint is ordered, which
// the previous run remembered; when that changed, the batch is read again.
func (s *Service) open(ctx context.Context, subID uuid.UUID) (endpoint, []due, error) {
	hinted, _ := s.ordered.Load(subID)
	ordered, _ := hinted.(bool)
	var ep endpoint
	var batch []due
	var epErr error
	b := &pgx.Batch{}
	b.Queue(endpointSQL, subID).QueryRow(func(row pgx.Row) error {
		ep, epErr = s.scanEndpoint(row)
		return nil
	})
	b.Queue(dueSQL(ordered), subID, s.opt.BatchSize).Query(func(rows pgx.Rows) error {
		var err error
		batch, err = scanDue(rows, ordered)
		return err
	})
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return ep, nil, fmt.Errorf("outbound: open %s: %w", subID, err)
	}
	if epErr != nil {
		return ep, nil, epErr
	}
	if ep.ordered != ordered {
		s.ordered.Store(subID, ep.ordered)
		var err error
		batch, err = s.dueBatch(ctx, ep)
		return ep, batch, err
	}
	return ep, batch, nil
}

// dueSQL reads the next deliveries to attempt with what their bodies are
// built from. An ordered subscription's queue is read in event order from
// its head; scanDue stops at the first delivery whose time has not come.
func dueSQL(ordered bool) string {
	q := `
		SELECT d.id, d.tenant_id, d.message_id, d.event_type, d.attempts, d.expires_at, d.next_attempt_at,
			d.created_at, d.payload, d.event_id IS NOT NULL AND e.id IS NULL, e.subject, e.occurred_at, e.data
		FROM webhook_deliveries d LEFT JOIN domain_events e ON e.id = d.event_id AND e.tenant_id = d.tenant_id
		WHERE d.subscription_id = $1 AND d.status = 'pending'`
	if ordered {
		return q + ` ORDER BY d.id LIMIT $2`
	}
	return q + ` AND d.next_attempt_at <= now() ORDER BY d.next_attempt_at, d.id LIMIT $2`
}

// dueBatch reads the next deliveries to attempt with their bodies built.
func (s *Service) dueBatch(ctx context.Context, ep endpoint) ([]due, error) {
	rows, err := s.db.Query(ctx, dueSQL(ep.ordered), ep.id, s.opt.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("outbound: due deliveries: %w", err)
	}
	return scanDue(rows, ep.ordered)
}

func scanDue(rows pgx.Rows, ordered bool) ([]due, error) {
	defer rows.Close()
	now := time.Now()
	var out []due
	for rows.Next() {
		var d due
		var m Message
		var payload []byte
		var subject *string
		var occurred *time.Time
		var created time.Time
		if err := rows.Scan(&d.id, &d.tenantID, &d.messageID, &m.Type, &d.attempts, &d.expiresAt, &d.nextAt,
			&created, &payload, &d.missing, &subject, &occurred, &m.Data); err != nil {
			return nil, fmt.Errorf("outbound: due deliveries: %w", err)
		}
		if ordered && d.nextAt.After(now) {
			break
		}
		m.ID, m.TenantID, m.Timestamp = d.messageID, d.tenantID, created.UTC()
		if subject != nil {
			m.Subject, m.Timestamp = *subject, occurred.UTC()
		}
		if payload != nil {
			m.Data = payload
		}
		var err error
		if d.body, err = json.Marshal(m); err != nil {
			return nil, fmt.Errorf("outbound: encode message %s: %w", d.messageID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// sendBatch attempts the batch with at most the endpoint's in-flight limit
// running at once. After the first failure nothing more is started: the
// rest are held back (outcome.sent false) and rescheduled with the failure.
func (s *Service) sendBatch(ctx context.Context, ep endpoint, batch []due) []outcome {
	outs := make([]outcome, len(batch))
	limit := ep.inFlight
	if ep.ordered {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var mu sync.Mutex
	failed := false
	var wg sync.WaitGroup
	for i, d := range batch {
		sem <- struct{}{}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop || ctx.Err() != nil {
			<-sem
			break
		}
		if d.missing {
			outs[i] = outcome{sent: true, at: time.Now().UTC(), err: "event no longer stored"}
			<-sem
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			o := s.post(ctx, ep, d.messageID, d.body)
			outs[i] = o
			if !o.ok() {
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return outs
}

// killPending turns a subscription's pending deliveries into dead letters.
func (s *Service) killPending(ctx context.Context, subID uuid.UUID, reason string) error {
	_, err := s.db.Exec(ctx, `
		UPDATE webhook_deliveries SET status = 'dead', dead_reason = $2
		WHERE subscription_id = $1 AND status = 'pending'`, subID, reason)
	if err != nil {
		return fmt.Errorf("outbound: retire deliveries of %s: %w", subID, err)
	}
	return nil
}

// pendingInTx is killPending inside a transaction.
func killPendingTx(ctx context.Context, tx pgx.Tx, subID uuid.UUID, reason string) error {
	_, err := tx.Exec(ctx, `
		UPDATE webhook_deliveries SET status = 'dead', dead_reason = $2
		WHERE subscription_id = $1 AND status = 'pending'`, subID, reason)
	if err != nil {
		return fmt.Errorf("outbound: retire deliveries of %s: %w", subID, err)
	}
	return nil
}
