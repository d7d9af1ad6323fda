package billing

import (
	"cmp"
	"time"
)

// ledgerRow is one billing_ledger row. Zero times are NULL.
type ledgerRow struct {
	wamid, phoneID         string
	recipient, userID      string
	market                 string
	category, rateCategory string
	pricingType, model     string
	billable               *bool
	pricingRank            int16
	fallback, charged      bool
	firstSeen              time.Time
	sent, delivered, read  time.Time
	failed                 time.Time
	errorCode              int32
	hasErrorCode           bool
	billedAt, day          time.Time
	// month is the ledger partition the row lives in, pinned when the
	// message was first seen; zero for a row not stored yet.
	month time.Time
}

// fold merges statuses into a row. Every step is a minimum, a first-set or
// a rank comparison, so the result is the same in whatever order and however
// many times the statuses arrive.
func (r *ledgerRow) fold(o statusObs) {
	r.wamid = o.wamid
	if r.phoneID == "" {
		r.phoneID = o.phoneID
	}
	if r.recipient == "" {
		r.recipient = o.recipient
	}
	if r.userID == "" {
		r.userID = o.userID
	}
	r.firstSeen = earliest(r.firstSeen, o.receivedAt)
	switch o.status {
	case "sent":
		r.sent = earliest(r.sent, o.at)
	case "delivered":
		r.delivered = earliest(r.delivered, o.at)
	case "read":
		r.read = earliest(r.read, o.at)
	case "failed":
		r.failed = earliest(r.failed, o.at)
	}
	if !r.hasErrorCode && o.hasErrorCode {
		r.errorCode, r.hasErrorCode = o.errorCode, true
	}
	if p := o.pricing; p != nil && r.prefers(p) {
		r.pricingRank, r.billable, r.model = p.rank, p.billable, p.model
		r.category, r.pricingType = NormalizeCategory(p.category), NormalizeType(p.typ)
	}
}

// prefers reports whether p should replace the row's pricing: the pricing on
// delivered/read is what Meta bills, so it beats the one on sent. Two
// different objects of the same rank (never seen, but possible) resolve by
// value, keeping the fold independent of arrival order.
func (r *ledgerRow) prefers(p *pricingObs) bool {
	if p.rank != r.pricingRank {
		return p.rank > r.pricingRank
	}
	c := cmp.Or(cmp.Compare(NormalizeCategory(p.category), r.category), cmp.Compare(NormalizeType(p.typ), r.pricingType))
	return c < 0
}

// derive computes the columns that follow from the others: classification,
// the charge, the billing time, its day in loc and the recipient's market
// on that day.
func (r *ledgerRow) derive(f Fallback, markets *marketTable, loc *time.Location) {
	p := f.classifyPricing(r.category, r.pricingType, r.billable)
	if r.pricingRank == 0 {
		p = pricing{}
	}
	r.category, r.pricingType, r.rateCategory, r.fallback = p.category, p.pricingType, p.rateCategory, p.fallback
	deliveredAt := earliest(r.delivered, r.read)
	r.charged = !deliveredAt.IsZero() && p.chargeable
	r.billedAt = r.firstSeen
	for _, t := range []time.Time{deliveredAt, r.sent, r.failed} {
		if !t.IsZero() {
			r.billedAt = t
			break
		}
	}
	r.day = dayIn(r.billedAt, loc)
	r.market = markets.marketOf(r.recipient, r.userID, r.day)
}

// equal reports whether two rows store the same values.
func (r ledgerRow) equal(o ledgerRow) bool {
	sameBool := (r.billable == nil) == (o.billable == nil) && (r.billable == nil || *r.billable == *o.billable)
	return r.wamid == o.wamid && r.phoneID == o.phoneID && r.recipient == o.recipient && r.userID == o.userID &&
		r.market == o.market && r.category == o.category && r.rateCategory == o.rateCategory &&
		r.pricingType == o.pricingType && r.model == o.model && sameBool && r.pricingRank == o.pricingRank &&
		r.fallback == o.fallback && r.charged == o.charged && r.firstSeen.Equal(o.firstSeen) &&
		r.sent.Equal(o.sent) && r.delivered.Equal(o.delivered) && r.read.Equal(o.read) && r.failed.Equal(o.failed) &&
		r.hasErrorCode == o.hasErrorCode && r.errorCode == o.errorCode && r.billedAt.Equal(o.billedAt) && r.day.Equal(o.day)
}

// earliest returns the earlier of two times, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// usageKey is a roll-up row's key.
type usageKey struct {
	day                                                  time.Time
	phoneID, market, category, pricingType, rateCategory string
}

func (k usageKey) compare(o usageKey) int {
	return cmp.Or(k.day.Compare(o.day), cmp.Compare(k.phoneID, o.phoneID), cmp.Compare(k.market, o.market),
		cmp.Compare(k.category, o.category), cmp.Compare(k.pricingType, o.pricingType),
		cmp.Compare(k.rateCategory, o.rateCategory))
}

// Counts are the measures of a roll-up row or a usage group.
type Counts struct {
	Messages  int64 `json:"messages"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Read      int64 `json:"read"`
	Failed    int64 `json:"failed"`
	// Charged is delivered and billable: what Meta bills.
	Charged int64 `json:"charged"`
	// Fallback counts messages whose category or type no rule knows, priced
	// by the configured fallback.
	Fallback int64 `json:"fallback"`
}

func (c *Counts) add(o Counts, sign int64) {
	c.Messages += sign * o.Messages
	c.Sent += sign * o.Sent
	c.Delivered += sign * o.Delivered
	c.Read += sign * o.Read
	c.Failed += sign * o.Failed
	c.Charged += sign * o.Charged
	c.Fallback += sign * o.Fallback
}

func (c Counts) zero() bool { return c == Counts{} }

// contribution is what the row adds to its roll-up row.
func (r ledgerRow) contribution() (usageKey, Counts) {
	k := usageKey{day: r.day, phoneID: r.phoneID, market: r.market, category: r.category,
		pricingType: r.pricingType, rateCategory: r.rateCategory}
	c := Counts{Messages: 1, Sent: one(!r.sent.IsZero()), Delivered: one(!r.delivered.IsZero() || !r.read.IsZero()),
		Read: one(!r.read.IsZero()), Failed: one(!r.failed.IsZero()), Charged: one(r.charged), Fallback: one(r.fallback)}
	return k, c
}

func one(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
