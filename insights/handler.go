package insights

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

type handler struct{ s *Service }

// Apply implements webhooks.Handler. Changes it cannot decode are left to
// the default handler, which files them.
func (h handler) Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []webhooks.Change) error {
	var in input
	for _, c := range changes {
		if c.Field == webhooks.FieldMessages {
			in.addMessages(c)
		}
	}
	if len(in.statuses) == 0 && len(in.inbound) == 0 {
		return nil
	}
	return h.s.apply(ctx, tx, tenantID, in)
}

// input is everything one fold applies: observations from webhooks and
// writes from the API.
type input struct {
	statuses    []statusObs
	inbound     []inboundObs
	annotations []Annotation
	events      []Event
}

// statusObs is one status of an outbound message.
type statusObs struct {
	wamid, status, phone, contact string
	at                            time.Time
	errCode                       int32
	errTitle                      string
}

// inboundObs is one inbound user message.
type inboundObs struct {
	wamid, phone, contact string
	at                    time.Time
	contextID, payload    string
}

func (in *input) addMessages(c webhooks.Change) {
	v := c.Messages()
	if v.Err != nil {
		return
	}
	phone := c.PhoneNumberID
	if phone == "" {
		phone = string(v.Metadata.PhoneNumberID)
	}
	for i := range v.Statuses {
		st := &v.Statuses[i]
		if st.ID == "" || st.Status == "" {
			continue
		}
		o := statusObs{wamid: st.ID, status: st.Status, phone: phone,
			contact: contactKey(string(st.RecipientID), st.RecipientUserID),
			at:      metaTime(st.Timestamp.Int64(), c.ReceivedAt)}
		if st.ErrorCode > 0 {
			o.errCode, o.errTitle = st.ErrorCode, clip(st.ErrorTitle, 300)
		}
		in.statuses = append(in.statuses, o)
	}
	for _, m := range v.Messages {
		if o, ok := inboundOf(m, phone, c.ReceivedAt); ok {
			in.inbound = append(in.inbound, o)
		}
	}
}

func inboundOf(m webhooks.Message, phone string, received time.Time) (inboundObs, bool) {
	if m.ID == "" || m.Type == "system" || m.System != nil {
		return inboundObs{}, false
	}
	contact := contactKey(string(m.From), m.FromUserID)
	if contact == "" {
		return inboundObs{}, false
	}
	o := inboundObs{wamid: m.ID, phone: phone, contact: contact, at: metaTime(m.Timestamp.Int64(), received)}
	if m.Context != nil {
		o.contextID = m.Context.ID
	}
	o.payload = buttonPayload(m)
	return o, true
}

// buttonPayload is what a pressed button says: a template quick reply's
// payload, or an interactive reply's id.
func buttonPayload(m webhooks.Message) string {
	switch {
	case m.Button != nil && m.Button.Payload != "":
		return clip(m.Button.Payload, 256)
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		return clip(m.Interactive.ButtonReply.ID, 256)
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		return clip(m.Interactive.ListReply.ID, 256)
	}
	return ""
}

// contactKey names a WhatsApp user: the wa_id when Meta sent it, else the
// business-scoped user id.
func contactKey(waID, userID string) string {
	if waID != "" {
		return waID
	}
	return userID
}

// metaTime is Meta's time of an event, falling back to the receipt time
// in whole seconds, the grain Meta's own times have.
func metaTime(sec int64, fallback time.Time) time.Time {
	return webhooks.EventTime(sec, fallback.Truncate(time.Second))
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
