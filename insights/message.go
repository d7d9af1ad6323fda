package insights

import (
	"time"
)

// Annotation is what the business tells about one outbound message: which
// template (and language) it was, who sent it (an agent, or automation),
// and the campaign, journey step and experiment variant it belongs to.
// Annotating a message again replaces all of these.
type Annotation struct {
	WAMID            string `json:"wamid"`
	TemplateName     string `json:"template_name,omitempty"`
	TemplateLanguage string `json:"template_language,omitempty"`
	Agent            string `json:"agent,omitempty"`
	Automated        bool   `json:"automated,omitempty"`
	Campaign         string `json:"campaign,omitempty"`
	Journey          string `json:"journey,omitempty"`
	JourneyStep      string `json:"journey_step,omitempty"`
	Experiment       string `json:"experiment,omitempty"`
	Variant          string `json:"variant,omitempty"`
}

// message is one insight_messages row. A zero time is NULL.
type message struct {
	wamid, phone, contact string
	at, respAt            time.Time
	day                   date
	hour                  int16
	sent, delivered, read time.Time
	failed, replied       time.Time
	replyWamid            string
	errCode               int32
	errTitle              string
	annotatedAt           time.Time
	ann                   Annotation
}

func (m *message) isSent() bool      { return !m.sent.IsZero() || m.isDelivered() }
func (m *message) isDelivered() bool { return !m.delivered.IsZero() || !m.read.IsZero() }

// blockedCodes are the failures that say the person does not want the
// business's messages: undeliverable (which is what a block looks like from
// the sender's side), the per-user marketing limit Meta applies to people who
// do not engage, and the user's own marketing stop.
var blockedCodes = map[int32]bool{131026: true, 131049: true, 131050: true}

// foldStatus merges one status: each kind keeps its earliest time.
func (m *message) foldStatus(o statusObs) {
	if m.phone == "" {
		m.phone = o.phone
	}
	if m.contact == "" {
		m.contact = o.contact
	}
	switch o.status {
	case "sent":
		m.sent = earliest(m.sent, o.at)
	case "delivered":
		m.delivered = earliest(m.delivered, o.at)
	case "read", "played":
		m.read = earliest(m.read, o.at)
	case "failed":
		m.failed = earliest(m.failed, o.at)
		if m.errCode == 0 && o.errCode != 0 {
			m.errCode, m.errTitle = o.errCode, o.errTitle
		}
	}
}

// foldReply records an inbound message naming this one in context.id.
func (m *message) foldReply(at time.Time, wamid string) {
	if m.replied.IsZero() || at.Before(m.replied) || (at.Equal(m.replied) && wamid < m.replyWamid) {
		m.replied, m.replyWamid = at, wamid
	}
}

// derive sets at, resp_at and, when at moved, the day and hour in loc. A
// row whose at did not move keeps its day, so the roll-ups and a recount
// agree even after the tenant changes zone.
func (m *message) derive(prevAt time.Time, loc *time.Location) {
	m.respAt = earliest(earliest(m.sent, m.delivered), m.read)
	m.at = earliest(m.respAt, m.failed)
	if m.at.IsZero() {
		m.day, m.hour = 0, 0
		return
	}
	if !m.at.Equal(prevAt) {
		m.day, m.hour = dayHour(m.at, loc)
	}
}

// earliest is the earlier of two times, a zero time being absent.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// dayHour is the tenant-zone calendar day and hour of t.
func dayHour(t time.Time, loc *time.Location) (date, int16) {
	l := t.In(loc)
	return dateOf(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)), int16(l.Hour())
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// contribute adds the row's share of every roll-up, times sign.
func (m *message) contribute(d *deltas, sign int64) {
	if m.at.IsZero() {
		return
	}
	failed := !m.failed.IsZero()
	fk := funnelKey{m.day, m.phone, m.ann.TemplateName, m.ann.Campaign}
	d.funnel.add(fk, sign, 1, b2i(m.isSent()), b2i(m.isDelivered()), b2i(!m.read.IsZero()),
		b2i(!m.replied.IsZero()), b2i(failed))
	if failed {
		d.failures.add(failureKey{fk, m.errCode, m.errTitle}, sign, 1)
	}
	d.hourly.add(hourKey{m.day, m.hour, m.phone, "out"}, sign, 1)
	if m.ann.Experiment != "" {
		ek := expKey{m.ann.Experiment, m.ann.Variant, m.day}
		d.experiments.add(ek, sign, 1, b2i(m.isSent()), b2i(m.isDelivered()), b2i(!m.read.IsZero()),
			b2i(!m.replied.IsZero()), b2i(failed), b2i(failed && blockedCodes[m.errCode]))
	}
}
