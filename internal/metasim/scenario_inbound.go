package metasim

import (
	"fmt"
	"slices"
	"time"
)

// InboundOptions shapes InboundMessages.
type InboundOptions struct {
	// Numbers are the business numbers receiving; at least one.
	Numbers []Number
	// Contacts is how many distinct customers write in; default 20.
	Contacts int
	// Messages is how many events to play; default 50, and never fewer than
	// the scripted ones (each stop keyword, a button tap, a number change, a
	// marketing stop and resume).
	Messages int
	// StopKeywords are sent as whole messages; default STOP, stop, BERHENTI.
	StopKeywords []string
	// ReplyTo are wamids of template messages button taps answer; default
	// generated ones.
	ReplyTo []string
	// Seed makes the scenario reproducible.
	Seed uint64
	// Start is the time of the first event; zero means time.Now().
	Start time.Time
	// Pace is the delay hint between events; default 0 (no pacing).
	Pace time.Duration
}

// Inbound event kinds, as InboundRecord.Kind reports them.
const (
	KindText          = "text"
	KindStop          = "stop"
	KindButton        = "button"
	KindChangedNumber = "changed_number"
	KindPreference    = "preference"
)

// InboundRecord is one event of an inbound scenario, for checking what the
// receiver made of it.
type InboundRecord struct {
	Kind   string
	Number Number
	// WAID is the customer's wa_id when the event happened.
	WAID string
	// WAMID is empty for preferences, which carry no message id.
	WAMID string
	// Text is the message text, the button payload or the preference value
	// (stop, resume).
	Text string
	// ContextID is the template wamid a button tap answers.
	ContextID string
	// NewWAID is the customer's new wa_id after a number change.
	NewWAID string
	At      time.Time
}

// InboundPlan is an inbound scenario and its events.
type InboundPlan struct {
	Scenario Scenario
	Records  []InboundRecord
}

type customer struct {
	number Number
	waID   string
	name   string
}

// buttonReply is a quick-reply button: what the business's code receives and
// what the customer saw.
type buttonReply struct{ payload, text string }

var buttonReplies = []buttonReply{
	{"Unsubscribe", "Unsubscribe"},
	{"STOP_PROMOTIONS", "Stop promotions"},
	{"ORDER_STATUS", "Track my order"},
	{"YES", "Yes"},
}

// InboundMessages plans customers writing to business numbers: texts, stop
// keywords in several spellings, quick-reply taps on templates, a customer
// changing numbers (the next text, if any, comes from the new one) and a
// customer stopping then resuming marketing messages.
func InboundMessages(opts InboundOptions) (InboundPlan, error) {
	if len(opts.Numbers) == 0 {
		return InboundPlan{}, fmt.Errorf("metasim: inbound messages need at least one number")
	}
	opts = opts.withDefaults()
	g := newGen(opts.Seed, "inbound")
	customers := make([]*customer, max(opts.Contacts, 2))
	for i := range customers {
		customers[i] = &customer{number: opts.Numbers[g.rng.IntN(len(opts.Numbers))], waID: g.waID(), name: g.pick(customerNames)}
	}
	replyTo := opts.ReplyTo
	if len(replyTo) == 0 {
		replyTo = []string{g.wamid(customers[0].waID), g.wamid(customers[1].waID)}
	}
	var (
		plan    InboundPlan
		bodies  [][]byte
		changed *customer
	)
	at := opts.Start
	for _, kind := range g.inboundKinds(opts) {
		c := customers[g.rng.IntN(len(customers))]
		switch {
		case kind == KindPreference:
			// The stop and its resume come from one customer.
			c = customers[0]
		case kind == KindChangedNumber:
			changed = c
		case kind == KindText && changed != nil:
			c, changed = changed, nil
		}
		rec, body := g.inboundEvent(kind, c, replyTo, opts.StopKeywords, &plan, at)
		plan.Records = append(plan.Records, rec)
		bodies = append(bodies, body)
		at = at.Add(g.between(time.Second, time.Minute))
	}
	plan.Scenario = bodiesScenario("inbound messages", bodies, opts.Pace)
	return plan, nil
}

func (o InboundOptions) withDefaults() InboundOptions {
	if o.Contacts <= 0 {
		o.Contacts = 20
	}
	if o.Messages <= 0 {
		o.Messages = 50
	}
	if len(o.StopKeywords) == 0 {
		o.StopKeywords = []string{"STOP", "stop", "BERHENTI"}
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	return o
}

// inboundKinds shuffles the scripted events among plain texts, keeping the
// marketing stop before its resume.
func (g *gen) inboundKinds(opts InboundOptions) []string {
	kinds := []string{KindButton, KindChangedNumber, KindPreference, KindPreference}
	for range opts.StopKeywords {
		kinds = append(kinds, KindStop)
	}
	for range max(opts.Messages/10-1, 0) {
		kinds = append(kinds, KindButton)
	}
	for len(kinds) < opts.Messages {
		kinds = append(kinds, KindText)
	}
	g.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	return kinds
}

func (g *gen) inboundEvent(kind string, c *customer, replyTo, stops []string, plan *InboundPlan, at time.Time) (InboundRecord, []byte) {
	n := c.number
	rec := InboundRecord{Kind: kind, Number: n, WAID: c.waID, At: at}
	switch kind {
	case KindPreference:
		rec.Text = "stop"
		if slices.ContainsFunc(plan.Records, func(r InboundRecord) bool { return r.Kind == KindPreference }) {
			rec.Text = "resume"
		}
		return rec, UserPreferencesBody(n.WABAID, n.PhoneNumberID, n.Display,
			UserPreference{WAID: c.waID, Value: rec.Text, Timestamp: at})
	case KindChangedNumber:
		rec.WAMID, rec.NewWAID = g.wamid(c.waID), g.waID()
		body := SystemChangedNumberBody(n.WABAID, n.PhoneNumberID, n.Display, NumberChange{
			OldWAID: c.waID, NewWAID: rec.NewWAID, Name: c.name, WAMID: rec.WAMID, Timestamp: at,
		})
		c.waID = rec.NewWAID
		return rec, body
	case KindButton:
		reply := buttonReplies[g.rng.IntN(len(buttonReplies))]
		rec.WAMID, rec.Text, rec.ContextID = g.wamid(c.waID), reply.payload, g.pick(replyTo)
		return rec, InboundButtonBody(n.WABAID, n.PhoneNumberID, n.Display, ButtonTap{
			From: c.waID, Name: c.name, WAMID: rec.WAMID, Timestamp: at,
			Payload: reply.payload, Text: reply.text, ContextID: rec.ContextID,
		})
	default:
		rec.WAMID, rec.Text = g.wamid(c.waID), g.pick(customerTexts)
		if kind == KindStop {
			rec.Text = stops[countKind(plan.Records, KindStop)%len(stops)]
		}
		return rec, InboundTextBody(n.WABAID, n.PhoneNumberID, n.Display, InboundText{
			From: c.waID, Name: c.name, WAMID: rec.WAMID, Timestamp: at, Body: rec.Text,
		})
	}
}

func countKind(records []InboundRecord, kind string) int {
	n := 0
	for _, r := range records {
		if r.Kind == kind {
			n++
		}
	}
	return n
}
