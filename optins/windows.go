package optins

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

type windowKey struct {
	contact uuid.UUID
	phone   string
}

// upsertWindows reopens the customer service window of every (contact,
// business number) that sent a message, and records Click-to-WhatsApp
// referrals. Times only move forward, so a late webhook changes nothing.
func upsertWindows(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, sightings []*sighting) error {
	type agg struct{ last, referral *time.Time }
	byKey := map[windowKey]*agg{}
	var order []windowKey
	for _, s := range sightings {
		if !s.inbound || s.phoneID == "" {
			continue
		}
		k := windowKey{s.contact.id, s.phoneID}
		a := byKey[k]
		if a == nil {
			a = &agg{}
			byKey[k] = a
			order = append(order, k)
		}
		at := s.at
		if a.last == nil || at.After(*a.last) {
			a.last = &at
		}
		if s.referral && (a.referral == nil || at.After(*a.referral)) {
			a.referral = &at
		}
	}
	if len(order) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(order))
	phones := make([]string, len(order))
	lasts := make([]time.Time, len(order))
	refs := make([]*time.Time, len(order))
	for i, k := range order {
		ids[i], phones[i], lasts[i], refs[i] = k.contact, clean(k.phone, maxIDLen), *byKey[k].last, byKey[k].referral
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO contact_windows AS w (tenant_id, contact_id, phone_number_id, last_inbound_at, referral_at)
		SELECT $1, t.contact_id, t.phone, t.last, t.referral
		FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS t(contact_id, phone, last, referral)
		ON CONFLICT (tenant_id, contact_id, phone_number_id) DO UPDATE SET
			last_inbound_at = greatest(w.last_inbound_at, excluded.last_inbound_at),
			referral_at = CASE WHEN excluded.referral_at > coalesce(w.referral_at, '-infinity')
				THEN excluded.referral_at ELSE w.referral_at END,
			fep_opened_at = CASE WHEN excluded.referral_at > coalesce(w.referral_at, '-infinity')
				AND w.fep_opened_at + interval '72 hours' <= excluded.referral_at
				THEN NULL ELSE w.fep_opened_at END`,
		tenantID, ids, phones, lasts, refs)
	if err != nil {
		return fmt.Errorf("optins: upsert windows: %w", err)
	}
	return nil
}

// statusLite is what free entry point tracking reads of a status.
type statusLite struct {
	Status          string              `json:"status"`
	Timestamp       webhooks.FlexInt    `json:"timestamp"`
	RecipientID     webhooks.FlexString `json:"recipient_id"`
	RecipientUserID string              `json:"recipient_user_id"`
}

// openFreeEntryPoints opens the 72-hour free entry point window of contacts
// whose referral the business answered within 24 hours: the first status of
// an outbound message to them from that number marks the reply. Only
// tenants with a referral waiting for its reply pay for decoding statuses.
func openFreeEntryPoints(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, values [][]byte, oldest time.Time) error {
	since := oldest.Add(-FreeEntryPointReply - 24*time.Hour)
	var waiting bool
	err := tx.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM contact_windows WHERE tenant_id = $1
			AND referral_at IS NOT NULL AND fep_opened_at IS NULL AND referral_at > $2)`,
		tenantID, since).Scan(&waiting)
	if err != nil {
		return fmt.Errorf("optins: look for waiting referrals: %w", err)
	}
	if !waiting {
		return nil
	}
	var was, bss, phones []string
	var ats []time.Time
	for _, raw := range values {
		var v struct {
			Metadata webhooks.Metadata `json:"metadata"`
			Statuses []statusLite      `json:"statuses"`
		}
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		for _, st := range v.Statuses {
			if st.Status == "failed" || st.Timestamp <= 0 {
				continue
			}
			wa, _ := ParseWaID(string(st.RecipientID))
			was, bss = append(was, wa), append(bss, st.RecipientUserID)
			phones = append(phones, string(v.Metadata.PhoneNumberID))
			ats = append(ats, webhooks.EventTime(st.Timestamp.Int64(), oldest))
		}
	}
	if len(ats) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `
		UPDATE contact_windows w SET fep_opened_at = m.at
		FROM (
			SELECT w2.contact_id, w2.phone_number_id, min(t.at) AS at
			FROM contact_windows w2
			JOIN contacts c ON c.tenant_id = $1 AND c.id = w2.contact_id
			JOIN unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS t(wa_id, bsuid, phone, at)
				ON t.phone = w2.phone_number_id AND ((t.wa_id <> '' AND t.wa_id = c.wa_id) OR (t.bsuid <> '' AND t.bsuid = c.bsuid))
			WHERE w2.tenant_id = $1 AND w2.referral_at IS NOT NULL AND w2.fep_opened_at IS NULL AND w2.referral_at > $6
				AND t.at >= w2.referral_at AND t.at < w2.referral_at + interval '24 hours'
			GROUP BY 1, 2
		) m
		WHERE w.tenant_id = $1 AND w.contact_id = m.contact_id AND w.phone_number_id = m.phone_number_id
			AND w.fep_opened_at IS NULL`,
		tenantID, was, bss, phones, ats, since)
	if err != nil {
		return fmt.Errorf("optins: open free entry points: %w", err)
	}
	return nil
}

// windowOf converts stored window times into a Window.
func windowOf(phone string, last time.Time, referral, fepOpened *time.Time) Window {
	w := Window{PhoneNumberID: phone, LastInboundAt: last.UTC(), ServiceWindowEnds: last.Add(ServiceWindow).UTC(), ReferralAt: referral}
	if fepOpened != nil {
		end := fepOpened.Add(FreeEntryPointWindow).UTC()
		w.FreeEntryPointEnds = &end
	}
	return w
}
