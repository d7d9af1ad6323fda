package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Change is one changes[] element with its tenant-independent context. It is
// JSON-serialisable so it can travel in a queue payload.
type Change struct {
	ArchiveID int64 `json:"archive_id"`
	// Index is the change's position in its body, counted across entries; with
	// ArchiveID it identifies the change for good.
	Index   int    `json:"index"`
	Field   string `json:"field"`
	EntryID string `json:"entry_id"`
	// EntryTime is entry.time in unix seconds, 0 when absent.
	EntryTime int64 `json:"entry_time,omitempty"`
	// WABAID and PhoneNumberID are the ids routing settled on; either may be
	// empty when the payload does not say.
	WABAID        string          `json:"waba_id,omitempty"`
	PhoneNumberID string          `json:"phone_number_id,omitempty"`
	ReceivedAt    time.Time       `json:"received_at"`
	Value         json.RawMessage `json:"value"`

	decoded *DecodedMessages // set by Apply for messages changes; see Messages
}

// TenantBatch is the changes that belong to one tenant.
type TenantBatch struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Changes  []Change  `json:"changes"`
}

// valueHints are the few keys of a value that say who it belongs to.
type valueHints struct {
	Metadata *struct {
		PhoneNumberID FlexString `json:"phone_number_id"`
	} `json:"metadata"`
	WABAInfo *struct {
		WABAID FlexString `json:"waba_id"`
	} `json:"waba_info"`
	DisplayPhoneNumber FlexString `json:"display_phone_number"`
}

// keyOf reads the routing key of a change: metadata.phone_number_id when the
// value has metadata (messages, user_preferences, ...); waba_info.waba_id
// when present (partner account_update events, whose entry.id is a business
// portfolio), else entry.id, as the WABA; display digits for the fields that
// name their number no other way.
func keyOf(entryID string, value json.RawMessage) routeKey {
	var h valueHints
	// A value whose hint keys have an odd shape still routes by entry.id;
	// whatever did decode is used.
	_ = json.Unmarshal(value, &h)
	k := routeKey{WABAID: entryID, Digits: digitsOf(string(h.DisplayPhoneNumber))}
	if h.Metadata != nil {
		k.PhoneNumberID = string(h.Metadata.PhoneNumberID)
	}
	if h.WABAInfo != nil && h.WABAInfo.WABAID != "" {
		k.WABAID = string(h.WABAInfo.WABAID)
	}
	return k
}

type pendingChange struct {
	change Change
	key    routeKey
}

// Route splits the archived bodies into changes, resolves each change's
// tenant and returns them grouped per tenant, tenants in order of first
// appearance and changes in body order. Changes nobody owns yet are stored as
// orphans (see AdoptOrphans) and not returned. Bodies read back from the
// archive that no longer decode are skipped; ones that now decode leave the
// poison state.
func (s *Service) Route(ctx context.Context, archived []Archived) ([]TenantBatch, error) {
	pending, healed := s.split(archived)
	if len(pending) == 0 && len(healed) == 0 {
		return nil, nil
	}
	keys := make([]routeKey, len(pending))
	for i, p := range pending {
		keys[i] = p.key
	}
	l, err := s.resolver.lookup(ctx, keys, false)
	if err != nil {
		return nil, err
	}
	var batches []TenantBatch
	pos := map[uuid.UUID]int{}
	var orphans []pendingChange
	for _, p := range pending {
		t, ok := l.resolve(p.key)
		if !ok {
			orphans = append(orphans, p)
			continue
		}
		c := p.change
		c.WABAID, c.PhoneNumberID = t.WABAID, t.PhoneID
		i, seen := pos[t.Tenant]
		if !seen {
			i = len(batches)
			pos[t.Tenant] = i
			batches = append(batches, TenantBatch{TenantID: t.Tenant})
		}
		batches[i].Changes = append(batches[i].Changes, c)
	}
	if err := s.recordRoutes(ctx, batches, orphans, healed); err != nil {
		return nil, err
	}
	return batches, nil
}

// split flattens bodies into changes. healed lists bodies read back from the
// archive (replays) that decode, so a former poison body can be reopened.
func (s *Service) split(archived []Archived) (pending []pendingChange, healed []int64) {
	for _, a := range archived {
		env := a.env
		if env == nil {
			var err error
			if env, err = DecodeEnvelope(a.Raw); err != nil {
				s.log.Warn("archived webhook still does not decode", "archive_id", a.ID, "err", err.Error())
				continue
			}
			healed = append(healed, a.ID)
		}
		index := 0
		for _, e := range env.Entry {
			entryID := clean(string(e.ID))
			for _, ch := range e.Changes {
				pending = append(pending, pendingChange{
					change: Change{
						ArchiveID: a.ID, Index: index, Field: clean(ch.Field), EntryID: entryID,
						EntryTime: int64(e.Time), ReceivedAt: a.ReceivedAt, Value: ch.Value,
					},
					key: keyOf(entryID, ch.Value),
				})
				index++
			}
		}
	}
	return pending, healed
}

const (
	insertOrphansSQL = `
INSERT INTO webhook_orphans (archive_id, change_index, field, entry_id, entry_time, waba_id,
    phone_number_id, display_digits, value, received_at)
SELECT u.archive_id, u.change_index, u.field, u.entry_id, u.entry_time, u.waba_id,
    u.phone_number_id, u.display_digits, u.value::jsonb, u.received_at
FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::timestamptz[])
    AS u(archive_id, change_index, field, entry_id, entry_time, waba_id, phone_number_id, display_digits, value, received_at)
ORDER BY 1, 2
ON CONFLICT (archive_id, change_index) DO NOTHING`
	insertRoutesSQL = `
INSERT INTO webhook_routes (tenant_id, archive_id)
SELECT * FROM unnest($1::uuid[], $2::bigint[]) ORDER BY 1, 2
ON CONFLICT DO NOTHING`
	reopenPoisonSQL = `
UPDATE webhook_archive SET error = NULL WHERE id = ANY($1) AND error IS NOT NULL`
)

// recordRoutes stores orphans and which tenants each body reached, in one
// round trip. Both inserts are idempotent, so a retried Route is harmless.
func (s *Service) recordRoutes(ctx context.Context, batches []TenantBatch, orphans []pendingChange, healed []int64) error {
	b := &pgx.Batch{}
	if len(orphans) > 0 {
		queueOrphans(b, orphans)
	}
	var tenants []uuid.UUID
	var archives []int64
	for _, tb := range batches {
		seen := map[int64]bool{}
		for _, c := range tb.Changes {
			if !seen[c.ArchiveID] {
				seen[c.ArchiveID] = true
				tenants, archives = append(tenants, tb.TenantID), append(archives, c.ArchiveID)
			}
		}
	}
	if len(tenants) > 0 {
		b.Queue(insertRoutesSQL, tenants, archives)
	}
	if len(healed) > 0 {
		b.Queue(reopenPoisonSQL, healed)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("webhooks: record routes: %w", err)
	}
	if len(orphans) > 0 {
		s.metrics.orphans.WithLabelValues("stored").Add(float64(len(orphans)))
		o := orphans[0]
		s.log.Info("webhook changes have no tenant yet", "count", len(orphans), "first_archive_id", o.change.ArchiveID,
			"field", o.change.Field, "waba_id", o.key.WABAID, "phone_number_id", o.key.PhoneNumberID, "digits", o.key.Digits)
	}
	return nil
}

func queueOrphans(b *pgx.Batch, orphans []pendingChange) {
	n := len(orphans)
	archiveIDs, indexes, entryTimes := make([]int64, n), make([]int32, n), make([]int64, n)
	fields, entryIDs, wabas, phones, digits := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	values, received := make([]string, n), make([]time.Time, n)
	for i, o := range orphans {
		c := o.change
		archiveIDs[i], indexes[i], entryTimes[i] = c.ArchiveID, int32(c.Index), c.EntryTime
		fields[i], entryIDs[i] = c.Field, c.EntryID
		wabas[i], phones[i], digits[i] = clean(o.key.WABAID), clean(o.key.PhoneNumberID), o.key.Digits
		values[i], received[i] = string(jsonbSafe(c.Value)), c.ReceivedAt
	}
	b.Queue(insertOrphansSQL, archiveIDs, indexes, fields, entryIDs, entryTimes, wabas, phones, digits, values, received)
}
