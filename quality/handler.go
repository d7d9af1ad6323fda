package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

// Fields are the webhook fields the quality domain applies. Register
// Handler for each, next to the intake's default handler so the raw
// tenant_events rows are kept too.
var Fields = []string{
	webhooks.FieldPhoneNumberQualityUpdate,
	webhooks.FieldPhoneNumberNameUpdate,
	webhooks.FieldAccountUpdate,
	webhooks.FieldAccountAlerts,
	webhooks.FieldAccountReviewUpdate,
	webhooks.FieldBusinessCapabilityUpdate,
	webhooks.FieldMessageTemplateStatusUpdate,
	webhooks.FieldMessageTemplateQualityUpdate,
	webhooks.FieldTemplateCategoryUpdate,
	webhooks.FieldSecurity,
}

// Handler returns the webhooks.Handler that applies quality fields inside
// the intake's tenant transaction.
func (s *Service) Handler() webhooks.Handler {
	return webhooks.HandlerFunc(s.applyChanges)
}

// applyChanges applies each change in order. Quality events are rare next
// to message statuses, so a few statements per change cost nothing; what
// matters is that re-applying a change, or applying it after a newer one,
// leaves the state as it was.
func (s *Service) applyChanges(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []webhooks.Change) error {
	for _, c := range changes {
		v, err := webhooks.DecodeValue(c.Field, c.Value)
		if err != nil {
			// The default handler keeps the raw change as UNDECODABLE.
			s.log.Warn("quality: change does not decode", "field", c.Field, "archive_id", c.ArchiveID, "index", c.Index, "err", err)
			continue
		}
		if err := s.applyChange(ctx, tx, tenantID, c, v); err != nil {
			return fmt.Errorf("quality: %s change %d/%d: %w", c.Field, c.ArchiveID, c.Index, err)
		}
	}
	return nil
}

func (s *Service) applyChange(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, c webhooks.Change, v any) error {
	o := webhookOrigin(c.ArchiveID, c.Index, c.ReceivedAt)
	at := eventTime(c)
	wabaID := c.WABAID
	if wabaID == "" {
		wabaID = c.EntryID
	}
	switch v := v.(type) {
	case *webhooks.PhoneNumberQualityUpdate:
		_, err := s.applyNumber(ctx, tx, tenantID, numberOf(c, wabaID, v.DisplayPhoneNumber), o, qualityObs(v, at))
		return err
	case *webhooks.PhoneNumberNameUpdate:
		detail := map[string]any{"requested_verified_name": v.RequestedVerifiedName}
		if v.RejectionReason != "" {
			detail["rejection_reason"] = string(v.RejectionReason)
		}
		_, err := s.applyNumber(ctx, tx, tenantID, numberOf(c, wabaID, v.DisplayPhoneNumber), o,
			[]obs{{attr: "name_status", value: upper(v.Decision), at: at, detail: detail}})
		return err
	case *webhooks.SecurityEvent:
		_, err := s.applyNumber(ctx, tx, tenantID, numberOf(c, wabaID, v.DisplayPhoneNumber), o,
			[]obs{{attr: "security", value: upper(v.Event), at: at, detail: map[string]any{"requester": string(v.Requester)}}})
		return err
	case *webhooks.BusinessCapabilityUpdate:
		return s.applyCapability(ctx, tx, tenantID, wabaID, o, v, at)
	case *webhooks.AccountUpdate:
		return s.applyAccount(ctx, tx, tenantID, wabaID, o, accountUpdateOf(v, c.Value, at))
	case *webhooks.AccountReviewUpdate:
		return s.applyAccount(ctx, tx, tenantID, wabaID, o, accountUpdate{at: at,
			obs: []obs{{attr: "review_decision", value: upper(v.Decision), at: at}}})
	case *webhooks.AccountAlert:
		return s.applyAccount(ctx, tx, tenantID, wabaID, o, accountUpdate{at: at, alert: &MetaAlert{
			Type: v.AlertInfo.AlertType, Status: upper(v.AlertInfo.AlertStatus), Severity: upper(v.AlertInfo.AlertSeverity),
			Description: v.AlertInfo.AlertDescription, EntityType: v.EntityType, EntityID: string(v.EntityID), At: at,
		}})
	case *webhooks.TemplateStatusUpdate:
		id := templateIdentity{id: string(v.TemplateID), wabaID: wabaID, name: v.Name, language: v.Language}
		return s.applyTemplateChange(ctx, tx, tenantID, id, o, templateStatusObs(v, at), nil)
	case *webhooks.TemplateQualityUpdate:
		id := templateIdentity{id: string(v.TemplateID), wabaID: wabaID, name: v.Name, language: v.Language}
		return s.applyTemplateChange(ctx, tx, tenantID, id, o, []obs{{attr: "quality_score", value: normRating(v.NewQualityScore), at: at,
			detail: map[string]any{"previous_quality_score": normRating(v.PreviousQualityScore)}}}, nil)
	case *webhooks.TemplateCategoryUpdate:
		id := templateIdentity{id: string(v.TemplateID), wabaID: wabaID, name: v.Name, language: v.Language}
		list, pending := categoryObs(v, at)
		return s.applyTemplateChange(ctx, tx, tenantID, id, o, list, pending)
	}
	return nil
}

// applyTemplateChange skips template changes without an id: the template
// cannot be told apart from the WABA's others, and the raw change is kept by
// the default handler.
func (s *Service) applyTemplateChange(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id templateIdentity, o origin, list []obs, pending *pendingCategory) error {
	if !isDigits(id.id) {
		s.log.Warn("quality: template change without a template id", "event_id", o.eventID)
		return nil
	}
	_, err := s.applyTemplate(ctx, tx, tenantID, id, o, list, pending)
	return err
}

// eventTime is Meta's time of a change: entry.time, or the receipt time when
// Meta sent none.
func eventTime(c webhooks.Change) time.Time {
	if c.EntryTime > 946_684_800 {
		return time.Unix(c.EntryTime, 0).UTC()
	}
	return c.ReceivedAt.UTC()
}

func numberOf(c webhooks.Change, wabaID string, display webhooks.FlexString) numberIdentity {
	return numberIdentity{wabaID: wabaID, digits: digitsOf(string(display)), phoneID: c.PhoneNumberID}
}

// qualityObs reads a phone_number_quality_update. The legacy events
// (FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE) speak of the per-number tier;
// FLAGGED is by definition a drop to a low rating. THROUGHPUT_UPGRADE speaks
// of throughput and the portfolio limit. Every event is kept in the history.
func qualityObs(v *webhooks.PhoneNumberQualityUpdate, at time.Time) []obs {
	event := upper(v.Event)
	detail := map[string]any{"event": event}
	if v.CurrentLimit != "" {
		detail["current_limit"] = v.CurrentLimit
	}
	if v.OldLimit != "" {
		detail["old_limit"] = v.OldLimit
	}
	if m := string(v.MaxDailyConversationsPerBusiness); m != "" {
		detail["max_daily_conversations_per_business"] = m
	}
	list := []obs{{attr: "event", value: event, at: at, detail: detail}}
	add := func(attr, value string) {
		list = append(list, obs{attr: attr, value: value, at: at, detail: detail})
	}
	switch event {
	case "FLAGGED":
		add("status", StatusFlagged)
		add("quality_rating", Red)
		add("legacy_tier", normTier(v.CurrentLimit))
	case "UNFLAGGED":
		add("status", StatusConnected)
		add("legacy_tier", normTier(v.CurrentLimit))
	case "UPGRADE", "DOWNGRADE":
		add("legacy_tier", normTier(v.CurrentLimit))
	case "THROUGHPUT_UPGRADE":
		add("throughput", "HIGH")
		limit := normTier(string(v.MaxDailyConversationsPerBusiness))
		if limit == "" {
			limit = normTier(v.CurrentLimit)
		}
		add("messaging_limit", limit)
	}
	return list
}

// applyCapability applies business_capability_update to the account and
// mirrors the portfolio limit onto the WABA's numbers, which share it.
func (s *Service) applyCapability(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, v *webhooks.BusinessCapabilityUpdate, at time.Time) error {
	limit := normTier(string(v.MaxDailyConversationsPerBusiness))
	maxNumbers := v.MaxPhoneNumbersPerWABA.Int64()
	if maxNumbers == 0 {
		maxNumbers = v.MaxPhoneNumbersPerBusiness.Int64()
	}
	u := accountUpdate{at: at, obs: []obs{{attr: "messaging_limit", value: limit, at: at}}}
	if maxNumbers > 0 {
		u.obs = append(u.obs, obs{attr: "max_phone_numbers", value: fmt.Sprint(maxNumbers), at: at})
	}
	if err := s.applyAccount(ctx, tx, tenantID, wabaID, o, u); err != nil {
		return err
	}
	if limit == "" {
		return nil
	}
	return s.mirrorLimit(ctx, tx, tenantID, wabaID, o, limit, at)
}

// mirrorLimit records a portfolio limit on each of the WABA's numbers.
func (s *Service) mirrorLimit(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID string, o origin, limit string, at time.Time) error {
	rows, err := tx.Query(ctx, `SELECT display_digits, phone_number_id FROM quality_numbers WHERE tenant_id = $1 AND waba_id = $2`, tenantID, wabaID)
	if err != nil {
		return fmt.Errorf("quality: numbers of %s: %w", wabaID, err)
	}
	var ids []numberIdentity
	for rows.Next() {
		id := numberIdentity{wabaID: wabaID}
		if err := rows.Scan(&id.digits, &id.phoneID); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.applyNumber(ctx, tx, tenantID, id, o, []obs{{attr: "messaging_limit", value: limit, at: at}}); err != nil {
			return err
		}
	}
	return nil
}

// accountUpdateOf reads an account_update; the whole value is kept as the
// event's detail, since its optional blocks vary by event.
func accountUpdateOf(v *webhooks.AccountUpdate, raw json.RawMessage, at time.Time) accountUpdate {
	event := upper(v.Event)
	u := accountUpdate{event: event, at: at}
	var detail map[string]any
	if json.Unmarshal(raw, &detail) == nil {
		u.detail = detail
	}
	add := func(attr, value string) { u.obs = append(u.obs, obs{attr: attr, value: value, at: at}) }
	switch event {
	case "ACCOUNT_RESTRICTION":
		list := make([]Restriction, 0, len(v.RestrictionInfo))
		for _, r := range v.RestrictionInfo {
			rr := Restriction{Type: r.RestrictionType}
			if exp := r.Expiration.Int64(); exp > 0 {
				t := time.Unix(exp, 0).UTC()
				rr.Expiration = &t
			}
			list = append(list, rr)
		}
		u.restrictions = &list
	case "ACCOUNT_VIOLATION":
		if v.ViolationInfo != nil {
			add("violation", v.ViolationInfo.ViolationType)
		}
	case "DISABLED_UPDATE":
		if v.BanInfo != nil {
			add("ban_state", upper(v.BanInfo.WABABanState))
			u.banDate = string(v.BanInfo.WABABanDate)
		}
	case "ACCOUNT_OFFBOARDED":
		add("connection", "OFFBOARDED")
	case "ACCOUNT_RECONNECTED":
		add("connection", StatusConnected)
	case "ACCOUNT_DELETED":
		add("connection", "DELETED")
	}
	return u
}

// templateStatusObs reads a message_template_status_update. The reason kept
// is the pause title for pause events and Meta's reason otherwise; "NONE"
// means none.
func templateStatusObs(v *webhooks.TemplateStatusUpdate, at time.Time) []obs {
	status := upper(v.Event)
	reason := upper(string(v.Reason))
	if reason == "NONE" {
		reason = ""
	}
	detail := map[string]any{}
	if v.OtherInfo != nil {
		detail["other_info"] = map[string]any{"title": v.OtherInfo.Title, "description": v.OtherInfo.Description}
		if v.OtherInfo.Title != "" && (reason == "" || status == TemplatePaused) {
			reason = upper(v.OtherInfo.Title)
		}
	}
	if v.RejectionInfo != nil {
		detail["rejection_info"] = map[string]any{"reason": v.RejectionInfo.Reason, "recommendation": v.RejectionInfo.Recommendation}
	}
	if v.DisableInfo != nil && v.DisableInfo.DisableDate > 0 {
		detail["disable_date"] = time.Unix(v.DisableInfo.DisableDate.Int64(), 0).UTC()
	}
	if reason != "" {
		detail["reason"] = reason
	}
	list := []obs{{attr: "status", value: status, at: at, detail: detail}}
	if v.Category != "" {
		list = append(list, obs{attr: "category", value: upper(v.Category), at: at})
	}
	return list
}

// categoryObs reads a template_category_update. In the 24-hour notice
// new_category is the current category and correct_category the coming one.
func categoryObs(v *webhooks.TemplateCategoryUpdate, at time.Time) ([]obs, *pendingCategory) {
	if v.Impending() {
		p := &pendingCategory{category: upper(v.CorrectCategory), at: at, effective: at}
		if ts := v.CategoryUpdateTimestamp.Int64(); ts > 0 {
			p.effective = time.Unix(ts, 0).UTC()
		}
		return []obs{{attr: "category", value: upper(v.NewCategory), at: at}}, p
	}
	detail := map[string]any{"previous_category": upper(v.PreviousCategory)}
	return []obs{{attr: "category", value: upper(v.NewCategory), at: at, detail: detail}}, nil
}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// digitsOf keeps only the digits of a display number.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	return s != "" && digitsOf(s) == s
}
