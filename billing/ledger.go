package billing

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/wabsp/wabsp/webhooks"
)

// statusObs is what one status webhook tells billing about a message.
type statusObs struct {
	wamid, status     string
	phoneID           string
	recipient, userID string
	at, receivedAt    time.Time
	pricing           *pricingObs
	errorCode         int32
	hasErrorCode      bool
}

// pricingObs is a pricing object and the rank of the status it rode on:
// 1 sent (provisional), 2 delivered or read (what Meta bills).
type pricingObs struct {
	rank                 int16
	billable             *bool
	model, typ, category string
}

// inboundObs is an inbound user message.
type inboundObs struct {
	wamid, phoneID, sender string
	at                     time.Time
	referral               bool
}

type statusIn struct {
	ID              string              `json:"id"`
	Status          string              `json:"status"`
	Timestamp       webhooks.FlexInt    `json:"timestamp"`
	RecipientID     webhooks.FlexString `json:"recipient_id"`
	RecipientUserID string              `json:"recipient_user_id"`
	Pricing         json.RawMessage     `json:"pricing"`
	Errors          json.RawMessage     `json:"errors"`
}

type pricingIn struct {
	Billable     *bool  `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type"`
	Category     string `json:"category"`
}

type messageIn struct {
	ID         string              `json:"id"`
	From       webhooks.FlexString `json:"from"`
	FromUserID string              `json:"from_user_id"`
	Timestamp  webhooks.FlexInt    `json:"timestamp"`
	Type       string              `json:"type"`
	Referral   json.RawMessage     `json:"referral"`
	System     json.RawMessage     `json:"system"`
}

// valueIn is a messages value decoded in one pass, the common case.
type valueIn struct {
	Metadata struct {
		PhoneNumberID webhooks.FlexString `json:"phone_number_id"`
	} `json:"metadata"`
	Messages []messageIn `json:"messages"`
	Statuses []statusIn  `json:"statuses"`
}

// valueParts is the fallback when one element has an odd shape: elements
// are decoded one by one and the odd ones skipped.
type valueParts struct {
	Metadata struct {
		PhoneNumberID webhooks.FlexString `json:"phone_number_id"`
	} `json:"metadata"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
}

// decodeValue decodes a messages value, element by element when the whole
// does not decode.
func decodeValue(raw []byte) (valueIn, bool) {
	var v valueIn
	if json.Unmarshal(raw, &v) == nil {
		return v, true
	}
	var parts valueParts
	if json.Unmarshal(raw, &parts) != nil {
		return valueIn{}, false
	}
	v = valueIn{Metadata: parts.Metadata}
	for _, r := range parts.Statuses {
		var st statusIn
		if json.Unmarshal(r, &st) == nil {
			v.Statuses = append(v.Statuses, st)
		}
	}
	for _, r := range parts.Messages {
		var m messageIn
		if json.Unmarshal(r, &m) == nil {
			v.Messages = append(v.Messages, m)
		}
	}
	return v, true
}

// observations collects what billing needs from messages changes. Elements
// that do not decode are skipped here: the default handler files them.
type observations struct {
	statuses []statusObs
	inbound  []inboundObs
}

func (o *observations) add(c webhooks.Change) {
	v, ok := decodeValue(c.Value)
	if !ok {
		return
	}
	phoneID := c.PhoneNumberID
	if phoneID == "" {
		phoneID = string(v.Metadata.PhoneNumberID)
	}
	for _, st := range v.Statuses {
		if st.ID != "" {
			o.statuses = append(o.statuses, statusOf(c, phoneID, st))
		}
	}
	for _, m := range v.Messages {
		if m.ID == "" || m.Type == "system" || present(m.System) {
			continue
		}
		sender := string(m.From)
		if sender == "" {
			sender = m.FromUserID
		}
		o.inbound = append(o.inbound, inboundObs{
			wamid: m.ID, phoneID: phoneID, sender: sender,
			at: eventTime(m.Timestamp, c.ReceivedAt), referral: present(m.Referral),
		})
	}
}

// statusOf reads one status. A pricing object of an odd shape is treated
// as absent: the message is counted, not billed, and the raw object stays in
// message_statuses.
func statusOf(c webhooks.Change, phoneID string, st statusIn) statusObs {
	s := statusObs{
		wamid: st.ID, status: strings.ToLower(st.Status), phoneID: phoneID,
		recipient: string(st.RecipientID), userID: st.RecipientUserID,
		at: eventTime(st.Timestamp, c.ReceivedAt), receivedAt: c.ReceivedAt,
	}
	if present(st.Pricing) {
		var p pricingIn
		if json.Unmarshal(st.Pricing, &p) == nil {
			rank := int16(1)
			if s.status == "delivered" || s.status == "read" {
				rank = 2
			}
			s.pricing = &pricingObs{rank: rank, billable: p.Billable, model: p.PricingModel, typ: p.Type, category: p.Category}
		}
	}
	if present(st.Errors) {
		var errs []struct {
			Code webhooks.FlexInt `json:"code"`
		}
		if json.Unmarshal(st.Errors, &errs) == nil && len(errs) > 0 && errs[0].Code > 0 && errs[0].Code < 1<<31 {
			s.errorCode, s.hasErrorCode = int32(errs[0].Code), true
		}
	}
	return s
}

// eventTime is Meta's unix timestamp, or the receipt time when the status
// carries none that could be real.
func eventTime(sec webhooks.FlexInt, received time.Time) time.Time {
	if s := sec.Int64(); s >= 946_684_800 && s <= 95_617_584_000 {
		return time.Unix(s, 0).UTC()
	}
	return received.UTC()
}

func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
