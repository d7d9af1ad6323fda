package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
)

// Account is the account-level state of one WABA.
type Account struct {
	TenantID uuid.UUID `json:"tenant_id"`
	WABAID   string    `json:"waba_id"`
	// MessagingLimit is the business portfolio's messaging limit (TIER_*),
	// from business_capability_update, throughput upgrades and polls.
	MessagingLimit  Attr   `json:"messaging_limit"`
	MaxPhoneNumbers Attr   `json:"max_phone_numbers"`
	ReviewDecision  Attr   `json:"review_decision"`
	BanState        Attr   `json:"ban_state"`
	BanDate         string `json:"ban_date,omitempty"`
	// Restrictions are the last ACCOUNT_RESTRICTION's restriction_info.
	Restrictions   []Restriction `json:"restrictions"`
	RestrictionsAt *time.Time    `json:"restrictions_at,omitempty"`
	// Connection is CONNECTED, OFFBOARDED or DELETED, from account_update.
	Connection Attr `json:"connection"`
	Violation  Attr `json:"violation"`
	// MetaAlerts are Meta's account_alerts by alert type, latest first seen.
	MetaAlerts        map[string]MetaAlert `json:"meta_alerts"`
	SubscribedAt      *time.Time           `json:"subscribed_at,omitempty"`
	NumbersPolledAt   *time.Time           `json:"numbers_polled_at,omitempty"`
	TemplatesPolledAt *time.Time           `json:"templates_polled_at,omitempty"`
	// PollError is why polling stopped until PollBlockedUntil, "" when the
	// last poll succeeded.
	PollError        string     `json:"poll_error,omitempty"`
	PollBlockedUntil *time.Time `json:"poll_blocked_until,omitempty"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Restriction is one restriction on an account. Expiration is nil when Meta
// gave none.
type Restriction struct {
	Type       string     `json:"type"`
	Expiration *time.Time `json:"expiration,omitempty"`
}

// activeAt reports whether the restriction is in force at t (an expiration
// is the last moment it applies).
func (r Restriction) activeAt(t time.Time) bool {
	return r.Expiration == nil || !r.Expiration.Before(t)
}

// MetaAlert is one of Meta's account_alerts.
type MetaAlert struct {
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	Severity    string    `json:"severity"`
	Description string    `json:"description,omitempty"`
	EntityType  string    `json:"entity_type,omitempty"`
	EntityID    string    `json:"entity_id,omitempty"`
	At          time.Time `json:"at"`
}

// accountUpdate is what one change or poll says about an account.
type accountUpdate struct {
	obs []obs
	// restrictions replaces the restriction list when set.
	restrictions *[]Restriction
	alert        *MetaAlert
	// event is the account_update (or other account field) event name,
	// recorded as an "event" history row.
	event   string
	detail  map[string]any
	banDate string
	at      time.Time
}

func ensureAccount(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO quality_accounts (tenant_id, waba_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, tenantID, wabaID)
	if err != nil {
		return fmt.Errorf("quality: upsert account %s: %w", wabaID, err)
	}
	return nil
}

// applyAccount folds an update into a WABA's account state and runs its
// effects.
func (s *Service) applyAccount(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, u accountUpdate) error {
	if err := ensureAccount(ctx, tx, tenantID, wabaID); err != nil {
		return err
	}
	r, err := accountsTable.load(ctx, tx, tenantID, wabaID)
	if err != nil {
		return err
	}
	changes, err := r.apply(ctx, tx, tenantID, o, u.obs)
	if err != nil {
		return err
	}
	if err := r.save(ctx, tx, tenantID); err != nil {
		return err
	}
	extra, err := applyAccountExtras(ctx, tx, tenantID, wabaID, o, u)
	if err != nil {
		return err
	}
	changes = append(changes, extra...)
	for _, c := range changes {
		if c.attr == "ban_state" && u.banDate != "" {
			if _, err := tx.Exec(ctx, `UPDATE quality_accounts SET ban_date = $3 WHERE tenant_id = $1 AND waba_id = $2`,
				tenantID, wabaID, u.banDate); err != nil {
				return fmt.Errorf("quality: ban date: %w", err)
			}
		}
	}
	if len(changes) == 0 {
		return nil
	}
	for _, c := range changes {
		s.count(KindAccount, o, c)
		if err := emitAccountChange(ctx, tx, tenantID, wabaID, o, c); err != nil {
			return err
		}
	}
	return s.syncAccountAlerts(ctx, tx, tenantID, wabaID, downChecks(changes, "messaging_limit", AlertLimitDown), latest(changes))
}

// syncAccountAlerts re-derives a WABA's alerts as of at.
func (s *Service) syncAccountAlerts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, downs []downCheck, at time.Time) error {
	a, err := getAccount(ctx, tx, tenantID, wabaID)
	if err != nil {
		return err
	}
	subj := subject{tenantID: tenantID, kind: KindAccount, id: wabaID, label: "WABA " + wabaID}
	return s.syncAlerts(ctx, tx, tenantID, subj, accountAlerts(a, at), downs, at)
}

// applyAccountExtras applies the parts of an update that are not plain
// attributes: the restriction list, a Meta account alert and the event.
func applyAccountExtras(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, u accountUpdate) ([]applied, error) {
	var out []applied
	if u.event != "" {
		ob := obs{attr: "event", value: u.event, at: u.at, detail: u.detail}
		inserted, err := insertHistory(ctx, tx, tenantID, KindAccount, wabaID, o, ob, nil, false)
		if err != nil {
			return nil, err
		}
		if inserted {
			out = append(out, applied{attr: "event", value: u.event, at: u.at, detail: u.detail})
		}
	}
	if u.restrictions != nil {
		c, err := applyRestrictions(ctx, tx, tenantID, wabaID, o, *u.restrictions, u.at)
		if err != nil {
			return nil, err
		}
		out = append(out, c...)
	}
	if u.alert != nil {
		c, err := applyMetaAlert(ctx, tx, tenantID, wabaID, o, *u.alert)
		if err != nil {
			return nil, err
		}
		out = append(out, c...)
	}
	return out, nil
}

func restrictionsValue(list []Restriction) string {
	if len(list) == 0 {
		return "NONE"
	}
	types := make([]string, len(list))
	for i, r := range list {
		types[i] = r.Type
	}
	sort.Strings(types)
	return strings.Join(types, ",")
}

// applyRestrictions replaces the restriction list unless a newer one is
// stored; an older list is kept in the history only.
func applyRestrictions(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, list []Restriction, at time.Time) ([]applied, error) {
	var (
		cur   []byte
		curAt *time.Time
	)
	if err := tx.QueryRow(ctx, `SELECT restrictions, restrictions_at FROM quality_accounts WHERE tenant_id = $1 AND waba_id = $2`,
		tenantID, wabaID).Scan(&cur, &curAt); err != nil {
		return nil, fmt.Errorf("quality: restrictions: %w", err)
	}
	var old []Restriction
	if err := json.Unmarshal(cur, &old); err != nil {
		return nil, fmt.Errorf("quality: stored restrictions: %w", err)
	}
	ob := obs{attr: "restrictions", value: restrictionsValue(list), at: at, detail: map[string]any{"restrictions": list}}
	late := curAt != nil && at.Before(*curAt)
	inserted, err := insertHistory(ctx, tx, tenantID, KindAccount, wabaID, o, ob, nil, late)
	if err != nil || late || (!inserted && curAt != nil && at.Equal(*curAt)) {
		return nil, err
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE quality_accounts SET restrictions = $3, restrictions_at = $4, updated_at = now()
		WHERE tenant_id = $1 AND waba_id = $2`, tenantID, wabaID, b, at); err != nil {
		return nil, fmt.Errorf("quality: restrictions: %w", err)
	}
	if !inserted {
		return nil, nil
	}
	return []applied{{attr: "restrictions", old: restrictionsValue(old), value: ob.value, at: at, first: curAt == nil, detail: ob.detail}}, nil
}

// applyMetaAlert stores the latest state of one of Meta's alert types,
// unless a newer one is already stored.
func applyMetaAlert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, m MetaAlert) ([]applied, error) {
	var prev *MetaAlert
	if err := tx.QueryRow(ctx, `SELECT meta_alerts -> $3 FROM quality_accounts WHERE tenant_id = $1 AND waba_id = $2`,
		tenantID, wabaID, m.Type).Scan(&prev); err != nil {
		return nil, fmt.Errorf("quality: meta alert: %w", err)
	}
	ob := obs{attr: "alert:" + m.Type, value: m.Status, at: m.At,
		detail: map[string]any{"severity": m.Severity, "description": m.Description, "entity_type": m.EntityType, "entity_id": m.EntityID}}
	late := prev != nil && m.At.Before(prev.At)
	inserted, err := insertHistory(ctx, tx, tenantID, KindAccount, wabaID, o, ob, nil, late)
	if err != nil || late || !inserted {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE quality_accounts SET meta_alerts = jsonb_set(meta_alerts, ARRAY[$3::text], $4::jsonb), updated_at = now()
		WHERE tenant_id = $1 AND waba_id = $2`, tenantID, wabaID, m.Type, b); err != nil {
		return nil, fmt.Errorf("quality: meta alert: %w", err)
	}
	old := ""
	if prev != nil {
		old = prev.Status
	}
	return []applied{{attr: ob.attr, old: old, value: m.Status, at: m.At, first: prev == nil, detail: ob.detail}}, nil
}

func emitAccountChange(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, c applied) error {
	data := map[string]any{"waba_id": wabaID, "attribute": c.attr, "old_value": c.old, "value": c.value,
		"event_time": c.at.UTC(), "source": o.source}
	for k, v := range c.detail {
		data[k] = v
	}
	_, err := events.Emit(ctx, tx, events.Event{
		TenantID: tenantID, Type: events.AccountUpdated, Subject: wabaID, OccurredAt: c.at,
		DedupeKey: changeKey(KindAccount, wabaID, c), Data: data,
	})
	return err
}

// accountAlerts derives a WABA's alerts as of at.
func accountAlerts(a Account, at time.Time) []alertSpec {
	var out []alertSpec
	var active []string
	for _, r := range a.Restrictions {
		if r.activeAt(at) {
			active = append(active, r.Type)
		}
	}
	if len(active) > 0 {
		out = append(out, alertSpec{kind: AlertAccountRestricted, severity: SeverityCritical, value: strings.Join(active, ","),
			detail: map[string]any{"restrictions": a.Restrictions}})
	}
	switch a.BanState.Value {
	case "DISABLE":
		out = append(out, alertSpec{kind: AlertAccountDisabled, severity: SeverityCritical, value: "DISABLE"})
	case "SCHEDULE_FOR_DISABLE":
		out = append(out, alertSpec{kind: AlertAccountDisabled, severity: SeverityWarning, value: "SCHEDULE_FOR_DISABLE",
			detail: map[string]any{"ban_date": a.BanDate}})
	}
	switch a.Connection.Value {
	case "OFFBOARDED":
		out = append(out, alertSpec{kind: AlertAccountOffboarded, severity: SeverityWarning, value: "OFFBOARDED"})
	case "DELETED":
		out = append(out, alertSpec{kind: AlertAccountOffboarded, severity: SeverityCritical, value: "DELETED"})
	}
	for _, m := range a.MetaAlerts {
		if m.Status == "ACTIVE" {
			out = append(out, alertSpec{kind: AlertMetaPrefix + m.Type, severity: metaSeverity(m.Severity), value: m.Status,
				detail: map[string]any{"description": m.Description, "entity_type": m.EntityType, "entity_id": m.EntityID}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].kind < out[j].kind })
	return out
}

func metaSeverity(s string) string {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return SeverityCritical
	case "WARNING":
		return SeverityWarning
	}
	return SeverityInfo
}

const accountCols = `tenant_id, waba_id, messaging_limit, messaging_limit_at, max_phone_numbers, max_phone_numbers_at,
	review_decision, review_decision_at, ban_state, ban_state_at, ban_date, restrictions, restrictions_at,
	connection, connection_at, violation, violation_at, meta_alerts, subscribed_at, numbers_polled_at, templates_polled_at, poll_error, poll_blocked_until, updated_at`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	var restrictions, alerts []byte
	err := row.Scan(&a.TenantID, &a.WABAID, &a.MessagingLimit.Value, &a.MessagingLimit.At, &a.MaxPhoneNumbers.Value, &a.MaxPhoneNumbers.At,
		&a.ReviewDecision.Value, &a.ReviewDecision.At, &a.BanState.Value, &a.BanState.At, &a.BanDate, &restrictions, &a.RestrictionsAt,
		&a.Connection.Value, &a.Connection.At, &a.Violation.Value, &a.Violation.At, &alerts, &a.SubscribedAt,
		&a.NumbersPolledAt, &a.TemplatesPolledAt, &a.PollError, &a.PollBlockedUntil, &a.UpdatedAt)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(restrictions, &a.Restrictions); err != nil {
		return a, err
	}
	err = json.Unmarshal(alerts, &a.MetaAlerts)
	return a, err
}

func getAccount(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string) (Account, error) {
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM quality_accounts WHERE tenant_id = $1 AND waba_id = $2`, tenantID, wabaID))
	if err != nil {
		return Account{}, fmt.Errorf("quality: read account %s: %w", wabaID, err)
	}
	return a, nil
}

// Accounts returns the account-level state of the tenant's WABAs that Meta
// has reported on or wabsp has polled, by WABA id.
func (s *Service) Accounts(ctx context.Context, tenantID uuid.UUID) ([]Account, error) {
	var out []Account
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+accountCols+` FROM quality_accounts WHERE tenant_id = $1 ORDER BY waba_id`, tenantID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) { return scanAccount(r) })
		return err
	})
	if out == nil {
		out = []Account{}
	}
	return out, pg.Translate(err, "accounts")
}
