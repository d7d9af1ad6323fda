package optins

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
)

// Bounds of evidence fields.
const (
	maxNoticeLen = 4000
	maxURLLen    = 2000
	maxUALen     = 1000
	maxTextLen   = 4000
	maxIDLen     = 256
)

// newEntry is a ledger entry before it is appended.
type newEntry struct {
	contactID   uuid.UUID
	waID, bsuid string
	purpose     Purpose
	action      Action
	source      Source
	ev          Evidence
	phoneID     string
	actor       string
	at          time.Time
	dedupe      string
	emit        bool
}

// cleanEvidence bounds every evidence field; ip must already be valid.
func cleanEvidence(e Evidence) Evidence {
	return Evidence{
		NoticeText: clean(e.NoticeText, maxNoticeLen), URL: clean(e.URL, maxURLLen), IP: e.IP,
		UserAgent: clean(e.UserAgent, maxUALen), MessageID: clean(e.MessageID, maxIDLen),
		MessageText: clean(e.MessageText, maxTextLen), Note: clean(e.Note, maxNoticeLen),
	}
}

// appendEntries appends entries, skipping those whose dedupe key was used,
// moves the projection and emits optin.changed for the appended entries that
// ask for it. It returns the appended entries in input order.
func appendEntries(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entries []newEntry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	n := len(entries)
	var (
		contacts                           = make([]uuid.UUID, n)
		waIDs, bsuids                      = make([]*string, n), make([]*string, n)
		purposes, actions, sources, actors = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		notices, urls, ips, uas            = make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		msgIDs, msgTexts, notes, phones    = make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		dedupes                            = make([]*string, n)
		ats                                = make([]time.Time, n)
		ords                               = make([]int32, n)
	)
	for i := range entries {
		// Postgres keeps microseconds; the entries returned must say what
		// was stored.
		entries[i].at = entries[i].at.UTC().Truncate(time.Microsecond)
		e := entries[i]
		ev := cleanEvidence(e.ev)
		contacts[i], waIDs[i], bsuids[i] = e.contactID, ptr(e.waID), ptr(e.bsuid)
		purposes[i], actions[i], sources[i], actors[i] = string(e.purpose), string(e.action), string(e.source), e.actor
		notices[i], urls[i], ips[i], uas[i] = ptr(ev.NoticeText), ptr(ev.URL), ptr(ev.IP), ptr(ev.UserAgent)
		msgIDs[i], msgTexts[i], notes[i], phones[i] = ptr(ev.MessageID), ptr(ev.MessageText), ptr(ev.Note), ptr(clean(e.phoneID, maxIDLen))
		dedupes[i], ats[i], ords[i] = ptr(e.dedupe), e.at, int32(i)
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO consent_ledger (tenant_id, contact_id, wa_id, bsuid, purpose, action, source, notice_text,
			evidence_url, evidence_ip, evidence_user_agent, message_id, message_text, evidence_note,
			phone_number_id, actor, occurred_at, dedupe_key)
		SELECT $1, t.contact_id, t.wa_id, t.bsuid, t.purpose, t.action, t.source, t.notice, t.url, t.ip::inet,
			t.ua, t.msg_id, t.msg_text, t.note, t.phone, t.actor, t.at, t.dedupe
		FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
			$10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
			$17::timestamptz[], $18::text[], $19::int[])
			AS t(contact_id, wa_id, bsuid, purpose, action, source, notice, url, ip, ua, msg_id, msg_text, note,
				phone, actor, at, dedupe, ord)
		ORDER BY t.ord
		ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
		RETURNING id, contact_id, coalesce(dedupe_key, ''), recorded_at, occurred_at, purpose, action, source`,
		tenantID, contacts, waIDs, bsuids, purposes, actions, sources, notices, urls, ips, uas, msgIDs, msgTexts,
		notes, phones, actors, ats, dedupes, ords)
	if err != nil {
		return nil, fmt.Errorf("optins: append ledger: %w", err)
	}
	type appended struct {
		id         int64
		contact    uuid.UUID
		dedupe     string
		recordedAt time.Time
		occurredAt time.Time
		purpose    string
		action     string
		source     string
	}
	var got []appended
	for rows.Next() {
		var a appended
		if err := rows.Scan(&a.id, &a.contact, &a.dedupe, &a.recordedAt, &a.occurredAt, &a.purpose, &a.action, &a.source); err != nil {
			rows.Close()
			return nil, fmt.Errorf("optins: append ledger: %w", err)
		}
		got = append(got, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("optins: append ledger: %w", err)
	}
	// RETURNING follows the insertion order, which is the input order minus
	// the entries whose dedupe key was used before; skip those.
	out := make([]Entry, 0, len(got))
	j := 0
	for _, a := range got {
		for j < n && entries[j].dedupe != a.dedupe {
			j++
		}
		if j == n {
			return nil, fmt.Errorf("optins: append ledger: returned rows out of order")
		}
		e := entries[j]
		out = append(out, Entry{
			ID: a.id, ContactID: e.contactID, WaID: e.waID, BSUID: e.bsuid, Purpose: e.purpose, Action: e.action,
			Source: e.source, Evidence: cleanEvidence(e.ev), PhoneNumberID: e.phoneID, Actor: e.actor,
			OccurredAt: a.occurredAt, RecordedAt: a.recordedAt,
		})
		if e.emit {
			if err := emitChanged(ctx, tx, tenantID, out[len(out)-1]); err != nil {
				return nil, err
			}
		}
		j++
	}
	if err := project(ctx, tx, tenantID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// project moves the projection to the entries that are newer, by (event
// time, id), than what it holds per contact, purpose and track.
func project(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	contacts := make([]uuid.UUID, n)
	purposes, tracks, actions, sources := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ats, ids := make([]time.Time, n), make([]int64, n)
	for i, e := range entries {
		contacts[i], purposes[i], tracks[i] = e.ContactID, string(e.Purpose), e.Source.track()
		actions[i], sources[i], ats[i], ids[i] = string(e.Action), string(e.Source), e.OccurredAt, e.ID
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO consent_state (tenant_id, contact_id, purpose, track, action, source, occurred_at, entry_id)
		SELECT DISTINCT ON (contact_id, purpose, track) $1, contact_id, purpose, track, action, source, at, id
		FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::bigint[])
			AS t(contact_id, purpose, track, action, source, at, id)
		ORDER BY contact_id, purpose, track, at DESC, id DESC
		ON CONFLICT (tenant_id, contact_id, purpose, track) DO UPDATE
		SET action = excluded.action, source = excluded.source, occurred_at = excluded.occurred_at,
			entry_id = excluded.entry_id
		WHERE (excluded.occurred_at, excluded.entry_id) > (consent_state.occurred_at, consent_state.entry_id)`,
		tenantID, contacts, purposes, tracks, actions, sources, ats, ids)
	if err != nil {
		return fmt.Errorf("optins: project consent: %w", err)
	}
	return nil
}

// ChangedEvent is the data of an optin.changed event.
type ChangedEvent struct {
	EntryID       int64     `json:"entry_id"`
	ContactID     uuid.UUID `json:"contact_id"`
	WaID          string    `json:"wa_id,omitempty"`
	BSUID         string    `json:"bsuid,omitempty"`
	Purpose       Purpose   `json:"purpose"`
	Action        Action    `json:"action"`
	Source        Source    `json:"source"`
	PhoneNumberID string    `json:"phone_number_id,omitempty"`
	MessageID     string    `json:"message_id,omitempty"`
	OccurredAt    time.Time `json:"occurred_at"`
}

func emitChanged(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, e Entry) error {
	_, err := events.Emit(ctx, tx, events.Event{
		TenantID: tenantID, Type: events.OptinChanged, Subject: e.ContactID.String(), OccurredAt: e.OccurredAt,
		DedupeKey: fmt.Sprintf("optin:%d", e.ID),
		Data: ChangedEvent{
			EntryID: e.ID, ContactID: e.ContactID, WaID: e.WaID, BSUID: e.BSUID, Purpose: e.Purpose,
			Action: e.Action, Source: e.Source, PhoneNumberID: e.PhoneNumberID, MessageID: e.Evidence.MessageID,
			OccurredAt: e.OccurredAt,
		},
	})
	return err
}

// validIP returns the canonical form of an IP address, ok false when s is
// not one.
func validIP(s string) (string, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return a.Unmap().String(), true
}
