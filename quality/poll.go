package quality

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// NumberPoll is one phone number as a Graph read of a WABA returned it.
// Empty fields were not returned and change nothing.
type NumberPoll struct {
	PhoneNumberID      string
	DisplayPhoneNumber string
	VerifiedName       string
	QualityRating      string
	Status             string
	NameStatus         string
	Throughput         string
	// MessagingLimitTier is the deprecated per-number tier.
	MessagingLimitTier string
	// MessagingLimit is whatsapp_business_manager_messaging_limit.
	MessagingLimit string
}

// TemplatePoll is one template as a Graph read returned it. QualityAt is
// the date Meta gives the quality score (zero when absent).
type TemplatePoll struct {
	ID             string
	Name           string
	Language       string
	Status         string
	Category       string
	QualityScore   string
	QualityAt      time.Time
	RejectedReason string
}

// PollResult says what a poll found.
type PollResult struct {
	Seen    int `json:"seen"`
	Changed int `json:"changed"`
}

// ApplyNumberPoll reconciles a WABA's phone numbers with a Graph read made
// at at. A value that differs from the stored one is a change with source
// poll (and counts as a missed webhook); numbers wabsp had not seen are
// created. The portfolio limit the numbers report is applied to the account,
// and the account's alerts are re-evaluated as of at, which resolves
// restrictions that have expired.
func (s *Service) ApplyNumberPoll(ctx context.Context, tenantID uuid.UUID, wabaID string, at time.Time, numbers []NumberPoll) (PollResult, error) {
	o := pollOrigin(at)
	res := PollResult{Seen: len(numbers)}
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		res.Changed = 0
		if err := ensureAccount(ctx, tx, tenantID, wabaID); err != nil {
			return err
		}
		limit := ""
		for _, p := range numbers {
			id := numberIdentity{wabaID: wabaID, digits: digitsOf(p.DisplayPhoneNumber), phoneID: p.PhoneNumberID,
				display: p.DisplayPhoneNumber, name: p.VerifiedName}
			n, err := s.applyNumber(ctx, tx, tenantID, id, o, numberPollObs(p, at))
			if err != nil {
				return err
			}
			res.Changed += n
			if l := normTier(p.MessagingLimit); l != "" {
				limit = l
			}
		}
		if limit != "" {
			if err := s.applyAccount(ctx, tx, tenantID, wabaID, o, accountUpdate{at: at,
				obs: []obs{{attr: "messaging_limit", value: limit, at: at}}}); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE quality_accounts SET numbers_polled_at = $3, poll_error = '', poll_blocked_until = NULL
			WHERE tenant_id = $1 AND waba_id = $2`,
			tenantID, wabaID, at); err != nil {
			return fmt.Errorf("quality: mark numbers polled: %w", err)
		}
		return s.syncAccountAlerts(ctx, tx, tenantID, wabaID, nil, at)
	})
	return res, err
}

func numberPollObs(p NumberPoll, at time.Time) []obs {
	list := []obs{
		{attr: "quality_rating", value: normRating(p.QualityRating), at: at},
		{attr: "status", value: upper(p.Status), at: at},
		{attr: "name_status", value: upper(p.NameStatus), at: at},
		{attr: "throughput", value: upper(p.Throughput), at: at},
		{attr: "legacy_tier", value: normTier(p.MessagingLimitTier), at: at},
		{attr: "messaging_limit", value: normTier(p.MessagingLimit), at: at},
	}
	return list
}

// ApplyTemplatePoll reconciles a WABA's templates with a Graph read made at
// at. The quality score carries Meta's own date, which is used as its time.
func (s *Service) ApplyTemplatePoll(ctx context.Context, tenantID uuid.UUID, wabaID string, at time.Time, templates []TemplatePoll) (PollResult, error) {
	o := pollOrigin(at)
	res := PollResult{Seen: len(templates)}
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := ensureAccount(ctx, tx, tenantID, wabaID); err != nil {
			return err
		}
		res.Changed = 0
		for _, p := range templates {
			if !isDigits(p.ID) {
				continue
			}
			id := templateIdentity{id: p.ID, wabaID: wabaID, name: p.Name, language: p.Language}
			n, err := s.applyTemplate(ctx, tx, tenantID, id, o, templatePollObs(p, at), nil)
			if err != nil {
				return err
			}
			res.Changed += n
		}
		_, err := tx.Exec(ctx, `UPDATE quality_accounts SET templates_polled_at = $3, poll_error = '', poll_blocked_until = NULL
			WHERE tenant_id = $1 AND waba_id = $2`,
			tenantID, wabaID, at)
		return err
	})
	return res, err
}

func templatePollObs(p TemplatePoll, at time.Time) []obs {
	status := obs{attr: "status", value: upper(p.Status), at: at}
	if r := upper(p.RejectedReason); r != "" && r != "NONE" {
		status.detail = map[string]any{"reason": r}
	}
	qat := at
	if !p.QualityAt.IsZero() && !p.QualityAt.After(at) {
		qat = p.QualityAt.UTC()
	}
	return []obs{
		status,
		{attr: "quality_score", value: normRating(p.QualityScore), at: qat},
		{attr: "category", value: upper(p.Category), at: at},
	}
}

// MarkSubscribed records that wabsp subscribed its app to the WABA's
// webhooks at at.
func (s *Service) MarkSubscribed(ctx context.Context, tenantID uuid.UUID, wabaID string, at time.Time) error {
	return s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := ensureAccount(ctx, tx, tenantID, wabaID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE quality_accounts SET subscribed_at = $3 WHERE tenant_id = $1 AND waba_id = $2`, tenantID, wabaID, at)
		return err
	})
}

// RecordPollFailure notes that polling the WABA failed for a reason retrying
// will not fix soon (a revoked token, a WABA Meta no longer shows) and keeps
// the scheduler away from it until until. A later successful poll clears it.
func (s *Service) RecordPollFailure(ctx context.Context, tenantID uuid.UUID, wabaID, reason string, until time.Time) error {
	return s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := ensureAccount(ctx, tx, tenantID, wabaID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE quality_accounts SET poll_error = $3, poll_blocked_until = $4 WHERE tenant_id = $1 AND waba_id = $2`,
			tenantID, wabaID, reason, until)
		return err
	})
}

// DuePoll is a WABA whose numbers or templates are due for a poll.
type DuePoll struct {
	TenantID   uuid.UUID
	WABARef    uuid.UUID
	WABAID     string
	Numbers    bool
	Templates  bool
	Subscribed bool
}

// DuePolls lists up to limit WABAs, across tenants, whose numbers were last
// polled more than numbersEvery ago or templates more than templatesEvery
// ago (or never), oldest first. Only active tenants' WABAs with an access
// token can be polled. It reads the tenants' WABAs as the owning role: the
// scheduler works for every tenant at once.
func (s *Service) DuePolls(ctx context.Context, now time.Time, numbersEvery, templatesEvery time.Duration, limit int) ([]DuePoll, error) {
	var out []DuePoll
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT w.tenant_id, w.id, w.waba_id,
				a.numbers_polled_at IS NULL OR a.numbers_polled_at <= $1,
				a.templates_polled_at IS NULL OR a.templates_polled_at <= $2,
				a.subscribed_at IS NOT NULL
			FROM wabas w
			JOIN tenants t ON t.id = w.tenant_id AND t.status = 'active'
			LEFT JOIN quality_accounts a ON a.tenant_id = w.tenant_id AND a.waba_id = w.waba_id
			WHERE w.access_token_enc IS NOT NULL
			  AND (a.poll_blocked_until IS NULL OR a.poll_blocked_until <= $4)
			  AND (a.numbers_polled_at IS NULL OR a.numbers_polled_at <= $1
			    OR a.templates_polled_at IS NULL OR a.templates_polled_at <= $2)
			ORDER BY least(coalesce(a.numbers_polled_at, '-infinity'), coalesce(a.templates_polled_at, '-infinity')), w.id
			LIMIT $3`, now.Add(-numbersEvery), now.Add(-templatesEvery), limit, now)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (DuePoll, error) {
			var d DuePoll
			err := r.Scan(&d.TenantID, &d.WABARef, &d.WABAID, &d.Numbers, &d.Templates, &d.Subscribed)
			return d, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("quality: due polls: %w", err)
	}
	return out, nil
}
