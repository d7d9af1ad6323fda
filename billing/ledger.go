package billing

import (
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

// observations collects what billing needs from messages changes. Elements
// that do not decode are skipped here: the default handler files them.
type observations struct {
	statuses []statusObs
	inbound  []inboundObs
}

func (o *observations) add(c webhooks.Change) {
	v := c.Messages()
	if v.Err != nil {
		return
	}
	phoneID := c.PhoneNumberID
	if phoneID == "" {
		phoneID = string(v.Metadata.PhoneNumberID)
	}
	for i := range v.Statuses {
		if st := &v.Statuses[i]; st.ID != "" {
			o.statuses = append(o.statuses, statusOf(c, phoneID, st))
		}
	}
	for _, m := range v.Messages {
		if m.ID == "" || m.Type == "system" || m.System != nil {
			continue
		}
		sender := string(m.From)
		if sender == "" {
			sender = m.FromUserID
		}
		o.inbound = append(o.inbound, inboundObs{
			wamid: m.ID, phoneID: phoneID, sender: sender,
			at: webhooks.EventTime(m.Timestamp.Int64(), c.ReceivedAt), referral: m.Referral != nil,
		})
	}
}

// statusOf reads one status. A pricing object of an odd shape is treated
// as absent: the message is counted, not billed, and the raw object stays in
// message_statuses.
func statusOf(c webhooks.Change, phoneID string, st *webhooks.StatusEvent) statusObs {
	s := statusObs{
		wamid: st.ID, status: strings.ToLower(st.Status), phoneID: phoneID,
		recipient: string(st.RecipientID), userID: st.RecipientUserID,
		at: webhooks.EventTime(st.Timestamp.Int64(), c.ReceivedAt), receivedAt: c.ReceivedAt,
	}
	if p := st.Priced; p != nil {
		rank := int16(1)
		if s.status == "delivered" || s.status == "read" {
			rank = 2
		}
		s.pricing = &pricingObs{rank: rank, billable: p.Billable, model: p.PricingModel, typ: p.Type, category: p.Category}
	}
	if st.ErrorCode > 0 {
		s.errorCode, s.hasErrorCode = st.ErrorCode, true
	}
	return s
}
