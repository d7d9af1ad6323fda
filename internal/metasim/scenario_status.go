package metasim

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// OutboundMessage is one business-sent message of a status scenario and what
// its statuses say, for checking a ledger against.
type OutboundMessage struct {
	WAMID       string
	Number      Number
	RecipientID string
	// Category and PricingType are the pricing object's category and type.
	Category    string
	PricingType string
	// Statuses lists the statuses generated, in lifecycle order.
	Statuses []string
	// Charged is true when Meta would charge it: a regular (billable)
	// message whose delivered or read status carries pricing.
	Charged bool
	// ErrorCode is the failure's error code, 0 unless failed.
	ErrorCode int
}

// outbound plans one message's lifecycle sent at sentAt: sent → delivered →
// read, with some read without delivered (Meta sends no delivered when both
// happen together), some stopping at delivered, and some failed. Pricing
// rides on sent and on exactly one of delivered/read.
func (g *gen) outbound(n Number, recipient string, sentAt time.Time) (OutboundMessage, []Status) {
	m := OutboundMessage{WAMID: g.wamid(recipient), Number: n, RecipientID: recipient}
	pricing, fep := g.pricing()
	var conv *legacyConversation
	if fep {
		// A free entry point window lasts 72 hours from the reply.
		conv = &legacyConversation{id: g.hex(32), expires: sentAt.Add(72 * time.Hour)}
	}
	m.Category, m.PricingType = pricing.Category, pricing.Type
	mk := func(status string, at time.Time) Status {
		return Status{WAMID: m.WAMID, Status: status, Timestamp: at, RecipientID: recipient, Conversation: conv.at(status)}
	}
	var out []Status
	outcome := g.rng.Float64()
	if outcome >= 0.10 || g.chance(0.5) {
		s := mk("sent", sentAt)
		s.Pricing = &pricing
		out = append(out, s)
	}
	switch {
	case outcome < 0.10:
		s := mk("failed", sentAt.Add(g.between(time.Second, 10*time.Second)))
		s.Errors = []MessageError{g.failure(m.Category)}
		m.ErrorCode = s.Errors[0].Code
		out = append(out, s)
	case outcome < 0.25:
		s := mk("read", sentAt.Add(g.between(3*time.Second, 5*time.Minute)))
		s.Pricing = &pricing
		out = append(out, s)
	default:
		deliveredAt := sentAt.Add(g.between(time.Second, 8*time.Second))
		s := mk("delivered", deliveredAt)
		s.Pricing = &pricing
		out = append(out, s)
		if outcome >= 0.55 {
			out = append(out, mk("read", deliveredAt.Add(g.between(5*time.Second, 5*time.Minute))))
		}
	}
	for _, s := range out {
		m.Statuses = append(m.Statuses, s.Status)
	}
	m.Charged = pricing.Type == "regular" && m.ErrorCode == 0
	return m, out
}

// legacyConversation is the conversation block v24+ still sends inside a
// free entry point window; nil elsewhere.
type legacyConversation struct {
	id      string
	expires time.Time
}

func (c *legacyConversation) at(status string) *Conversation {
	if c == nil {
		return nil
	}
	conv := &Conversation{ID: c.id, OriginType: "referral_conversion"}
	if status == "sent" {
		conv.Expiration = c.expires
	}
	return conv
}

// pricing draws a pricing object: half billable templates, the rest free
// service replies, free utility inside the service window, and free entry
// point messages.
func (g *gen) pricing() (p Pricing, freeEntryPoint bool) {
	p.Model = "PMP"
	switch r := g.rng.Float64(); {
	case r < 0.5:
		p.Billable, p.Type = true, "regular"
		switch c := g.rng.Float64(); {
		case c < 0.4:
			p.Category = "marketing"
		case c < 0.75:
			p.Category = "utility"
		default:
			p.Category = "authentication"
		}
	case r < 0.7:
		p.Type, p.Category = "free_customer_service", "service"
	case r < 0.8:
		p.Type, p.Category = "free_customer_service", "utility"
	default:
		p.Type, p.Category = "free_entry_point", g.pick([]string{"service", "marketing", "utility"})
		return p, true
	}
	return p, false
}

// failure picks the error of a failed message: the per-user marketing limit
// only hits marketing templates.
func (g *gen) failure(category string) MessageError {
	if category == "marketing" && g.chance(0.6) {
		return HealthyEcosystemError
	}
	return UndeliverableError
}

// StatusKey is one (wamid, status) pair, the unit a receiver dedupes on.
type StatusKey struct {
	WAMID  string
	Status string
}

type statusUpdate struct {
	number Number
	status Status
}

func (u statusUpdate) key() StatusKey {
	return StatusKey{WAMID: u.status.WAMID, Status: u.status.Status}
}

// sortStatusKeys orders keys by wamid, then status.
func sortStatusKeys(keys []StatusKey) {
	slices.SortFunc(keys, func(a, b StatusKey) int {
		return cmp.Or(cmp.Compare(a.WAMID, b.WAMID), cmp.Compare(a.Status, b.Status))
	})
}

// statusBody renders a batch of updates as one body: an entry per WABA and a
// change per phone number, in order of first appearance, as Meta batches.
func statusBody(batch []statusUpdate) []byte {
	type group struct {
		number   Number
		statuses []Status
	}
	var entries []Entry
	wabaIdx := map[string]int{}
	groups := map[string][]group{}
	for _, u := range batch {
		if _, ok := wabaIdx[u.number.WABAID]; !ok {
			wabaIdx[u.number.WABAID] = len(entries)
			entries = append(entries, Entry{ID: u.number.WABAID})
		}
		gs := groups[u.number.WABAID]
		i := slices.IndexFunc(gs, func(g group) bool { return g.number.PhoneNumberID == u.number.PhoneNumberID })
		if i < 0 {
			gs = append(gs, group{number: u.number})
			i = len(gs) - 1
		}
		gs[i].statuses = append(gs[i].statuses, u.status)
		groups[u.number.WABAID] = gs
	}
	for i := range entries {
		for _, g := range groups[entries[i].ID] {
			entries[i].Changes = append(entries[i].Changes, StatusesChange(g.number.PhoneNumberID, g.number.Display, g.statuses))
		}
	}
	return Body(entries...)
}

func validFraction(name string, f float64) error {
	if f < 0 || f > 1 {
		return fmt.Errorf("metasim: %s must be within [0, 1], got %v", name, f)
	}
	return nil
}
