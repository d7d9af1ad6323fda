package sending

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/idempotency"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Campaigns stores campaigns and answers their progress; the Expander turns
// them into sends.
type Campaigns struct {
	db     *pg.DB
	newID  func() uuid.UUID
	expand func(ctx context.Context, tenantID, campaignID uuid.UUID) error
}

// NewCampaigns returns the campaign store on db; expand queues a campaign's
// expansion after it is committed.
func NewCampaigns(db *pg.DB, expand func(ctx context.Context, tenantID, campaignID uuid.UUID) error) *Campaigns {
	return &Campaigns{db: db, newID: uuid.New, expand: expand}
}

// Create validates and stores a campaign and every recipient in one
// transaction, then queues its expansion. Nothing is sent from the request
// itself. With an Idempotency-Key a retried request returns the first
// campaign; its expansion is queued again if it is still expanding, which
// also heals a first request whose queueing failed after the commit.
func (cs *Campaigns) Create(ctx context.Context, tenantID uuid.UUID, nc NewCampaign, key string) (Campaign, bool, error) {
	if err := nc.Validate(); err != nil {
		return Campaign{}, false, err
	}
	body, err := json.Marshal(nc)
	if err != nil {
		return Campaign{}, false, fmt.Errorf("sending: encode campaign: %w", err)
	}
	var id uuid.UUID
	var replayed bool
	err = cs.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		id, replayed, err = idempotency.Run(ctx, tx, "send_idempotency", tenantID, "campaign", key, body, func() (uuid.UUID, error) {
			return cs.insert(ctx, tx, tenantID, nc)
		})
		return err
	})
	if err != nil {
		return Campaign{}, false, pg.Translate(err, "campaign")
	}
	c, err := cs.Get(ctx, tenantID, id)
	if err != nil {
		return Campaign{}, false, err
	}
	if c.State == CampaignExpanding {
		if err := cs.expand(ctx, tenantID, id); err != nil {
			return Campaign{}, false, fmt.Errorf("sending: queue expansion of campaign %s: %w", id, err)
		}
	}
	return c, replayed, nil
}

func (cs *Campaigns) insert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, nc NewCampaign) (uuid.UUID, error) {
	id := cs.newID()
	label := nc.Label
	if label == "" {
		label = id.String()
	}
	tmpl, err := json.Marshal(nc.Template)
	if err != nil {
		return uuid.Nil, fmt.Errorf("sending: encode template: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO campaigns (tenant_id, id, name, label, phone_number_id, template, state, total)
		VALUES ($1, $2, $3, $4, $5, $6, 'expanding', $7)`, tenantID, id, nc.Name, label, nc.PhoneNumberID, tmpl, len(nc.Recipients)); err != nil {
		return uuid.Nil, err
	}
	tos, params := make([]string, len(nc.Recipients)), make([]string, len(nc.Recipients))
	for i, r := range nc.Recipients {
		p, err := json.Marshal(r.Parameters)
		if err != nil || r.Parameters == nil {
			p = []byte("[]")
		}
		tos[i], params[i] = r.To, string(p)
	}
	// One statement for the whole list: COPY is not allowed under row-level
	// security, and a row per round trip would hold the request for seconds.
	if _, err := tx.Exec(ctx, `INSERT INTO campaign_recipients (tenant_id, campaign_id, recipient, position, parameters)
		SELECT $1, $2, u.recipient, u.ord - 1, u.parameters::jsonb
		FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(recipient, parameters, ord)`, tenantID, id, tos, params); err != nil {
		return uuid.Nil, fmt.Errorf("sending: store recipients: %w", err)
	}
	return id, nil
}

const campaignCols = `id, tenant_id, name, label, phone_number_id, template, state, created_at, updated_at, expanded_at, cancelled_at`

func scanCampaign(r pgx.Row) (Campaign, error) {
	var c Campaign
	var tmpl []byte
	err := r.Scan(&c.ID, &c.TenantID, &c.Name, &c.Label, &c.PhoneNumberID, &tmpl, &c.State, &c.CreatedAt, &c.UpdatedAt,
		&c.ExpandedAt, &c.CancelledAt)
	if err != nil {
		return Campaign{}, err
	}
	if err := json.Unmarshal(tmpl, &c.Template); err != nil {
		return Campaign{}, fmt.Errorf("sending: decode campaign template: %w", err)
	}
	return c, nil
}

// Get returns one of a tenant's campaigns with its progress.
func (cs *Campaigns) Get(ctx context.Context, tenantID, id uuid.UUID) (Campaign, error) {
	var c Campaign
	err := cs.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		if c, err = scanCampaign(tx.QueryRow(ctx, `SELECT `+campaignCols+` FROM campaigns
			WHERE tenant_id = $1 AND id = $2`, tenantID, id)); err != nil {
			return err
		}
		c.Progress, err = progress(ctx, tx, tenantID, id)
		return err
	})
	return c, pg.Translate(err, "campaign")
}

// List returns a tenant's campaigns newest first, each with its progress.
func (cs *Campaigns) List(ctx context.Context, tenantID uuid.UUID, p paging.Page) (paging.List[Campaign], error) {
	at, id, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return paging.List[Campaign]{}, err
	}
	size := p.Size()
	var out []Campaign
	err = cs.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+campaignCols+` FROM campaigns
			WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
			ORDER BY created_at DESC, id DESC LIMIT $4`, tenantID, at, id, size+1)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Campaign, error) { return scanCampaign(r) }); err != nil {
			return err
		}
		for i := range out {
			if out[i].Progress, err = progress(ctx, tx, tenantID, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return paging.List[Campaign]{}, pg.Translate(err, "campaigns")
	}
	return paging.Paginate(out, size, func(c Campaign) (time.Time, string) { return c.CreatedAt, c.ID.String() }), nil
}

// Cancel stops a campaign: recipients not yet expanded get no send, and
// queued sends are cancelled, so neither reaches Meta. A send already being
// delivered may have reached Meta and is left to finish. Cancelling again
// changes nothing. Taking the campaign's row first waits out an expansion
// batch in flight, whose sends are then cancelled with the rest.
func (cs *Campaigns) Cancel(ctx context.Context, tenantID, id uuid.UUID) (Campaign, error) {
	err := cs.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var found uuid.UUID
		if err := tx.QueryRow(ctx, `UPDATE campaigns SET state = 'cancelled', cancelled_at = COALESCE(cancelled_at, now()),
			updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING id`, tenantID, id).Scan(&found); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE campaign_recipients SET stage = 'cancelled'
			WHERE tenant_id = $1 AND campaign_id = $2 AND stage = 'pending'`, tenantID, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE sends s SET state = 'cancelled', updated_at = now() FROM campaign_recipients r
			WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND s.tenant_id = r.tenant_id AND s.id = r.send_id
				AND s.state = 'queued'`, tenantID, id)
		return err
	})
	if err != nil {
		return Campaign{}, pg.Translate(err, "campaign")
	}
	return cs.Get(ctx, tenantID, id)
}

// outcomeSQL is a recipient's outcome, from its stage, its send and the
// statuses Meta reported for the send's message: a message Meta failed
// after accepting it counts as failed.
const outcomeSQL = `CASE
	WHEN r.stage = 'cancelled' THEN 'cancelled'
	WHEN s.id IS NULL THEN 'pending'
	WHEN s.state = 'sending' THEN 'queued'
	WHEN s.state <> 'sent' THEN s.state
	WHEN st.failed THEN 'failed'
	WHEN st.read THEN 'read'
	WHEN st.delivered THEN 'delivered'
	ELSE 'sent' END`

// recipientsSQL joins each recipient to its send and its message's
// statuses.
const recipientsSQL = `FROM campaign_recipients r
	LEFT JOIN sends s ON s.tenant_id = r.tenant_id AND s.id = r.send_id
	LEFT JOIN LATERAL (SELECT bool_or(m.status = 'failed') AS failed, bool_or(m.status IN ('read', 'played')) AS read,
			bool_or(m.status IN ('delivered', 'read', 'played')) AS delivered,
			min(m.error_code) FILTER (WHERE m.status = 'failed') AS error_code
		FROM message_statuses m WHERE s.wamid IS NOT NULL AND m.tenant_id = s.tenant_id AND m.wamid = s.wamid) st ON true
	WHERE r.tenant_id = $1 AND r.campaign_id = $2`

func progress(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID) (Progress, error) {
	rows, err := tx.Query(ctx, `SELECT o, count(*) FROM (SELECT `+outcomeSQL+` AS o `+recipientsSQL+`) x GROUP BY o`, tenantID, id)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{RefusedReasons: map[Reason]int{}}
	counts := map[string]int{}
	var o string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&o, &n}, func() error { counts[o] = n; p.Total += n; return nil }); err != nil {
		return Progress{}, err
	}
	p.Pending, p.Queued, p.Failed = counts[OutcomePending], counts[string(StateQueued)], counts[string(StateFailed)]
	p.Refused, p.Cancelled, p.Read = counts[string(StateRefused)], counts[string(StateCancelled)], counts[OutcomeRead]
	p.Delivered = counts[OutcomeDelivered] + p.Read
	p.Sent = counts[string(StateSent)] + p.Delivered
	rows, err = tx.Query(ctx, `SELECT reason, count(*) FROM campaign_recipients r
		JOIN sends s ON s.tenant_id = r.tenant_id AND s.id = r.send_id, unnest(s.reasons) AS reason
		WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND s.state = 'refused' GROUP BY reason`, tenantID, id)
	if err != nil {
		return Progress{}, err
	}
	_, err = pgx.ForEachRow(rows, []any{&o, &n}, func() error { p.RefusedReasons[Reason(o)] = n; return nil })
	return p, err
}

// RecipientFilter narrows a campaign's recipient list to one outcome.
type RecipientFilter struct {
	Outcome string
}

// Recipients lists a campaign's recipients in the order of the request,
// each with its outcome.
func (cs *Campaigns) Recipients(ctx context.Context, tenantID, id uuid.UUID, f RecipientFilter, p paging.Page) (paging.List[RecipientOutcome], error) {
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		return paging.List[RecipientOutcome]{}, apperr.InvalidField("outcome", "not an outcome of a campaign recipient")
	}
	after := int64(-1)
	if p.Cursor != "" {
		_, pos, err := paging.Int64Cursor(p.Cursor)
		if err != nil {
			return paging.List[RecipientOutcome]{}, err
		}
		after = pos.(int64)
	}
	size := p.Size()
	var out []RecipientOutcome
	err := cs.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var found uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT id FROM campaigns WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&found); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT * FROM (SELECT r.recipient, r.position, r.parameters, `+outcomeSQL+` AS o, r.send_id,
				COALESCE(s.wamid, ''), COALESCE(s.reasons, '{}'), COALESCE(s.error_code, st.error_code, 0) `+recipientsSQL+`
				AND r.position > $3) x
			WHERE $4 = '' OR o = $4 ORDER BY position LIMIT $5`, tenantID, id, after, f.Outcome, size+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanRecipient)
		return err
	})
	if err != nil {
		return paging.List[RecipientOutcome]{}, pg.Translate(err, "campaign")
	}
	return paging.Paginate(out, size, func(r RecipientOutcome) (time.Time, string) {
		return time.Time{}, strconv.Itoa(r.Position)
	}), nil
}

func scanRecipient(r pgx.CollectableRow) (RecipientOutcome, error) {
	var o RecipientOutcome
	var reasons []string
	if err := r.Scan(&o.Recipient, &o.Position, &o.Parameters, &o.Outcome, &o.SendID, &o.Wamid, &reasons, &o.ErrorCode); err != nil {
		return RecipientOutcome{}, err
	}
	for _, s := range reasons {
		o.Reasons = append(o.Reasons, Reason(s))
	}
	return o, nil
}
