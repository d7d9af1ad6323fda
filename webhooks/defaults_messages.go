package webhooks

import (
	"encoding/json"
	"strconv"
)

// statusIn is what the default handler reads of a status. Pricing and errors
// stay raw for their jsonb columns and are decoded on their own, so an odd
// pricing object costs its typed columns, not the status.
type statusIn struct {
	ID                    string          `json:"id"`
	Status                string          `json:"status"`
	Timestamp             FlexInt         `json:"timestamp"`
	RecipientID           FlexString      `json:"recipient_id"`
	RecipientUserID       string          `json:"recipient_user_id"`
	BizOpaqueCallbackData string          `json:"biz_opaque_callback_data"`
	Conversation          *Conversation   `json:"conversation"`
	Pricing               json.RawMessage `json:"pricing"`
	Errors                json.RawMessage `json:"errors"`
}

// messagesIn is a decoded messages value. Statuses dominate the webhook
// volume, so the whole value is decoded in one pass when it can be.
type messagesIn struct {
	Metadata Metadata          `json:"metadata"`
	Contacts []Contact         `json:"contacts"`
	Messages []Message         `json:"messages"`
	Statuses []statusIn        `json:"statuses"`
	Errors   []json.RawMessage `json:"errors"`
}

// messagesParts splits a messages value into raw elements, the fallback when
// one element has an unexpected shape: it is filed alone instead of spoiling
// the thousand statuses beside it.
type messagesParts struct {
	Metadata json.RawMessage   `json:"metadata"`
	Contacts []json.RawMessage `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
	Errors   []json.RawMessage `json:"errors"`
}

// decodeMessages returns the value and the elements that did not decode.
func decodeMessages(value []byte) (messagesIn, []json.RawMessage, error) {
	var v messagesIn
	if json.Unmarshal(value, &v) == nil {
		return v, nil, nil
	}
	var parts messagesParts
	if err := json.Unmarshal(value, &parts); err != nil {
		return messagesIn{}, nil, err
	}
	v = messagesIn{Errors: parts.Errors}
	if parts.Metadata != nil {
		_ = json.Unmarshal(parts.Metadata, &v.Metadata) // routing already had its say
	}
	var bad []json.RawMessage
	for _, raw := range parts.Contacts {
		var ct Contact
		if json.Unmarshal(raw, &ct) == nil { // contacts only enrich inbound rows
			v.Contacts = append(v.Contacts, ct)
		}
	}
	for _, raw := range parts.Statuses {
		var st statusIn
		if json.Unmarshal(raw, &st) != nil {
			bad = append(bad, raw)
			continue
		}
		v.Statuses = append(v.Statuses, st)
	}
	for _, raw := range parts.Messages {
		var m Message
		if json.Unmarshal(raw, &m) != nil {
			bad = append(bad, raw)
			continue
		}
		v.Messages = append(v.Messages, m)
	}
	return v, bad, nil
}

func (w *writeSet) addMessages(c Change) {
	v, bad, err := decodeMessages(c.Value)
	if err != nil {
		w.unknown(c.Field, "undecodable")
		w.events = append(w.events, newEvent(c, 0, event{domain: DomainMessaging, name: EventUndecodable}, c.Value))
		return
	}
	phoneID := c.PhoneNumberID
	if phoneID == "" {
		phoneID = string(v.Metadata.PhoneNumberID)
	}
	sub := 0
	file := func(ev event, raw []byte) {
		w.events = append(w.events, newEvent(c, sub, ev, raw))
		sub++
	}
	for _, st := range v.Statuses {
		if st.ID == "" {
			w.unknown(c.Field, "status_without_id")
			file(event{domain: DomainMessaging, name: "STATUS_WITHOUT_ID", subject: st.Status}, c.Value)
			continue
		}
		w.statuses = append(w.statuses, w.statusRow(c, phoneID, st))
	}
	for _, m := range v.Messages {
		if m.Type == "system" || m.System != nil || m.ID == "" {
			file(w.systemEvent(c, m), m.Raw)
			continue
		}
		w.inbound = append(w.inbound, w.inboundRow(c, phoneID, m, v.Contacts))
	}
	for _, raw := range v.Errors {
		var e Error
		_ = json.Unmarshal(raw, &e) // an odd error object is still filed, code 0
		file(event{domain: DomainMessaging, name: "ERROR", subject: strconv.FormatInt(int64(e.Code), 10)}, raw)
	}
	for _, raw := range bad {
		w.unknown(c.Field, "undecodable")
		file(event{domain: DomainMessaging, name: EventUndecodable}, raw)
	}
	if len(v.Statuses)+len(v.Messages)+len(v.Errors)+len(bad) == 0 {
		// A shape this decoder does not know; keep it whole.
		w.unknown(c.Field, "shape")
		file(event{domain: DomainMessaging, name: "UNRECOGNIZED"}, c.Value)
	}
}
