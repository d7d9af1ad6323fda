package webhooks

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// statusRow is one message_statuses row.
type statusRow struct {
	wamid, status               string
	eventTime                   pgtype.Timestamptz
	receivedAt                  time.Time
	phoneID                     string
	recipientID, recipientUser  pgtype.Text
	billable                    pgtype.Bool
	pricingModel, pricingType   pgtype.Text
	pricingCategory, pricingRaw pgtype.Text
	convID, convOrigin          pgtype.Text
	errors                      pgtype.Text
	errorCode                   pgtype.Int4
	bizOpaque                   pgtype.Text
	archiveID                   int64
	changeIndex                 int32
}

func (w *writeSet) statusRow(c Change, phoneID string, st *StatusEvent) statusRow {
	r := statusRow{
		wamid: clean(st.ID), status: clean(st.Status),
		eventTime: unixTime(st.Timestamp.Int64()), receivedAt: c.ReceivedAt, phoneID: clean(phoneID),
		recipientID: text(string(st.RecipientID)), recipientUser: text(st.RecipientUserID),
		bizOpaque: text(st.BizOpaqueCallbackData), archiveID: c.ArchiveID, changeIndex: int32(c.Index),
	}
	w.check(c.Field, "status", st.Status, knownStatuses)
	if present(st.Pricing) {
		if !st.PricingPlain {
			// Keys the columns do not have, or an odd shape: keep the object.
			r.pricingRaw = rawText(st.Pricing)
		}
		if p := st.Priced; p == nil {
			w.unknown(c.Field, "pricing_shape")
		} else {
			if p.Billable != nil {
				r.billable = pgtype.Bool{Bool: *p.Billable, Valid: true}
			}
			r.pricingModel, r.pricingType, r.pricingCategory = text(p.PricingModel), text(p.Type), text(p.Category)
			w.check(c.Field, "pricing_model", p.PricingModel, knownPricingModels)
			w.check(c.Field, "pricing_type", p.Type, knownPricingTypes)
			w.check(c.Field, "pricing_category", p.Category, knownPricingCategory)
		}
	}
	if cv := st.Conversation; cv != nil {
		r.convID, r.convOrigin = text(cv.ID), text(cv.Origin.Type)
		w.check(c.Field, "conversation_origin", cv.Origin.Type, knownConversationType)
	}
	if present(st.Errors) {
		r.errors = rawText(st.Errors)
		if st.ErrorCode > 0 {
			r.errorCode = pgtype.Int4{Int32: st.ErrorCode, Valid: true}
		}
	}
	return r
}

// inboundRow is one inbound_messages row.
type inboundRow struct {
	wamid, phoneID, msgType       string
	fromWaID, fromUser, fromPUser pgtype.Text
	eventTime                     pgtype.Timestamptz
	receivedAt                    time.Time
	contextID, contact            pgtype.Text
	payload                       string
	archiveID                     int64
	changeIndex                   int32
}

func (w *writeSet) inboundRow(c Change, phoneID string, m Message, contacts []Contact) inboundRow {
	r := inboundRow{
		wamid: clean(m.ID), phoneID: clean(phoneID), msgType: clean(m.Type),
		fromWaID: text(string(m.From)), fromUser: text(m.FromUserID), fromPUser: text(m.FromParentUserID),
		eventTime: unixTime(m.Timestamp.Int64()), receivedAt: c.ReceivedAt,
		payload: string(jsonbSafe(m.Raw)), archiveID: c.ArchiveID, changeIndex: int32(c.Index),
	}
	w.check(c.Field, "message_type", m.Type, knownMessageTypes)
	if m.Context != nil {
		r.contextID = text(m.Context.ID)
	}
	if ct := contactOf(m, contacts); ct != nil {
		r.contact = rawText(ct.Raw)
	}
	return r
}

// contactOf finds the contacts[] element describing a message's sender: by
// wa_id, else by BSUID, else the only one there is.
func contactOf(m Message, contacts []Contact) *Contact {
	for i := range contacts {
		c := &contacts[i]
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c
		}
	}
	if len(contacts) == 1 {
		return &contacts[0]
	}
	return nil
}
