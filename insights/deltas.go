package insights

import (
	"cmp"
	"slices"
	"time"
)

// date is a tenant-zone calendar day, counted from 1970-01-01. It is a map
// key where time.Time would compare locations too.
type date int32

// dateOf is the date of a UTC midnight (how Postgres dates arrive).
func dateOf(t time.Time) date { return date(t.Unix() / 86400) }

func (d date) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d date) String() string { return d.time().Format(time.DateOnly) }

// counter accumulates signed deltas of fixed-width counts per roll-up key.
type counter[K comparable] map[K][]int64

func (c counter[K]) add(k K, sign int64, vals ...int64) {
	cur, ok := c[k]
	if !ok {
		cur = make([]int64, len(vals))
		c[k] = cur
	}
	for i, v := range vals {
		cur[i] += sign * v
	}
}

// sorted returns the keys with a non-zero delta in the order cmpKey gives,
// which is the table's key order: concurrent writers then lock rows in the
// same order.
func (c counter[K]) sorted(cmpKey func(a, b K) int) []K {
	keys := make([]K, 0, len(c))
	for k, v := range c {
		if slices.ContainsFunc(v, func(x int64) bool { return x != 0 }) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, cmpKey)
	return keys
}

type funnelKey struct {
	day                       date
	phone, template, campaign string
}

func cmpFunnel(a, b funnelKey) int {
	return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.phone, b.phone),
		cmp.Compare(a.template, b.template), cmp.Compare(a.campaign, b.campaign))
}

type failureKey struct {
	funnelKey
	code  int32
	title string
}

type hourKey struct {
	day   date
	hour  int16
	phone string
	dir   string
}

type expKey struct {
	experiment, variant string
	day                 date
}

// tileKey is the part of a histogram row every copy of it keeps.
type tileKey struct {
	grain  byte
	start  date
	clock  string
	first  bool
	bucket int32
}

// respKey is a histogram row with all its dimensions; each copy of the
// histogram keeps some of them (histTable).
type respKey struct {
	tileKey
	phone     string
	agent     string
	automated bool
}

type periodKey struct {
	grain  byte
	period date
}

// deltas are the roll-up changes of one fold.
type deltas struct {
	funnel      counter[funnelKey]
	failures    counter[failureKey]
	hourly      counter[hourKey]
	experiments counter[expKey]
	responses   counter[respKey]   // turns, seconds
	periods     counter[periodKey] // active, new
}

func newDeltas() *deltas {
	return &deltas{funnel: counter[funnelKey]{}, failures: counter[failureKey]{}, hourly: counter[hourKey]{},
		experiments: counter[expKey]{}, responses: counter[respKey]{}, periods: counter[periodKey]{}}
}
