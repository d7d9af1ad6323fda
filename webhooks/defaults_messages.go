package webhooks

import (
	"encoding/json"
	"strconv"
)

func (w *writeSet) addMessages(c Change) {
	v := c.Messages()
	if v.Err != nil {
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
	for i := range v.Statuses {
		st := &v.Statuses[i]
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
	for _, raw := range v.Bad {
		w.unknown(c.Field, "undecodable")
		file(event{domain: DomainMessaging, name: EventUndecodable}, raw)
	}
	if len(v.Statuses)+len(v.Messages)+len(v.Errors)+len(v.Bad) == 0 {
		// A shape this decoder does not know; keep it whole.
		w.unknown(c.Field, "shape")
		file(event{domain: DomainMessaging, name: "UNRECOGNIZED"}, c.Value)
	}
}
