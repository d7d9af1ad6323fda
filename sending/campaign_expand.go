package sending

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/optins"
)

// DefaultExpandBatch is how many recipients one expansion transaction turns
// into sends: large enough to amortise the round trips, small enough that a
// cancel waits at most one batch.
const DefaultExpandBatch = 200

// Expander turns a campaign's recipients into sends through the Submitter's
// own decision, so each recipient is guarded, recorded and delivered exactly
// like a single send labelled with the campaign.
type Expander struct {
	sub   *Submitter
	batch int
}

// NewExpander returns an Expander deciding through sub (whose enqueue
// function queues each accepted send) in batches of batch recipients
// (DefaultExpandBatch when not positive).
func NewExpander(sub *Submitter, batch int) *Expander {
	if batch <= 0 {
		batch = DefaultExpandBatch
	}
	return &Expander{sub: sub, batch: batch}
}

// Expand hands every recipient of the campaign over, batch by batch, until
// none is left or the campaign is cancelled. It may stop at any point and be
// run again: a recipient gets its send in the same transaction that marks it
// created, and a created recipient's send is queued (again, which the task
// id makes harmless) before it is marked done, so a re-run neither skips
// nor duplicates anyone.
func (x *Expander) Expand(ctx context.Context, tenantID, campaignID uuid.UUID) error {
	for {
		sends, more, err := x.step(ctx, tenantID, campaignID)
		if err != nil {
			return pg.Translate(err, "campaign")
		}
		if len(sends) > 0 {
			if err := x.handOver(ctx, tenantID, campaignID, sends); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// step runs one batch under the campaign's row lock: the created recipients
// a previous run left unqueued first, else the next pending ones. It marks
// the campaign expanded when neither is left.
func (x *Expander) step(ctx context.Context, tenantID, campaignID uuid.UUID) ([]Send, bool, error) {
	var sends []Send
	more := false
	err := x.sub.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var c Campaign
		var tmpl []byte
		if err := tx.QueryRow(ctx, `SELECT state, label, phone_number_id, template FROM campaigns
			WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, campaignID).Scan(&c.State, &c.Label, &c.PhoneNumberID, &tmpl); err != nil {
			return err
		}
		if c.State != CampaignExpanding {
			return nil
		}
		if err := json.Unmarshal(tmpl, &c.Template); err != nil {
			return fmt.Errorf("sending: decode campaign template: %w", err)
		}
		var err error
		if sends, err = createdSends(ctx, tx, tenantID, campaignID, x.batch); err != nil || len(sends) > 0 {
			more = true
			return err
		}
		if sends, err = x.expandPending(ctx, tx, tenantID, campaignID, c); err != nil || len(sends) > 0 {
			more = true
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE campaigns SET state = 'expanded', expanded_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, campaignID)
		return err
	})
	return sends, more, err
}

// createdSends are the sends of recipients marked created but not done.
func createdSends(ctx context.Context, tx pgx.Tx, tenantID, campaignID uuid.UUID, limit int) ([]Send, error) {
	rows, err := tx.Query(ctx, `SELECT s.id, s.state FROM campaign_recipients r
		JOIN sends s ON s.tenant_id = r.tenant_id AND s.id = r.send_id
		WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.stage = 'created' ORDER BY r.position LIMIT $3`,
		tenantID, campaignID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Send, error) {
		s := Send{TenantID: tenantID}
		return s, r.Scan(&s.ID, &s.State)
	})
}

// expandPending decides the next batch of pending recipients, each as the
// single send it is, and marks them created with their sends. The batch's
// eligibility answers are fetched in one call when the opt-ins service can.
func (x *Expander) expandPending(ctx context.Context, tx pgx.Tx, tenantID, campaignID uuid.UUID, c Campaign) ([]Send, error) {
	rows, err := tx.Query(ctx, `SELECT recipient, parameters FROM campaign_recipients
		WHERE tenant_id = $1 AND campaign_id = $2 AND stage = 'pending' ORDER BY position LIMIT $3`, tenantID, campaignID, x.batch)
	if err != nil {
		return nil, err
	}
	recipients, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CampaignRecipient, error) {
		var cr CampaignRecipient
		return cr, r.Scan(&cr.To, &cr.Parameters)
	})
	if err != nil {
		return nil, err
	}
	sub := x.sub
	if bulk, ok := x.sub.optins.(BulkEligibility); ok {
		batch := *x.sub
		batch.optins = newBatchEligibility(bulk, recipients)
		sub = &batch
	}
	sends := make([]Send, 0, len(recipients))
	tos := make([]string, 0, len(recipients))
	ids := make([]uuid.UUID, 0, len(recipients))
	for _, r := range recipients {
		s, err := sub.decideWithin(ctx, tx, tenantID, Request{PhoneNumberID: c.PhoneNumberID, To: r.To,
			Message: templateMessage(c.Template, r.Parameters), Labels: Labels{CampaignID: c.Label}})
		if err != nil {
			return nil, fmt.Errorf("sending: expand recipient of campaign %s: %w", campaignID, err)
		}
		sends, tos, ids = append(sends, s), append(tos, r.To), append(ids, s.ID)
	}
	if len(sends) == 0 {
		return nil, nil
	}
	_, err = tx.Exec(ctx, `UPDATE campaign_recipients r SET stage = 'created', send_id = u.send_id
		FROM unnest($3::text[], $4::uuid[]) AS u(recipient, send_id)
		WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.recipient = u.recipient`, tenantID, campaignID, tos, ids)
	return sends, err
}

// handOver queues the batch's accepted sends and marks the batch done.
func (x *Expander) handOver(ctx context.Context, tenantID, campaignID uuid.UUID, sends []Send) error {
	ids := make([]uuid.UUID, 0, len(sends))
	for _, s := range sends {
		if s.State == StateQueued {
			if err := x.sub.enqueued(ctx, s); err != nil {
				return fmt.Errorf("sending: enqueue %s: %w", s.ID, err)
			}
		}
		ids = append(ids, s.ID)
	}
	err := x.sub.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE campaign_recipients SET stage = 'done'
			WHERE tenant_id = $1 AND campaign_id = $2 AND stage = 'created' AND send_id = ANY($3)`, tenantID, campaignID, ids)
		return err
	})
	return pg.Translate(err, "campaign")
}

// decideWithin reads the guards' facts and decides a send inside the
// expansion's transaction. Unlike Submit it asks the opt-ins service inside
// the transaction: an expansion task holds one connection while the service
// takes a second, and the batch's answers come in one call, so the pool is
// never filled by waiters the way a burst of single sends could fill it.
func (s *Submitter) decideWithin(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r Request) (Send, error) {
	f, waba, kind, err := s.facts(ctx, tx, tenantID, r)
	if err != nil {
		return Send{}, err
	}
	f.Eligibility, err = s.optins.CheckEligibility(ctx, tenantID, optins.ContactRef{WaID: r.To},
		optins.EligibilityQuery{Kind: kind, PhoneNumberID: r.PhoneNumberID})
	if err != nil {
		return Send{}, err
	}
	send, err := s.decide(ctx, tx, tenantID, r, f, waba)
	send.Throughput = ThroughputOf(f.Number.Throughput)
	return send, err
}
