package insights

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// apply runs one fold inside tx: load, fold in memory, write.
func (s *Service) apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in input) error {
	u := newUnit(tenantID, s.now())
	// Annotations arrive for stored messages whose threads load did not
	// look up; rebuilding a thread without turns costs one empty read.
	u.anyThread = len(in.annotations) > 0
	if err := u.load(ctx, tx, in); err != nil {
		return err
	}
	u.fold(in)
	return u.write(ctx, tx)
}

// row returns the working copy of a message, creating it when neither the
// store nor this fold has it yet.
func (u *unit) row(wamid string) *message {
	m, ok := u.msgs[wamid]
	if !ok {
		m = &message{wamid: wamid}
		if r, ok := u.replies[wamid]; ok {
			m.replied, m.replyWamid = r.at, r.wamid
		}
		u.msgs[wamid] = m
	}
	return m
}

func (u *unit) fold(in input) {
	for _, o := range in.statuses {
		u.row(o.wamid).foldStatus(o)
	}
	for _, a := range in.annotations {
		m := u.row(a.WAMID)
		m.ann, m.annotatedAt = a, u.now
	}
	u.foldInbound(in.inbound)
	for wamid, m := range u.msgs {
		u.settle(wamid, m)
	}
	u.foldEvents(in.events)
}

// foldInbound records inbound messages not stored before: their hour,
// thread, contact periods, the reply they make and the button they pressed.
func (u *unit) foldInbound(msgs []inboundObs) {
	for _, o := range msgs {
		if u.seenIn[o.wamid] {
			continue
		}
		u.seenIn[o.wamid] = true
		d, h := dayHour(o.at, u.loc)
		r := inboundRow{inboundObs: o, day: d, hour: h}
		u.inbound = append(u.inbound, r)
		u.d.hourly.add(hourKey{d, h, o.phone, "in"}, 1, 1)
		if o.contextID != "" {
			if m, ok := u.msgs[o.contextID]; ok {
				m.foldReply(o.at, o.wamid)
			}
		}
		k := threadKey{o.phone, o.contact}
		u.history[k] = true
		u.touchThread(k, o.at)
		u.foldContact(o.contact, o.at)
		for i := range u.journeys {
			j := &u.journeys[i]
			if st := j.stepFor(MatchButton, o.payload); st > 0 {
				u.hits = append(u.hits, hitRow{j.ID, "in:" + o.wamid, int16(st), o.contact, o.at})
			}
		}
	}
}

// foldContact moves a contact's first inbound time and adds the periods it
// was active in.
func (u *unit) foldContact(contact string, at time.Time) {
	d, _ := dayHour(at, u.loc)
	for _, g := range grains {
		u.periods = append(u.periods, periodRow{grain: g, period: periodStart(g, d), contact: contact})
	}
	old, known := u.firstSeen[contact]
	if known && !at.Before(old.at) {
		return
	}
	now := firstSeen{at, d}
	u.firstSeen[contact] = now
	ch, ok := u.firstChange[contact]
	if !ok {
		ch[0] = old
	}
	ch[1] = now
	u.firstChange[contact] = ch
}

func (u *unit) touchThread(k threadKey, at time.Time) {
	if at.IsZero() || k.contact == "" {
		return
	}
	if t, ok := u.threads[k]; !ok || at.Before(t) {
		u.threads[k] = at
	}
}

// settle derives a message's placement and, if the row changed, moves its
// contribution and notes which turns, journey hits and exposures follow.
func (u *unit) settle(wamid string, m *message) {
	prev, existed := u.old[wamid]
	m.derive(prev.at, u.loc)
	if existed && *m == prev {
		return
	}
	if existed {
		prev.contribute(u.d, -1)
	}
	m.contribute(u.d, 1)
	answerChanged := !m.respAt.Equal(prev.respAt) || m.ann.Agent != prev.ann.Agent ||
		m.ann.Automated != prev.ann.Automated || m.phone != prev.phone || m.contact != prev.contact
	if answerChanged {
		for _, x := range []*message{&prev, m} {
			k := threadKey{x.phone, x.contact}
			if !x.respAt.IsZero() && (u.history[k] || u.anyThread) {
				u.touchThread(k, earliest(prev.respAt, m.respAt))
			}
		}
	}
	placed := !m.at.Equal(prev.at) || m.contact != prev.contact
	if placed || m.ann != prev.ann {
		if journeyRelevant(prev) || journeyRelevant(*m) {
			u.hitSources = append(u.hitSources, "out:"+wamid)
			u.hits = append(u.hits, outboundHits(u.journeys, m)...)
		}
		for _, x := range []*message{&prev, m} {
			if x.ann.Experiment != "" && x.contact != "" {
				u.exposures[[2]string{x.ann.Experiment, x.contact}] = true
			}
		}
	}
}

func journeyRelevant(m message) bool {
	return m.ann.TemplateName != "" || m.ann.Journey != ""
}
