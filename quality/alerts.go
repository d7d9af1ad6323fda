package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
)

// Alert severities, most urgent first.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Alert kinds. The state-derived kinds are open exactly while their
// condition holds; the "down" kinds open when a limit or tier drops and wait
// for it to get back to where it was (the baseline).
const (
	AlertNumberQuality     = "number_quality"
	AlertNumberStatus      = "number_status"
	AlertLegacyTierDown    = "legacy_tier_down"
	AlertTemplatePaused    = "template_paused"
	AlertTemplateDisabled  = "template_disabled"
	AlertTemplateRejected  = "template_rejected"
	AlertTemplateQuality   = "template_quality_red"
	AlertAccountRestricted = "account_restricted"
	AlertAccountDisabled   = "account_disabled"
	AlertAccountOffboarded = "account_offboarded"
	AlertLimitDown         = "messaging_limit_down"
	// AlertMetaPrefix prefixes Meta's own account_alerts types
	// ("meta:INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED").
	AlertMetaPrefix = "meta:"
)

// Alert is a condition on a phone number, template or WABA that needs the
// tenant's attention.
type Alert struct {
	ID           uuid.UUID      `json:"id"`
	TenantID     uuid.UUID      `json:"tenant_id"`
	Kind         string         `json:"kind"`
	SubjectKind  string         `json:"subject_kind"`
	SubjectID    string         `json:"subject_id"`
	SubjectLabel string         `json:"subject_label"`
	Severity     string         `json:"severity"`
	Value        string         `json:"value"`
	Baseline     string         `json:"baseline,omitempty"`
	Detail       map[string]any `json:"detail,omitempty"`
	// OpenedAt and ResolvedAt are Meta's times of the observations that
	// opened and cleared the condition.
	OpenedAt       time.Time  `json:"opened_at"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
}

// Open reports whether the alert's condition still holds.
func (a Alert) Open() bool { return a.ResolvedAt == nil }

func severityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// subject is what alerts are about.
type subject struct {
	tenantID        uuid.UUID
	kind, id, label string
}

func subjectOf(n Number) subject {
	return subject{tenantID: n.TenantID, kind: KindNumber, id: n.ID.String(), label: n.Label()}
}

// alertSpec is an alert a subject's state calls for.
type alertSpec struct {
	kind, severity, value string
	detail                map[string]any
}

// numberAlerts derives a number's alerts from its state: a rating below
// GREEN and any status but CONNECTED.
func numberAlerts(n Number) []alertSpec {
	var out []alertSpec
	switch n.QualityRating.Value {
	case Yellow:
		out = append(out, alertSpec{kind: AlertNumberQuality, severity: SeverityWarning, value: Yellow})
	case Red:
		out = append(out, alertSpec{kind: AlertNumberQuality, severity: SeverityCritical, value: Red})
	}
	if st := n.Status.Value; st != "" && st != StatusConnected {
		out = append(out, alertSpec{kind: AlertNumberStatus, severity: statusSeverity(st), value: st})
	}
	return out
}

// statusSeverity rates a phone number status other than CONNECTED: a number
// that cannot send at all is critical, one that is limited a warning, one
// still being set up informational.
func statusSeverity(status string) string {
	switch status {
	case "BANNED", "DELETED", "DISCONNECTED":
		return SeverityCritical
	case StatusFlagged, "RESTRICTED", "RATE_LIMITED":
		return SeverityWarning
	}
	return SeverityInfo
}

// downCheck is a change of a tiered attribute that may open or close a
// "went down" alert.
type downCheck struct {
	kind, old, value string
}

func downChecks(changes []applied, attr, kind string) []downCheck {
	var out []downCheck
	for _, c := range changes {
		if c.attr == attr {
			out = append(out, downCheck{kind: kind, old: c.old, value: c.value})
		}
	}
	return out
}

func isDownKind(kind string) bool { return kind == AlertLegacyTierDown || kind == AlertLimitDown }

// syncAlerts makes the subject's open alerts match its state at time at:
// wanted alerts open (or change severity), state-derived ones no longer
// wanted resolve, and tier drops open or close their "down" alerts. Opening
// and resolving emit domain events.
func (s *Service) syncAlerts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, subj subject, want []alertSpec, downs []downCheck, at time.Time) error {
	open, err := openAlerts(ctx, tx, tenantID, subj)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w.kind] = true
		if a, ok := open[w.kind]; ok {
			if a.Severity != w.severity || a.Value != w.value {
				if err := updateAlert(ctx, tx, a.ID, tenantID, w); err != nil {
					return err
				}
			}
			continue
		}
		if err := openAlert(ctx, tx, subj, w, "", at); err != nil {
			return err
		}
	}
	for kind, a := range open {
		if !wanted[kind] && !isDownKind(kind) {
			if err := resolveAlert(ctx, tx, a, at); err != nil {
				return err
			}
		}
	}
	for _, d := range downs {
		if err := syncDown(ctx, tx, subj, open[d.kind], d, at); err != nil {
			return err
		}
	}
	return nil
}

// syncDown opens an alert when a tier drops, and resolves it once the tier is
// back at the level before the drop.
func syncDown(ctx context.Context, tx pgx.Tx, subj subject, open *Alert, d downCheck, at time.Time) error {
	now := tierRank(d.value)
	if open != nil {
		if now >= tierRank(open.Baseline) {
			return resolveAlert(ctx, tx, open, at)
		}
		if open.Value != d.value {
			return updateAlert(ctx, tx, open.ID, subj.tenantID, alertSpec{severity: open.Severity, value: d.value})
		}
		return nil
	}
	if now == 0 || tierRank(d.old) == 0 || now >= tierRank(d.old) {
		return nil
	}
	return openAlert(ctx, tx, subj, alertSpec{kind: d.kind, severity: SeverityWarning, value: d.value}, d.old, at)
}

const alertCols = `id, tenant_id, kind, subject_kind, subject_id, subject_label, severity, value, baseline, detail,
	opened_at, resolved_at, acknowledged_at, acknowledged_by`

func scanAlert(row pgx.Row) (Alert, error) {
	var a Alert
	var detail []byte
	err := row.Scan(&a.ID, &a.TenantID, &a.Kind, &a.SubjectKind, &a.SubjectID, &a.SubjectLabel, &a.Severity, &a.Value,
		&a.Baseline, &detail, &a.OpenedAt, &a.ResolvedAt, &a.AcknowledgedAt, &a.AcknowledgedBy)
	if err == nil && len(detail) > 0 {
		err = json.Unmarshal(detail, &a.Detail)
	}
	if len(a.Detail) == 0 {
		a.Detail = nil
	}
	return a, err
}

func openAlerts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, subj subject) (map[string]*Alert, error) {
	rows, err := tx.Query(ctx, `SELECT `+alertCols+` FROM quality_alerts
		WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3 AND resolved_at IS NULL FOR UPDATE`,
		tenantID, subj.kind, subj.id)
	if err != nil {
		return nil, fmt.Errorf("quality: open alerts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) { return scanAlert(r) })
	if err != nil {
		return nil, fmt.Errorf("quality: open alerts: %w", err)
	}
	out := make(map[string]*Alert, len(list))
	for i := range list {
		out[list[i].Kind] = &list[i]
	}
	return out, nil
}

func detailJSON(d map[string]any) ([]byte, error) {
	if d == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(d)
}

func openAlert(ctx context.Context, tx pgx.Tx, subj subject, w alertSpec, baseline string, at time.Time) error {
	detail, err := detailJSON(w.detail)
	if err != nil {
		return err
	}
	a, err := scanAlert(tx.QueryRow(ctx, `
		INSERT INTO quality_alerts (id, tenant_id, kind, subject_kind, subject_id, subject_label, severity, value, baseline, detail, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING `+alertCols,
		newID(), subj.tenantID, w.kind, subj.kind, subj.id, subj.label, w.severity, w.value, baseline, detail, at.UTC()))
	if err != nil {
		return fmt.Errorf("quality: open alert %s: %w", w.kind, err)
	}
	return emitAlert(ctx, tx, events.QualityAlertOpened, a, a.OpenedAt)
}

func updateAlert(ctx context.Context, tx pgx.Tx, id, tenantID uuid.UUID, w alertSpec) error {
	detail, err := detailJSON(w.detail)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE quality_alerts SET severity = $3, value = $4,
			detail = CASE WHEN $5::jsonb = '{}'::jsonb THEN detail ELSE $5 END
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, w.severity, w.value, detail); err != nil {
		return fmt.Errorf("quality: update alert: %w", err)
	}
	return nil
}

func resolveAlert(ctx context.Context, tx pgx.Tx, open *Alert, at time.Time) error {
	a, err := scanAlert(tx.QueryRow(ctx, `
		UPDATE quality_alerts SET resolved_at = greatest(opened_at, $3)
		WHERE tenant_id = $1 AND id = $2 RETURNING `+alertCols, open.TenantID, open.ID, at.UTC()))
	if err != nil {
		return fmt.Errorf("quality: resolve alert: %w", err)
	}
	return emitAlert(ctx, tx, events.QualityAlertResolved, a, *a.ResolvedAt)
}

func emitAlert(ctx context.Context, tx pgx.Tx, typ string, a Alert, at time.Time) error {
	_, err := events.Emit(ctx, tx, events.Event{
		TenantID: a.TenantID, Type: typ, Subject: a.SubjectKind + ":" + a.SubjectID, OccurredAt: at,
		DedupeKey: typ + ":" + a.ID.String(), Data: a,
	})
	return err
}
