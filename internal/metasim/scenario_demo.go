package metasim

import (
	"fmt"
	"slices"
	"time"
)

// DemoOptions shapes Demo.
type DemoOptions struct {
	// Numbers are the business numbers, across tenants' WABAs; at least one.
	Numbers []Number
	// Strays are numbers of WABAs the BSP has not registered: Meta sends
	// their webhooks all the same (a client onboarded at Meta before the BSP
	// recorded it), and wabsp keeps them as orphans until it is. Optional.
	Strays []Number
	// Templates take turns being paused and disabled; optional.
	Templates []TemplateRef
	// Graph, when set, follows the quality and template events.
	Graph *Graph
	// EventsPerSecond is the pace; default 3.
	EventsPerSecond float64
	// Seed picks the mix; zero means a seed from the clock.
	Seed uint64
	// Now dates the events; default time.Now.
	Now func() time.Time
	// OnSend, when set, is told of each outbound message just before its
	// first status is delivered, so the business side of the demo can label
	// what it sent (an experiment's variant, say) the way a real business
	// annotates its sends. An error stops the scenario, as a failed Apply
	// does.
	OnSend func(Send) error
}

// Send is an outbound message of the demo, as the business sent it; the
// statuses that follow are Meta's account of it.
type Send struct {
	Number Number
	To     string
	WAMID  string
	At     time.Time
}

// Demo is an endless mix of everything the simulator plays, at a gentle
// pace, for a newcomer watching wabsp work: outbound messages whose delivered
// and read statuses trail in over the following minutes, customer texts,
// stop keywords, button taps, marketing stop and resume, number changes, an
// occasional resent body, now and then a webhook of another product or of a
// WABA the BSP has not registered (Strays), phone numbers losing and
// regaining quality and templates walking towards being disabled. It ends only when the consumer
// stops iterating (the Runner does when its context ends).
func Demo(opts DemoOptions) (Scenario, error) {
	if len(opts.Numbers) == 0 {
		return Scenario{}, fmt.Errorf("metasim: demo needs at least one number")
	}
	if opts.EventsPerSecond <= 0 {
		opts.EventsPerSecond = 3
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return Scenario{Name: "demo", Events: func(yield func(Event) bool) {
		d := newDemo(opts)
		for yield(d.next()) {
		}
	}}, nil
}

type pendingStatus struct {
	number Number
	status Status
}

// pendingTap is a customer's next quick-reply tap in a conversation that
// has begun.
type pendingTap struct {
	number Number
	tap    ButtonTap
}

type demo struct {
	opts     DemoOptions
	g        *gen
	interval time.Duration

	customers map[string][]string // phone number id → customer wa_ids
	names     map[string]string   // wa_id → profile name
	stopped   map[string]bool     // wa_id → marketing stopped
	sentTo    map[string][]string // phone number id → recent template wamids
	pending   []pendingStatus     // ordered by status time
	taps      []pendingTap        // ordered by tap time
	lastBody  []byte

	quality    [][]step
	qualityAt  []int
	templates  [][]step
	templateAt []int
}

func newDemo(opts DemoOptions) *demo {
	d := &demo{
		opts:      opts,
		g:         newGen(opts.Seed, "demo"),
		interval:  time.Duration(float64(time.Second) / opts.EventsPerSecond),
		customers: map[string][]string{},
		names:     map[string]string{},
		stopped:   map[string]bool{},
		sentTo:    map[string][]string{},
		qualityAt: make([]int, len(opts.Numbers)),
	}
	for _, n := range opts.Numbers {
		d.customers[n.PhoneNumberID] = d.g.waIDs(30)
		for _, c := range d.customers[n.PhoneNumberID] {
			d.names[c] = d.g.pick(customerNames)
		}
		d.quality = append(d.quality, qualitySteps(n, "TIER_10K"))
	}
	for _, t := range opts.Templates {
		d.templates = append(d.templates, templateSteps(t))
	}
	d.templateAt = make([]int, len(d.templates))
	return d
}

func (d *demo) next() Event {
	at := d.opts.Now().Add(d.interval)
	ev := d.pick(at)
	ev.Delay = d.interval
	if ev.Body != nil {
		d.lastBody = ev.Body
	}
	return ev
}

func (d *demo) pick(at time.Time) Event {
	if due := d.takeDue(at); len(due) > 0 {
		return Event{Label: "statuses", Body: statusBody(due)}
	}
	if len(d.taps) > 0 && !d.taps[0].tap.Timestamp.After(at) {
		p := d.taps[0]
		d.taps = d.taps[1:]
		return Event{Label: "button tap", Body: InboundButtonBody(p.number.WABAID, p.number.PhoneNumberID, p.number.Display, p.tap)}
	}
	switch r := d.g.rng.Float64(); {
	case r < 0.42:
		return d.outbound(at)
	case r < 0.64:
		return d.text(at, d.g.pick(customerTexts))
	case r < 0.69:
		return d.text(at, d.g.pick([]string{"STOP", "stop", "BERHENTI", "Stop"}))
	case r < 0.74:
		return d.button(at)
	case r < 0.77:
		return d.preference(at)
	case r < 0.78:
		return d.changeNumber(at)
	case r < 0.81 && d.lastBody != nil:
		// Meta redelivers bodies it thinks were not acknowledged.
		return Event{Label: "resent body", Body: d.lastBody}
	case r < 0.815 && len(d.opts.Strays) > 0:
		return d.stray(at)
	case r < 0.818:
		return otherProduct(at)
	case r < 0.90:
		return d.qualityStep(at)
	default:
		return d.templateStep(at)
	}
}

func (d *demo) number() (int, Number) {
	i := d.g.rng.IntN(len(d.opts.Numbers))
	return i, d.opts.Numbers[i]
}

func (d *demo) customer(n Number) string {
	cs := d.customers[n.PhoneNumberID]
	return cs[d.g.rng.IntN(len(cs))]
}

// outbound sends a new message's first status now and queues the rest for
// when they happen.
func (d *demo) outbound(at time.Time) Event {
	_, n := d.number()
	m, statuses := d.g.outbound(n, d.customer(n), at)
	if m.PricingType == "regular" {
		d.sentTo[n.PhoneNumberID] = lastN(append(d.sentTo[n.PhoneNumberID], m.WAMID), 20)
	}
	for _, s := range statuses[1:] {
		d.pending = append(d.pending, pendingStatus{number: n, status: s})
	}
	slices.SortStableFunc(d.pending, func(a, b pendingStatus) int { return a.status.Timestamp.Compare(b.status.Timestamp) })
	ev := Event{Label: "message " + statuses[0].Status, Body: StatusesBody(n.WABAID, n.PhoneNumberID, n.Display, statuses[:1])}
	if on := d.opts.OnSend; on != nil {
		send := Send{Number: n, To: m.RecipientID, WAMID: m.WAMID, At: at}
		ev.Apply = func() error { return on(send) }
	}
	return ev
}

// takeDue removes up to ten statuses due by at, batched like Meta batches.
func (d *demo) takeDue(at time.Time) []statusUpdate {
	var due []statusUpdate
	for len(d.pending) > 0 && len(due) < 10 && !d.pending[0].status.Timestamp.After(at) {
		due = append(due, statusUpdate{number: d.pending[0].number, status: d.pending[0].status})
		d.pending = d.pending[1:]
	}
	return due
}

func (d *demo) text(at time.Time, body string) Event {
	_, n := d.number()
	from := d.customer(n)
	return Event{Label: "inbound text", Body: InboundTextBody(n.WABAID, n.PhoneNumberID, n.Display, InboundText{
		From: from, Name: d.names[from], WAMID: d.g.wamid(from), Timestamp: at, Body: body,
	})}
}

func (d *demo) button(at time.Time) Event {
	_, n := d.number()
	from := d.customer(n)
	contextID := d.g.wamid(n.Display)
	if sent := d.sentTo[n.PhoneNumberID]; len(sent) > 0 {
		contextID = d.g.pick(sent)
	}
	reply := buttonReplies[d.g.rng.IntN(len(buttonReplies))]
	tap := ButtonTap{
		From: from, Name: d.names[from], WAMID: d.g.wamid(from), Timestamp: at,
		Payload: reply.payload, Text: reply.text, ContextID: contextID,
	}
	if next, ok := followUps[reply.payload]; ok && d.g.chance(followUpChance) {
		d.followUp(n, tap, next)
	}
	return Event{Label: "button tap", Body: InboundButtonBody(n.WABAID, n.PhoneNumberID, n.Display, tap)}
}

// followUps are the taps that continue a conversation: a customer who asked
// to track an order is asked to confirm it, and most do. Without them no
// customer would walk a journey's steps in order.
var followUps = map[string]buttonReply{"ORDER_STATUS": {"YES", "Yes"}}

const followUpChance = 0.7

// followUp queues the same customer's next tap on the same message, a little
// later.
func (d *demo) followUp(n Number, first ButtonTap, next buttonReply) {
	at := first.Timestamp.Add(d.g.between(10*time.Second, 2*time.Minute))
	d.taps = append(d.taps, pendingTap{number: n, tap: ButtonTap{
		From: first.From, Name: first.Name, WAMID: d.g.wamid(first.From), Timestamp: at,
		Payload: next.payload, Text: next.text, ContextID: first.ContextID,
	}})
	slices.SortStableFunc(d.taps, func(a, b pendingTap) int { return a.tap.Timestamp.Compare(b.tap.Timestamp) })
}

func (d *demo) preference(at time.Time) Event {
	_, n := d.number()
	who := d.customer(n)
	value := "stop"
	if d.stopped[who] {
		value = "resume"
	}
	d.stopped[who] = !d.stopped[who]
	return Event{Label: "marketing " + value, Body: UserPreferencesBody(n.WABAID, n.PhoneNumberID, n.Display,
		UserPreference{WAID: who, Value: value, Timestamp: at})}
}

func (d *demo) changeNumber(at time.Time) Event {
	_, n := d.number()
	cs := d.customers[n.PhoneNumberID]
	i := d.g.rng.IntN(len(cs))
	old, fresh := cs[i], d.g.waID()
	cs[i], d.names[fresh] = fresh, d.names[old]
	return Event{Label: "number change", Body: SystemChangedNumberBody(n.WABAID, n.PhoneNumberID, n.Display, NumberChange{
		OldWAID: old, NewWAID: fresh, Name: d.names[old], WAMID: d.g.wamid(old), Timestamp: at,
	})}
}

// qualityStep advances one number through its quality cycle, which ends where
// it began, so it repeats.
func (d *demo) qualityStep(at time.Time) Event {
	i, _ := d.number()
	steps := d.quality[i]
	s := steps[d.qualityAt[i]]
	d.qualityAt[i] = (d.qualityAt[i] + 1) % len(steps)
	return s.event(d.opts.Graph, at)
}

// templateStep advances a template that is not disabled yet; once every
// template is, customers keep talking instead.
func (d *demo) templateStep(at time.Time) Event {
	var open []int
	for i, steps := range d.templates {
		if d.templateAt[i] < len(steps) {
			open = append(open, i)
		}
	}
	if len(open) == 0 {
		return d.text(at, d.g.pick(customerTexts))
	}
	i := open[d.g.rng.IntN(len(open))]
	s := d.templates[i][d.templateAt[i]]
	d.templateAt[i]++
	return s.event(d.opts.Graph, at)
}

func lastN(xs []string, n int) []string {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

// stray is a customer writing to a number of a WABA the BSP has not
// registered.
func (d *demo) stray(at time.Time) Event {
	n := d.opts.Strays[d.g.rng.IntN(len(d.opts.Strays))]
	from := d.g.waID()
	return Event{Label: "inbound text, unregistered WABA", Body: InboundTextBody(n.WABAID, n.PhoneNumberID, n.Display, InboundText{
		From: from, Name: d.g.pick(customerNames), WAMID: d.g.wamid(from), Timestamp: at, Body: d.g.pick(customerTexts),
	})}
}

// otherProduct is a webhook of another product the Meta app is subscribed
// to: signed like the rest, but not a WhatsApp Business Account webhook, so
// wabsp archives it as poison.
func otherProduct(at time.Time) Event {
	body := fmt.Sprintf(`{"object":"page","entry":[{"id":"100000000000001","time":%d,"messaging":[]}]}`, at.Unix())
	return Event{Label: "webhook of another product", Body: []byte(body)}
}
