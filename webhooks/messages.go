package webhooks

import (
	"encoding/json"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// statusRow is one message_statuses row.
type statusRow struct {
	wamid, status               string
	rank                        int16
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

func (w *writeSet) statusRow(c Change, phoneID string, st statusIn) statusRow {
	r := statusRow{
		wamid: clean(st.ID), status: clean(st.Status), rank: statusRank(st.Status),
		eventTime: unixTime(st.Timestamp.Int64()), receivedAt: c.ReceivedAt, phoneID: clean(phoneID),
		recipientID: text(string(st.RecipientID)), recipientUser: text(st.RecipientUserID),
		bizOpaque: text(st.BizOpaqueCallbackData), archiveID: c.ArchiveID, changeIndex: int32(c.Index),
	}
	w.check(c.Field, "status", st.Status, knownStatuses)
	if present(st.Pricing) {
		r.pricingRaw = rawText(st.Pricing)
		var p Pricing
		if err := json.Unmarshal(st.Pricing, (*plainPricing)(&p)); err != nil {
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
		var errs []struct {
			Code FlexInt `json:"code"`
		}
		_ = json.Unmarshal(st.Errors, &errs) // the raw errors are kept either way
		if len(errs) > 0 && errs[0].Code > 0 && errs[0].Code <= math.MaxInt32 {
			r.errorCode = pgtype.Int4{Int32: int32(errs[0].Code), Valid: true}
		}
	}
	return r
}

// plainPricing decodes pricing without keeping another copy of its bytes.
type plainPricing Pricing

// present reports whether a raw JSON value is there and not null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
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

// stateRow is the merge of one message's statuses within an Apply.
type stateRow struct {
	wamid, status string
	rank          int16
	statusAt      pgtype.Timestamptz
	phoneID       string
	recipientID   pgtype.Text
	recipientUser pgtype.Text
	times         [5]pgtype.Timestamptz // sent, delivered, read, played, failed
	errorCode     pgtype.Int4
	firstSeen     time.Time
}

// mergeStates folds statuses (sorted by wamid) into one state row per
// message. The fold is order-independent, so it agrees with the upsert that
// merges the rows into what is already stored.
func mergeStates(statuses []statusRow) []stateRow {
	var out []stateRow
	for _, s := range statuses {
		if len(out) == 0 || out[len(out)-1].wamid != s.wamid {
			out = append(out, stateRow{wamid: s.wamid, status: s.status, rank: s.rank, statusAt: s.eventTime,
				phoneID: s.phoneID, firstSeen: s.receivedAt})
		}
		st := &out[len(out)-1]
		if s.rank > st.rank {
			st.status, st.rank, st.statusAt = s.status, s.rank, s.eventTime
		}
		if st.phoneID == "" {
			st.phoneID = s.phoneID
		}
		if !st.recipientID.Valid {
			st.recipientID = s.recipientID
		}
		if !st.recipientUser.Valid {
			st.recipientUser = s.recipientUser
		}
		if !st.errorCode.Valid {
			st.errorCode = s.errorCode
		}
		if s.receivedAt.Before(st.firstSeen) {
			st.firstSeen = s.receivedAt
		}
		if s.rank > 0 {
			// Without Meta's time the receipt time still records that the
			// status happened.
			at := s.eventTime
			if !at.Valid {
				at = pgtype.Timestamptz{Time: s.receivedAt, Valid: true}
			}
			if slot := &st.times[s.rank-1]; !slot.Valid || at.Time.Before(slot.Time) {
				*slot = at
			}
		}
	}
	return out
}
