package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Sources of an observation.
const (
	SourceWebhook = "webhook"
	SourcePoll    = "poll"
)

// Subject kinds: what an attribute, a history row or an alert is about.
const (
	KindNumber   = "number"
	KindTemplate = "template"
	KindAccount  = "account"
)

// origin is where a group of observations came from.
type origin struct {
	source     string
	eventID    string
	receivedAt time.Time
}

func webhookOrigin(archiveID int64, index int, receivedAt time.Time) origin {
	return origin{source: SourceWebhook, eventID: fmt.Sprintf("webhook:%d:%d", archiveID, index), receivedAt: receivedAt}
}

func pollOrigin(at time.Time) origin {
	return origin{source: SourcePoll, eventID: "poll:" + at.UTC().Format(time.RFC3339Nano), receivedAt: at}
}

// obs is one observed value of one attribute at Meta's time at.
type obs struct {
	attr   string
	value  string
	at     time.Time
	detail map[string]any
}

// applied is an observation that changed the current state.
type applied struct {
	attr, old, value string
	at               time.Time
	// first is true when the attribute had no value before.
	first  bool
	detail map[string]any
}

// table describes a state table: its subject kind, the column that names a
// subject within a tenant, and the attributes tracked with <attr>_at times.
type table struct {
	name  string
	kind  string
	key   string
	attrs []string
}

var (
	numbersTable = table{name: "quality_numbers", kind: KindNumber, key: "id",
		attrs: []string{"quality_rating", "status", "name_status", "throughput", "legacy_tier", "messaging_limit"}}
	templatesTable = table{name: "quality_templates", kind: KindTemplate, key: "template_id",
		attrs: []string{"status", "quality_score", "category"}}
	accountsTable = table{name: "quality_accounts", kind: KindAccount, key: "waba_id",
		attrs: []string{"messaging_limit", "max_phone_numbers", "review_decision", "ban_state", "connection", "violation"}}
)

type attrState struct {
	value string
	at    *time.Time
}

// row is a subject's tracked attributes, locked for the transaction.
type row struct {
	t       *table
	subject string
	attrs   map[string]attrState
	dirty   []string
}

// load reads and locks a subject's attributes. The subject must exist.
func (t *table) load(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, subject string) (*row, error) {
	cols := make([]string, 0, 2*len(t.attrs))
	vals := make([]string, len(t.attrs))
	times := make([]*time.Time, len(t.attrs))
	dest := make([]any, 0, 2*len(t.attrs))
	for i, a := range t.attrs {
		cols = append(cols, a, a+"_at")
		dest = append(dest, &vals[i], &times[i])
	}
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE tenant_id = $1 AND %s = $2 FOR UPDATE`, strings.Join(cols, ", "), t.name, t.key)
	if err := tx.QueryRow(ctx, q, tenantID, subject).Scan(dest...); err != nil {
		return nil, fmt.Errorf("quality: load %s %s: %w", t.kind, subject, err)
	}
	r := &row{t: t, subject: subject, attrs: make(map[string]attrState, len(t.attrs))}
	for i, a := range t.attrs {
		r.attrs[a] = attrState{value: vals[i], at: times[i]}
	}
	return r, nil
}

func (r *row) value(attr string) string { return r.attrs[attr].value }

func (r *row) set(attr, value string, at time.Time) {
	r.attrs[attr] = attrState{value: value, at: &at}
	r.dirty = append(r.dirty, attr)
}

// save writes the attributes changed since load.
func (r *row) save(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	if len(r.dirty) == 0 {
		return nil
	}
	sets := []string{"updated_at = now()"}
	args := []any{tenantID, r.subject}
	seen := map[string]bool{}
	for _, a := range r.dirty {
		if seen[a] {
			continue
		}
		seen[a] = true
		st := r.attrs[a]
		args = append(args, st.value, st.at)
		sets = append(sets, fmt.Sprintf("%s = $%d, %s_at = $%d", a, len(args)-1, a, len(args)))
	}
	q := fmt.Sprintf(`UPDATE %s SET %s WHERE tenant_id = $1 AND %s = $2`, r.t.name, strings.Join(sets, ", "), r.t.key)
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("quality: save %s %s: %w", r.t.kind, r.subject, err)
	}
	r.dirty = r.dirty[:0]
	return nil
}

// apply folds observations into the row. An observation at least as new as
// the attribute's current time replaces a different value and is recorded in
// the history; an older one is recorded as a late row (when it differs from
// what the history says held at its time) and changes nothing current.
// Re-applying the same observations changes nothing.
func (r *row) apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o origin, list []obs) ([]applied, error) {
	var out []applied
	for _, ob := range list {
		if ob.value == "" {
			continue
		}
		cur, tracked := r.attrs[ob.attr]
		if !tracked {
			// An event rather than a state (a legacy quality event, a PIN
			// reset): it only goes into the history.
			if _, err := insertHistory(ctx, tx, tenantID, r.t.kind, r.subject, o, ob, nil, false); err != nil {
				return nil, err
			}
			continue
		}
		if cur.at != nil && ob.at.Before(*cur.at) {
			if err := r.late(ctx, tx, tenantID, o, ob); err != nil {
				return nil, err
			}
			continue
		}
		if cur.at != nil && ob.value == cur.value {
			// Confirmed later: a late observation from before this time must
			// not replace it.
			if ob.at.After(*cur.at) {
				r.set(ob.attr, cur.value, ob.at)
			}
			continue
		}
		var old *string
		if cur.at != nil {
			old = &cur.value
		}
		inserted, err := insertHistory(ctx, tx, tenantID, r.t.kind, r.subject, o, ob, old, false)
		if err != nil {
			return nil, err
		}
		if !inserted && cur.at != nil && ob.at.Equal(*cur.at) {
			// A replay of an observation that tied with the current one.
			continue
		}
		r.set(ob.attr, ob.value, ob.at)
		out = append(out, applied{attr: ob.attr, old: cur.value, value: ob.value, at: ob.at, first: cur.at == nil, detail: ob.detail})
	}
	return out, nil
}

// late records an observation older than the current value.
func (r *row) late(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, o origin, ob obs) error {
	var prev string
	err := tx.QueryRow(ctx, `
		SELECT value FROM quality_history
		WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3 AND attribute = $4 AND event_time <= $5
		ORDER BY event_time DESC, id DESC LIMIT 1`,
		tenantID, r.t.kind, r.subject, ob.attr, ob.at).Scan(&prev)
	if err != nil && err != pgx.ErrNoRows {
		return fmt.Errorf("quality: history before %s: %w", ob.at, err)
	}
	if err == nil && prev == ob.value {
		return nil
	}
	_, err = insertHistory(ctx, tx, tenantID, r.t.kind, r.subject, o, ob, nil, true)
	return err
}

// insertHistory stores one history row; false means it was already there.
func insertHistory(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, kind, subject string, o origin, ob obs, old *string, late bool) (bool, error) {
	var detail []byte
	if len(ob.detail) > 0 {
		var err error
		if detail, err = json.Marshal(ob.detail); err != nil {
			return false, fmt.Errorf("quality: history detail: %w", err)
		}
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO quality_history (tenant_id, subject_kind, subject_id, attribute, old_value, value,
			event_time, received_at, source, event_id, late, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (tenant_id, subject_kind, subject_id, attribute, event_time, value) DO NOTHING`,
		tenantID, kind, subject, ob.attr, old, ob.value, ob.at.UTC(), o.receivedAt.UTC(), o.source, o.eventID, late, detail)
	if err != nil {
		return false, fmt.Errorf("quality: insert history: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
