package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/webhooks"
)

// Forwarder is the webhooks.Handler that turns a tenant's Meta changes into
// meta.forwarded events. It runs in the intake's apply transaction, so a
// change and its event commit together, and it costs a map lookup for
// tenants no subscription forwards for: which tenants want forwarding is
// read from the database at most once per refresh interval (a new
// subscription starts receiving forwarded changes within that interval).
type Forwarder struct {
	db      *pg.DB
	refresh time.Duration

	mu       sync.Mutex
	loadedAt time.Time
	wanted   map[uuid.UUID]bool
}

var _ webhooks.Handler = (*Forwarder)(nil)

// NewForwarder returns a Forwarder that rereads which tenants want
// forwarding every refresh (default 5s).
func NewForwarder(db *pg.DB, refresh time.Duration) *Forwarder {
	if refresh <= 0 {
		refresh = 5 * time.Second
	}
	return &Forwarder{db: db, refresh: refresh}
}

// Apply emits one meta.forwarded event per change when the tenant has a
// subscription that wants them. Each event's dedupe key is the change's
// place in its archived body, so applying the same changes again emits
// nothing new.
func (f *Forwarder) Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []webhooks.Change) error {
	if len(changes) == 0 {
		return nil
	}
	want, err := f.wants(ctx, tenantID)
	if err != nil || !want {
		return err
	}
	n := len(changes)
	subjects, keys, datas := make([]string, 0, n), make([]string, 0, n), make([][]byte, 0, n)
	times := make([]time.Time, 0, n)
	for _, c := range changes {
		data, err := forwardedData(c)
		if err != nil {
			return err
		}
		subject := c.PhoneNumberID
		if subject == "" {
			subject = c.WABAID
		}
		at := c.ReceivedAt
		if c.EntryTime > 0 {
			at = time.Unix(c.EntryTime, 0)
		}
		subjects, times, datas = append(subjects, subject), append(times, at.UTC()), append(datas, data)
		keys = append(keys, "meta:"+strconv.FormatInt(c.ArchiveID, 10)+":"+strconv.Itoa(c.Index))
	}
	// One statement for the whole batch: the same row events.Emit writes,
	// set-based because forwarding runs on the intake's hottest path.
	_, err = tx.Exec(ctx, `
		INSERT INTO domain_events (tenant_id, type, subject, occurred_at, dedupe_key, data)
		SELECT $1, $2, u.subject, u.at, u.key, u.data::jsonb
		FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::text[]) AS u(subject, at, key, data)
		ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
		tenantID, events.MetaForwarded, subjects, times, keys, toStrings(datas))
	if err != nil {
		return fmt.Errorf("outbound: emit %d meta.forwarded events: %w", n, err)
	}
	return nil
}

// forwardedData is the data of a meta.forwarded event.
func forwardedData(c webhooks.Change) ([]byte, error) {
	d := struct {
		Field         string          `json:"field"`
		EntryID       string          `json:"entry_id,omitempty"`
		WABAID        string          `json:"waba_id,omitempty"`
		PhoneNumberID string          `json:"phone_number_id,omitempty"`
		EntryTime     *time.Time      `json:"entry_time,omitempty"`
		ReceivedAt    time.Time       `json:"received_at"`
		ArchiveID     int64           `json:"archive_id"`
		ChangeIndex   int             `json:"change_index"`
		Value         json.RawMessage `json:"value"`
	}{c.Field, c.EntryID, c.WABAID, c.PhoneNumberID, nil, c.ReceivedAt.UTC(), c.ArchiveID, c.Index, jsonbSafe(c.Value)}
	if c.EntryTime > 0 {
		t := time.Unix(c.EntryTime, 0).UTC()
		d.EntryTime = &t
	}
	if len(d.Value) == 0 {
		d.Value = json.RawMessage("null")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("outbound: encode forwarded change %d/%d: %w", c.ArchiveID, c.Index, err)
	}
	return b, nil
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// wants reports whether tenantID has an active subscription, its own or a
// partner's, that matches meta.forwarded.
func (f *Forwarder) wants(ctx context.Context, tenantID uuid.UUID) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wanted == nil || time.Since(f.loadedAt) >= f.refresh {
		wanted, err := f.load(ctx)
		if err != nil {
			return false, err
		}
		f.wanted, f.loadedAt = wanted, time.Now()
	}
	return f.wanted[tenantID], nil
}

func (f *Forwarder) load(ctx context.Context) (map[uuid.UUID]bool, error) {
	rows, err := f.db.Query(ctx, `
		SELECT s.tenant_id, s.event_types FROM webhook_subscriptions s WHERE s.active AND s.tenant_id IS NOT NULL
		UNION ALL
		SELECT pt.tenant_id, s.event_types FROM webhook_subscriptions s
		JOIN partner_tenants pt ON pt.partner_id = s.partner_id WHERE s.active`)
	if err != nil {
		return nil, fmt.Errorf("outbound: forwarding subscriptions: %w", err)
	}
	defer rows.Close()
	wanted := map[uuid.UUID]bool{}
	for rows.Next() {
		var tenant uuid.UUID
		var patterns []string
		if err := rows.Scan(&tenant, &patterns); err != nil {
			return nil, fmt.Errorf("outbound: forwarding subscriptions: %w", err)
		}
		if matches(patterns, events.MetaForwarded) {
			wanted[tenant] = true
		}
	}
	return wanted, rows.Err()
}

// jsonbSafe returns raw JSON that Postgres accepts as jsonb, which refuses
// the escape \u0000 and invalid UTF-8 that Meta's payloads may carry; both
// become U+FFFD. The archive keeps the exact bytes.
func jsonbSafe(raw []byte) []byte {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw
	}
	raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		// In valid JSON a backslash starts an escape, so pairs are copied
		// without tracking whether we are inside a string.
		if raw[i+1] == 'u' && i+5 < len(raw) && string(raw[i+2:i+6]) == "0000" {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, c, raw[i+1])
		i++
	}
	return out
}
