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
    pricing, conversation_id, conversation_origin, errors, error_code, biz_opaque_callback_data, archive_id,
    change_index, occurred_at)
SELECT $1, u.wamid, u.status, u.event_time, u.received_at, u.phone_number_id,
    u.recipient_id, u.recipient_user_id, u.billable, u.pricing_model, u.pricing_type, u.pricing_category,
    u.pricing::jsonb, u.conversation_id, u.conversation_origin, u.errors::jsonb, u.error_code,
    u.biz_opaque_callback_data, u.archive_id, u.change_index, coalesce(u.event_time, u.received_at)
FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
    $7::text[], $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[],
    $13::text[], $14::text[], $15::text[], $16::text[], $17::int[], $18::text[], $19::bigint[], $20::int[])
    AS u(wamid, status, event_time, received_at, phone_number_id, recipient_id, recipient_user_id,
         billable, pricing_model, pricing_type, pricing_category, pricing, conversation_id,
         conversation_origin, errors, error_code, biz_opaque_callback_data, archive_id, change_index)
ON CONFLICT (tenant_id, wamid, status, occurred_at) DO NOTHING`

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
	codes := make([]pgtype.Int4, n)
	bizOpaque, archiveIDs, indexes := make([]pgtype.Text, n), make([]int64, n), make([]int32, n)
	for i, r := range rows {
		wamids[i], statuses[i], phones[i] = r.wamid, r.status, r.phoneID
		eventTimes[i], received[i] = r.eventTime, r.receivedAt
		recipients[i], recipientUsers[i], billable[i] = r.recipientID, r.recipientUser, r.billable
		models[i], types[i], categories[i], pricing[i] = r.pricingModel, r.pricingType, r.pricingCategory, r.pricingRaw
		convIDs[i], convOrigins[i], errs[i], codes[i] = r.convID, r.convOrigin, r.errors, r.errorCode
		bizOpaque[i], archiveIDs[i], indexes[i] = r.bizOpaque, r.archiveID, r.changeIndex
	}
	b.Queue(insertStatusesSQL, tenantID, wamids, statuses, eventTimes, received, phones, recipients, recipientUsers,
		billable, models, types, categories, pricing, convIDs, convOrigins, errs, codes, bizOpaque, archiveIDs, indexes)
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
