package webhooks

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Domains of tenant_events: which part of wabsp an event matters to.
const (
	DomainQuality   = "quality"   // phone quality, name review, limits, alerts
	DomainTemplates = "templates" // template status, quality, category
	DomainAccount   = "account"   // account_update, account_review_update
	DomainSecurity  = "security"  // PIN events
	DomainOptins    = "optins"    // user_preferences, number and identity changes
	DomainMessaging = "messaging" // value-level errors, shapes not understood
	DomainUnknown   = "unknown"   // fields wabsp has no decoder for
)

// Event names wabsp gives changes that carry no event of their own.
const (
	EventCapabilityUpdate  = "CAPABILITY_UPDATE"
	EventCategoryImpending = "CATEGORY_UPDATE_IMPENDING"
	EventCategoryUpdated   = "CATEGORY_UPDATED"
	EventUndecodable       = "UNDECODABLE"
)

// event is how a change is filed in tenant_events.
type event struct {
	domain, name, subject string
	// at is Meta's event time in unix seconds; 0 falls back to entry.time.
	at int64
}

type eventRow struct {
	archiveID            int64
	changeIndex, sub     int32
	domain, field, event string
	subject              string
	wabaID, phoneID      string
	eventTime            pgtype.Timestamptz
	receivedAt           time.Time
	payload              string
}

func newEvent(c Change, sub int, ev event, payload []byte) eventRow {
	at := ev.at
	if at == 0 {
		at = c.EntryTime
	}
	return eventRow{
		archiveID: c.ArchiveID, changeIndex: int32(c.Index), sub: int32(sub),
		domain: ev.domain, field: c.Field, event: clean(ev.name), subject: clean(ev.subject),
		wabaID: clean(c.WABAID), phoneID: clean(c.PhoneNumberID),
		eventTime: unixTime(at), receivedAt: c.ReceivedAt, payload: string(jsonbSafe(payload)),
	}
}

// classify files a single-event change, counting values the decoders do not
// know. It never fails: what cannot be decoded is filed as UNDECODABLE.
func (w *writeSet) classify(c Change) event {
	v, err := DecodeValue(c.Field, c.Value)
	if errors.Is(err, ErrUnknownField) {
		w.unknown(c.Field, "field")
		var probe struct {
			Event FlexString `json:"event"`
		}
		_ = json.Unmarshal(c.Value, &probe)
		return event{domain: DomainUnknown, name: string(probe.Event), subject: c.EntryID}
	}
	if err != nil {
		w.unknown(c.Field, "undecodable")
		return event{domain: domainOf(c.Field), name: EventUndecodable, subject: c.EntryID}
	}
	return w.describe(c, v)
}

func domainOf(field string) string {
	switch field {
	case FieldMessageTemplateStatusUpdate, FieldMessageTemplateQualityUpdate, FieldTemplateCategoryUpdate:
		return DomainTemplates
	case FieldAccountUpdate, FieldAccountReviewUpdate:
		return DomainAccount
	case FieldSecurity:
		return DomainSecurity
	case FieldUserPreferences:
		return DomainOptins
	case FieldMessages:
		return DomainMessaging
	}
	return DomainQuality
}

// describe names the event and its subject for each typed value.
func (w *writeSet) describe(c Change, v any) event {
	ev := event{domain: domainOf(c.Field), subject: c.EntryID}
	phone := func(display FlexString) string {
		if c.PhoneNumberID != "" {
			return c.PhoneNumberID
		}
		return digitsOf(string(display))
	}
	switch v := v.(type) {
	case *PhoneNumberQualityUpdate:
		ev.name, ev.subject = v.Event, phone(v.DisplayPhoneNumber)
		w.check(c.Field, "event", v.Event, knownQualityEvents)
	case *PhoneNumberNameUpdate:
		ev.name, ev.subject = v.Decision, phone(v.DisplayPhoneNumber)
		w.check(c.Field, "decision", v.Decision, knownNameDecisions)
	case *SecurityEvent:
		ev.name, ev.subject = v.Event, phone(v.DisplayPhoneNumber)
		w.check(c.Field, "event", v.Event, knownSecurityEvents)
	case *AccountUpdate:
		ev.name, ev.subject = v.Event, c.WABAID
		w.check(c.Field, "event", v.Event, knownAccountEvents)
	case *AccountReviewUpdate:
		ev.name, ev.subject = v.Decision, c.WABAID
		w.check(c.Field, "decision", v.Decision, knownReviewDecisions)
	case *AccountAlert:
		ev.name, ev.subject = v.AlertInfo.AlertType, string(v.EntityID)
		w.check(c.Field, "alert_type", v.AlertInfo.AlertType, knownAlertTypes)
		w.check(c.Field, "entity_type", v.EntityType, knownAlertEntities)
	case *BusinessCapabilityUpdate:
		ev.name = EventCapabilityUpdate
	case *TemplateStatusUpdate:
		ev.name, ev.subject = v.Event, string(v.TemplateID)
		w.check(c.Field, "event", strings.ToUpper(v.Event), knownTemplateEvents)
	case *TemplateQualityUpdate:
		ev.name, ev.subject = v.NewQualityScore, string(v.TemplateID)
		w.check(c.Field, "quality_score", v.NewQualityScore, knownQualityScores)
	case *TemplateCategoryUpdate:
		ev.name, ev.subject = EventCategoryUpdated, string(v.TemplateID)
		if v.Impending() {
			ev.name = EventCategoryImpending
		}
		w.check(c.Field, "category", v.NewCategory, knownTemplateCategories)
	}
	return ev
}

// check counts a non-empty value missing from its known set.
func (w *writeSet) check(field, kind, value string, known map[string]bool) {
	if value != "" && !known[value] {
		w.unknown(field, kind)
	}
}
