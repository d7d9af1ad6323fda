package webhooks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

const insertStatusesSQL = `
INSERT INTO message_statuses (tenant_id, wamid, status, event_time, received_at, phone_number_id,
    recipient_id, recipient_user_id, pricing_billable, pricing_model, pricing_type, pricing_category,
    pricing, conversation_id, conversation_origin, errors, biz_opaque_callback_data, archive_id, change_index)
SELECT $1, u.wamid, u.status, u.event_time, u.received_at, u.phone_number_id,
    u.recipient_id, u.recipient_user_id, u.billable, u.pricing_model, u.pricing_type, u.pricing_category,
    u.pricing::jsonb, u.conversation_id, u.conversation_origin, u.errors::jsonb, u.biz_opaque_callback_data,
    u.archive_id, u.change_index
FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
    $7::text[], $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[],
    $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::bigint[], $19::int[])
    AS u(wamid, status, event_time, received_at, phone_number_id, recipient_id, recipient_user_id,
         billable, pricing_model, pricing_type, pricing_category, pricing, conversation_id,
         conversation_origin, errors, biz_opaque_callback_data, archive_id, change_index)
ON CONFLICT (tenant_id, wamid, status) DO NOTHING`

// upsertStateSQL merges into message_state without ever lowering the rank;
// the WHERE skips rows that would not change, so re-applying writes nothing.
const upsertStateSQL = `
INSERT INTO message_state AS m (tenant_id, wamid, status, status_rank, status_at, phone_number_id,
    recipient_id, recipient_user_id, sent_at, delivered_at, read_at, played_at, failed_at,
    error_code, first_seen_at)
SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::int2[], $5::timestamptz[], $6::text[],
    $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[],
    $12::timestamptz[], $13::timestamptz[], $14::int[], $15::timestamptz[]) AS u
ON CONFLICT (tenant_id, wamid) DO UPDATE SET
    status            = CASE WHEN excluded.status_rank > m.status_rank THEN excluded.status ELSE m.status END,
    status_at         = CASE WHEN excluded.status_rank > m.status_rank THEN excluded.status_at ELSE m.status_at END,
    status_rank       = GREATEST(m.status_rank, excluded.status_rank),
    phone_number_id   = CASE WHEN m.phone_number_id = '' THEN excluded.phone_number_id ELSE m.phone_number_id END,
    recipient_id      = COALESCE(m.recipient_id, excluded.recipient_id),
    recipient_user_id = COALESCE(m.recipient_user_id, excluded.recipient_user_id),
    sent_at           = LEAST(m.sent_at, excluded.sent_at),
    delivered_at      = LEAST(m.delivered_at, excluded.delivered_at),
    read_at           = LEAST(m.read_at, excluded.read_at),
    played_at         = LEAST(m.played_at, excluded.played_at),
    failed_at         = LEAST(m.failed_at, excluded.failed_at),
    error_code        = COALESCE(m.error_code, excluded.error_code),
    first_seen_at     = LEAST(m.first_seen_at, excluded.first_seen_at),
    updated_at        = now()
WHERE excluded.status_rank > m.status_rank
   OR excluded.sent_at < m.sent_at OR (m.sent_at IS NULL AND excluded.sent_at IS NOT NULL)
   OR excluded.delivered_at < m.delivered_at OR (m.delivered_at IS NULL AND excluded.delivered_at IS NOT NULL)
   OR excluded.read_at < m.read_at OR (m.read_at IS NULL AND excluded.read_at IS NOT NULL)
   OR excluded.played_at < m.played_at OR (m.played_at IS NULL AND excluded.played_at IS NOT NULL)
   OR excluded.failed_at < m.failed_at OR (m.failed_at IS NULL AND excluded.failed_at IS NOT NULL)
   OR (m.recipient_user_id IS NULL AND excluded.recipient_user_id IS NOT NULL)`

const insertInboundSQL = `
INSERT INTO inbound_messages (tenant_id, wamid, phone_number_id, from_wa_id, from_user_id,
    from_parent_user_id, type, event_time, received_at, context_id, contact, payload, archive_id, change_index)
SELECT $1, u.wamid, u.phone_number_id, u.from_wa_id, u.from_user_id, u.from_parent_user_id, u.type,
    u.event_time, u.received_at, u.context_id, u.contact::jsonb, u.payload::jsonb, u.archive_id, u.change_index
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
    $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::int[])
    AS u(wamid, phone_number_id, from_wa_id, from_user_id, from_parent_user_id, type, event_time,
         received_at, context_id, contact, payload, archive_id, change_index)
ON CONFLICT (tenant_id, wamid) DO NOTHING`

const insertEventsSQL = `
INSERT INTO tenant_events (tenant_id, archive_id, change_index, sub_index, domain, field, event, subject,
    waba_id, phone_number_id, event_time, received_at, payload)
SELECT $1, u.archive_id, u.change_index, u.sub_index, u.domain, u.field, u.event, u.subject,
    u.waba_id, u.phone_number_id, u.event_time, u.received_at, u.payload::jsonb
FROM unnest($2::bigint[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[])
    AS u(archive_id, change_index, sub_index, domain, field, event, subject, waba_id, phone_number_id,
         event_time, received_at, payload)
ON CONFLICT (tenant_id, archive_id, change_index, sub_index) DO NOTHING`

// flush writes the set: one statement per table, one round trip. Rows go in
// key order so that concurrent applies touching the same keys lock them in
// the same order and cannot deadlock.
func (w *writeSet) flush(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	b := &pgx.Batch{}
	if len(w.statuses) > 0 {
		slices.SortStableFunc(w.statuses, func(a, b statusRow) int {
			return cmp.Or(cmp.Compare(a.wamid, b.wamid), cmp.Compare(a.status, b.status))
		})
		queueStatuses(b, tenantID, w.statuses)
		queueStates(b, tenantID, mergeStates(w.statuses))
	}
	if len(w.inbound) > 0 {
		slices.SortStableFunc(w.inbound, func(a, b inboundRow) int { return cmp.Compare(a.wamid, b.wamid) })
		queueInbound(b, tenantID, w.inbound)
	}
	if len(w.events) > 0 {
		slices.SortStableFunc(w.events, func(a, b eventRow) int {
			return cmp.Or(cmp.Compare(a.archiveID, b.archiveID), cmp.Compare(a.changeIndex, b.changeIndex), cmp.Compare(a.sub, b.sub))
		})
		queueEvents(b, tenantID, w.events)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write webhook rows: %w", err)
	}
	return nil
}

func queueStatuses(b *pgx.Batch, tenantID uuid.UUID, rows []statusRow) {
	n := len(rows)
	wamids, statuses, phones := make([]string, n), make([]string, n), make([]string, n)
	eventTimes, received := make([]pgtype.Timestamptz, n), make([]time.Time, n)
	recipients, recipientUsers := make([]pgtype.Text, n), make([]pgtype.Text, n)
	billable := make([]pgtype.Bool, n)
	models, types, categories, pricing := make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
	convIDs, convOrigins, errs := make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
	bizOpaque, archiveIDs, indexes := make([]pgtype.Text, n), make([]int64, n), make([]int32, n)
	for i, r := range rows {
		wamids[i], statuses[i], phones[i] = r.wamid, r.status, r.phoneID
		eventTimes[i], received[i] = r.eventTime, r.receivedAt
		recipients[i], recipientUsers[i], billable[i] = r.recipientID, r.recipientUser, r.billable
		models[i], types[i], categories[i], pricing[i] = r.pricingModel, r.pricingType, r.pricingCategory, r.pricingRaw
		convIDs[i], convOrigins[i], errs[i] = r.convID, r.convOrigin, r.errors
		bizOpaque[i], archiveIDs[i], indexes[i] = r.bizOpaque, r.archiveID, r.changeIndex
	}
	b.Queue(insertStatusesSQL, tenantID, wamids, statuses, eventTimes, received, phones, recipients, recipientUsers,
		billable, models, types, categories, pricing, convIDs, convOrigins, errs, bizOpaque, archiveIDs, indexes)
}

func queueStates(b *pgx.Batch, tenantID uuid.UUID, rows []stateRow) {
	n := len(rows)
	wamids, statuses, phones := make([]string, n), make([]string, n), make([]string, n)
	ranks, statusAt := make([]int16, n), make([]pgtype.Timestamptz, n)
	recipients, recipientUsers := make([]pgtype.Text, n), make([]pgtype.Text, n)
	var times [5][]pgtype.Timestamptz
	for k := range times {
		times[k] = make([]pgtype.Timestamptz, n)
	}
	codes, firstSeen := make([]pgtype.Int4, n), make([]time.Time, n)
	for i, r := range rows {
		wamids[i], statuses[i], ranks[i], statusAt[i], phones[i] = r.wamid, r.status, r.rank, r.statusAt, r.phoneID
		recipients[i], recipientUsers[i], codes[i], firstSeen[i] = r.recipientID, r.recipientUser, r.errorCode, r.firstSeen
		for k := range times {
			times[k][i] = r.times[k]
		}
	}
	b.Queue(upsertStateSQL, tenantID, wamids, statuses, ranks, statusAt, phones, recipients, recipientUsers,
		times[0], times[1], times[2], times[3], times[4], codes, firstSeen)
}

func queueInbound(b *pgx.Batch, tenantID uuid.UUID, rows []inboundRow) {
	n := len(rows)
	wamids, phones, types := make([]string, n), make([]string, n), make([]string, n)
	fromWa, fromUser, fromParent := make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
	eventTimes, received := make([]pgtype.Timestamptz, n), make([]time.Time, n)
	contexts, contacts, payloads := make([]pgtype.Text, n), make([]pgtype.Text, n), make([]string, n)
	archiveIDs, indexes := make([]int64, n), make([]int32, n)
	for i, r := range rows {
		wamids[i], phones[i], types[i] = r.wamid, r.phoneID, r.msgType
		fromWa[i], fromUser[i], fromParent[i] = r.fromWaID, r.fromUser, r.fromPUser
		eventTimes[i], received[i] = r.eventTime, r.receivedAt
		contexts[i], contacts[i], payloads[i] = r.contextID, r.contact, r.payload
		archiveIDs[i], indexes[i] = r.archiveID, r.changeIndex
	}
	b.Queue(insertInboundSQL, tenantID, wamids, phones, fromWa, fromUser, fromParent, types, eventTimes,
		received, contexts, contacts, payloads, archiveIDs, indexes)
}

func queueEvents(b *pgx.Batch, tenantID uuid.UUID, rows []eventRow) {
	n := len(rows)
	archiveIDs, indexes, subs := make([]int64, n), make([]int32, n), make([]int32, n)
	domains, fields, events, subjects := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	wabas, phones, payloads := make([]string, n), make([]string, n), make([]string, n)
	eventTimes, received := make([]pgtype.Timestamptz, n), make([]time.Time, n)
	for i, r := range rows {
		archiveIDs[i], indexes[i], subs[i] = r.archiveID, r.changeIndex, r.sub
		domains[i], fields[i], events[i], subjects[i] = r.domain, r.field, r.event, r.subject
		wabas[i], phones[i], payloads[i] = r.wabaID, r.phoneID, r.payload
		eventTimes[i], received[i] = r.eventTime, r.receivedAt
	}
	b.Queue(insertEventsSQL, tenantID, archiveIDs, indexes, subs, domains, fields, events, subjects,
		wabas, phones, eventTimes, received, payloads)
}
