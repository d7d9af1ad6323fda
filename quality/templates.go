package quality

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
)

// Template is the quality state of one message template (one name and
// language of a WABA).
type Template struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	TemplateID string    `json:"template_id"`
	WABAID     string    `json:"waba_id"`
	Name       string    `json:"name"`
	Language   string    `json:"language"`
	Status     Attr      `json:"status"`
	// StatusReason is Meta's reason for the status (a rejection reason, a
	// pause title such as SECOND_PAUSE), "" when none was given.
	StatusReason     string `json:"status_reason,omitempty"`
	QualityScore     Attr   `json:"quality_score"`
	Category         Attr   `json:"category"`
	PreviousCategory string `json:"previous_category,omitempty"`
	// PendingCategory is an announced recategorisation taking effect at
	// PendingCategoryAt.
	PendingCategory   string     `json:"pending_category,omitempty"`
	PendingCategoryAt *time.Time `json:"pending_category_at,omitempty"`
	PauseCount        int        `json:"pause_count"`
	DiscoveredVia     string     `json:"discovered_via"`
	FirstSeenAt       time.Time  `json:"first_seen_at"`
	PolledAt          *time.Time `json:"polled_at,omitempty"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Label names the template for alerts.
func (t Template) Label() string {
	if t.Name == "" {
		return "template " + t.TemplateID
	}
	return t.Name + " (" + t.Language + ")"
}

type templateIdentity struct {
	id, wabaID, name, language string
}

// pendingCategory is an announced recategorisation: at is when the notice
// came, effective when the category flips.
type pendingCategory struct {
	category      string
	at, effective time.Time
}

func ensureTemplate(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id templateIdentity, via string, seen time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO quality_templates (tenant_id, template_id, waba_id, name, language, discovered_via, first_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, template_id) DO UPDATE SET
			waba_id = CASE WHEN EXCLUDED.waba_id <> '' THEN EXCLUDED.waba_id ELSE quality_templates.waba_id END,
			name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE quality_templates.name END,
			language = CASE WHEN EXCLUDED.language <> '' THEN EXCLUDED.language ELSE quality_templates.language END`,
		tenantID, id.id, id.wabaID, id.name, id.language, via, seen)
	if err != nil {
		return fmt.Errorf("quality: upsert template %s: %w", id.id, err)
	}
	return nil
}

// applyTemplate folds observations (and an announced recategorisation) into
// one template and runs their effects.
// It returns how many attributes changed.
func (s *Service) applyTemplate(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id templateIdentity, o origin, list []obs, pending *pendingCategory) (int, error) {
	if err := ensureTemplate(ctx, tx, tenantID, id, o.source, o.receivedAt); err != nil {
		return 0, err
	}
	r, err := templatesTable.load(ctx, tx, tenantID, id.id)
	if err != nil {
		return 0, err
	}
	changes, err := r.apply(ctx, tx, tenantID, o, list)
	if err != nil {
		return 0, err
	}
	if err := r.save(ctx, tx, tenantID); err != nil {
		return 0, err
	}
	if pending != nil {
		c, err := applyPending(ctx, tx, tenantID, r, o, *pending)
		if err != nil {
			return 0, err
		}
		changes = append(changes, c...)
	}
	if err := templateBookkeeping(ctx, tx, tenantID, id.id, o, list, changes); err != nil {
		return 0, err
	}
	if len(changes) == 0 {
		return 0, nil
	}
	t, err := getTemplate(ctx, tx, tenantID, id.id)
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		s.count(KindTemplate, o, c)
		if err := emitTemplateChange(ctx, tx, t, o, c); err != nil {
			return 0, err
		}
	}
	subj := subject{tenantID: tenantID, kind: KindTemplate, id: t.TemplateID, label: t.Label()}
	return len(changes), s.syncAlerts(ctx, tx, tenantID, subj, templateAlerts(t), nil, latest(changes))
}

// applyPending records an announced recategorisation unless a newer category
// change has already superseded the notice.
func applyPending(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r *row, o origin, p pendingCategory) ([]applied, error) {
	ob := obs{attr: "category_pending", value: p.category, at: p.at, detail: map[string]any{"effective_at": p.effective.UTC()}}
	inserted, err := insertHistory(ctx, tx, tenantID, KindTemplate, r.subject, o, ob, nil, false)
	if err != nil || !inserted {
		return nil, err
	}
	if cur := r.attrs["category"]; cur.at != nil && cur.at.After(p.at) {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE quality_templates SET pending_category = $3, pending_category_at = $4, updated_at = now()
		WHERE tenant_id = $1 AND template_id = $2`, tenantID, r.subject, p.category, p.effective.UTC()); err != nil {
		return nil, fmt.Errorf("quality: pending category: %w", err)
	}
	return []applied{{attr: "category_pending", old: r.value("category"), value: p.category, at: p.at, detail: ob.detail}}, nil
}

// templateBookkeeping keeps what follows from the changes: the status
// reason, the pause count (every PAUSED in the history, late ones included),
// the previous category and the end of an announced recategorisation.
func templateBookkeeping(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id string, o origin, list []obs, changes []applied) error {
	statusSeen := false
	for _, ob := range list {
		statusSeen = statusSeen || ob.attr == "status"
	}
	if statusSeen {
		if _, err := tx.Exec(ctx, `UPDATE quality_templates SET pause_count = (
				SELECT count(*) FROM quality_history
				WHERE tenant_id = $1 AND subject_kind = 'template' AND subject_id = $2 AND attribute = 'status' AND value = 'PAUSED')
			WHERE tenant_id = $1 AND template_id = $2`, tenantID, id); err != nil {
			return fmt.Errorf("quality: pause count: %w", err)
		}
	}
	if o.source == SourcePoll {
		if _, err := tx.Exec(ctx, `UPDATE quality_templates SET polled_at = $3 WHERE tenant_id = $1 AND template_id = $2`,
			tenantID, id, o.receivedAt); err != nil {
			return fmt.Errorf("quality: mark template polled: %w", err)
		}
	}
	for _, c := range changes {
		var err error
		switch c.attr {
		case "status":
			reason, _ := c.detail["reason"].(string)
			_, err = tx.Exec(ctx, `UPDATE quality_templates SET status_reason = $3 WHERE tenant_id = $1 AND template_id = $2`, tenantID, id, reason)
		case "category":
			prev := c.old
			if p, _ := c.detail["previous_category"].(string); p != "" {
				prev = p
			}
			_, err = tx.Exec(ctx, `UPDATE quality_templates SET previous_category = CASE WHEN $3 <> '' THEN $3 ELSE previous_category END,
					pending_category = CASE WHEN pending_category = $4 OR pending_category_at <= $5 THEN '' ELSE pending_category END,
					pending_category_at = CASE WHEN pending_category = $4 OR pending_category_at <= $5 THEN NULL ELSE pending_category_at END
				WHERE tenant_id = $1 AND template_id = $2`, tenantID, id, prev, c.value, c.at)
		}
		if err != nil {
			return fmt.Errorf("quality: template %s bookkeeping: %w", c.attr, err)
		}
	}
	return nil
}

func emitTemplateChange(ctx context.Context, tx pgx.Tx, t Template, o origin, c applied) error {
	typ := events.TemplateStatusChanged
	switch c.attr {
	case "quality_score":
		typ = events.TemplateQualityChanged
	case "category", "category_pending":
		typ = events.TemplateCategoryChanged
	}
	data := map[string]any{
		"template_id": t.TemplateID, "waba_id": t.WABAID, "name": t.Name, "language": t.Language,
		"attribute": c.attr, "old_value": c.old, "value": c.value, "event_time": c.at.UTC(), "source": o.source,
	}
	for k, v := range c.detail {
		data[k] = v
	}
	if c.attr == "category_pending" {
		data["impending"] = true
	}
	if c.attr == "status" {
		data["pause_count"] = t.PauseCount
	}
	_, err := events.Emit(ctx, tx, events.Event{
		TenantID: t.TenantID, Type: typ, Subject: t.TemplateID, OccurredAt: c.at,
		DedupeKey: changeKey(KindTemplate, t.TemplateID, c), Data: data,
	})
	return err
}

// templateAlerts derives a template's alerts: paused (critical once it has
// been paused before, since the next strike disables it), disabled,
// rejected, and a RED quality score.
func templateAlerts(t Template) []alertSpec {
	var out []alertSpec
	detail := map[string]any{"pause_count": t.PauseCount}
	if t.StatusReason != "" {
		detail["reason"] = t.StatusReason
	}
	switch t.Status.Value {
	case TemplatePaused:
		sev := SeverityWarning
		if t.PauseCount >= 2 {
			sev = SeverityCritical
		}
		out = append(out, alertSpec{kind: AlertTemplatePaused, severity: sev, value: TemplatePaused, detail: detail})
	case TemplateDisabled:
		out = append(out, alertSpec{kind: AlertTemplateDisabled, severity: SeverityCritical, value: TemplateDisabled, detail: detail})
	case TemplateRejected:
		out = append(out, alertSpec{kind: AlertTemplateRejected, severity: SeverityWarning, value: TemplateRejected, detail: detail})
	}
	if t.QualityScore.Value == Red {
		out = append(out, alertSpec{kind: AlertTemplateQuality, severity: SeverityCritical, value: Red})
	}
	return out
}

const templateCols = `tenant_id, template_id, waba_id, name, language, status, status_at, status_reason,
	quality_score, quality_score_at, category, category_at, previous_category, pending_category, pending_category_at,
	pause_count, discovered_via, first_seen_at, polled_at, updated_at`

func scanTemplate(row pgx.Row) (Template, error) {
	var t Template
	err := row.Scan(&t.TenantID, &t.TemplateID, &t.WABAID, &t.Name, &t.Language, &t.Status.Value, &t.Status.At, &t.StatusReason,
		&t.QualityScore.Value, &t.QualityScore.At, &t.Category.Value, &t.Category.At, &t.PreviousCategory,
		&t.PendingCategory, &t.PendingCategoryAt, &t.PauseCount, &t.DiscoveredVia, &t.FirstSeenAt, &t.PolledAt, &t.UpdatedAt)
	return t, err
}

func getTemplate(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id string) (Template, error) {
	t, err := scanTemplate(tx.QueryRow(ctx, `SELECT `+templateCols+` FROM quality_templates WHERE tenant_id = $1 AND template_id = $2`, tenantID, id))
	if err != nil {
		return Template{}, fmt.Errorf("quality: read template %s: %w", id, err)
	}
	return t, nil
}
