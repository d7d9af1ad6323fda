package webhooks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// defaultHandler keeps every change no domain has claimed: statuses and
// message state, inbound messages, and everything else as tenant_events.
type defaultHandler struct {
	metrics *metrics
}

// Apply decodes all changes first and then writes each table with one
// set-based statement, all sent in one round trip.
func (h *defaultHandler) Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []Change) error {
	w := &writeSet{metrics: h.metrics}
	for _, c := range changes {
		w.add(c)
	}
	return w.flush(ctx, tx, tenantID)
}

// writeSet accumulates the rows of one Apply.
type writeSet struct {
	metrics  *metrics
	statuses []statusRow
	inbound  []inboundRow
	events   []eventRow
}

func (w *writeSet) unknown(field, kind string) {
	w.metrics.unknown.WithLabelValues(field, kind).Inc()
}

func (w *writeSet) add(c Change) {
	switch c.Field {
	case FieldMessages:
		w.addMessages(c)
	case FieldUserPreferences:
		w.addPreferences(c)
	default:
		w.addEvent(c)
	}
}

// addEvent stores a change that becomes a single tenant event.
func (w *writeSet) addEvent(c Change) {
	ev := w.classify(c)
	w.events = append(w.events, newEvent(c, 0, ev, c.Value))
}

func (w *writeSet) systemEvent(c Change, m Message) event {
	ev := event{domain: DomainOptins, name: "SYSTEM", subject: string(m.From), at: m.Timestamp.Int64()}
	if ev.subject == "" {
		ev.subject = m.FromUserID
	}
	if m.System != nil && m.System.Type != "" {
		ev.name = m.System.Type
		w.check(c.Field, "system_type", m.System.Type, knownSystemTypes)
	}
	if m.ID == "" && m.Type != "system" {
		w.unknown(c.Field, "message_without_id")
		ev.domain, ev.name = DomainMessaging, "MESSAGE_WITHOUT_ID"
	}
	return ev
}

func (w *writeSet) addPreferences(c Change) {
	var v UserPreferencesValue
	if err := json.Unmarshal(c.Value, &v); err != nil || len(v.UserPreferences) == 0 {
		if err != nil {
			w.unknown(c.Field, "undecodable")
		}
		w.events = append(w.events, newEvent(c, 0, event{domain: DomainOptins}, c.Value))
		return
	}
	for i, p := range v.UserPreferences {
		w.check(c.Field, "preference", p.Value, knownPreferenceValues)
		w.check(c.Field, "category", p.Category, knownPreferenceCategories)
		subject := string(p.WaID)
		if subject == "" {
			subject = p.UserID
		}
		ev := event{domain: DomainOptins, name: p.Value, subject: subject, at: p.Timestamp.Int64()}
		w.events = append(w.events, newEvent(c, i, ev, c.Value))
	}
}

// MetaTime converts Meta's unix seconds. ok is false for values that cannot
// be a real event time (absent, before 2000, after year 5000), which Meta's
// payloads and their copies in the wild do carry.
func MetaTime(sec int64) (t time.Time, ok bool) {
	if sec < 946_684_800 || sec > 95_617_584_000 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}

// EventTime is Meta's time of an event, or fallback (the receipt time) when
// the payload carries none that could be real, so the event still counts.
func EventTime(sec int64, fallback time.Time) time.Time {
	if t, ok := MetaTime(sec); ok {
		return t
	}
	return fallback.UTC()
}

// unixTime converts Meta's unix seconds, leaving NULL values that cannot be
// a real event time.
func unixTime(sec int64) pgtype.Timestamptz {
	t, ok := MetaTime(sec)
	return pgtype.Timestamptz{Time: t, Valid: ok}
}

// text is a nullable text value: "" is NULL.
func text(s string) pgtype.Text {
	return pgtype.Text{String: clean(s), Valid: s != ""}
}

// rawText is a nullable jsonb value passed as text.
func rawText(raw []byte) pgtype.Text {
	return pgtype.Text{String: string(jsonbSafe(raw)), Valid: true}
}
