package metasim

import (
	"fmt"
	"slices"
	"time"
)

// StatusStreamOptions shapes a StatusStream.
type StatusStreamOptions struct {
	// Numbers are the business numbers sending; at least one.
	Numbers []Number
	// Recipients are customer wa_ids; default 50 generated across markets.
	Recipients []string
	// Messages is how many outbound messages to play; default 100.
	Messages int
	// BatchSize is how many statuses each body carries; default 1.
	BatchSize int
	// DuplicateFraction is the share of bodies delivered twice byte for
	// byte, and separately the share of statuses repeated inside a later,
	// different body (Meta retries and re-batches).
	DuplicateFraction float64
	// ReorderFraction is the share of statuses swapped with one up to
	// ReorderWindow (default 8) places later.
	ReorderFraction float64
	ReorderWindow   int
	// Seed makes the stream reproducible: equal options give equal bodies.
	Seed uint64
	// Start is when the first message is sent; zero means time.Now(), so
	// set it for byte-identical output across runs.
	Start time.Time
	// Pace is the delay hint between bodies; default 0 (no pacing).
	Pace time.Duration
}

func (o StatusStreamOptions) withDefaults() (StatusStreamOptions, error) {
	if len(o.Numbers) == 0 {
		return o, fmt.Errorf("metasim: status stream needs at least one number")
	}
	if err := validFraction("DuplicateFraction", o.DuplicateFraction); err != nil {
		return o, err
	}
	if err := validFraction("ReorderFraction", o.ReorderFraction); err != nil {
		return o, err
	}
	if o.Messages <= 0 {
		o.Messages = 100
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1
	}
	if o.ReorderWindow <= 0 {
		o.ReorderWindow = 8
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	return o, nil
}

// StatusStreamPlan is a status stream and what it contains.
type StatusStreamPlan struct {
	Scenario Scenario
	// Messages are the outbound messages, in the order they were sent.
	Messages []OutboundMessage
	// Unique is every (wamid, status) pair the stream carries, once, sorted
	// by wamid then status: what a receiver that dedupes must end up with.
	Unique []StatusKey
	// Bodies is how many bodies the scenario delivers, duplicates included.
	Bodies int
}

// StatusStream plans outbound messages with their status webhooks, batched,
// reordered and duplicated as the options say.
func StatusStream(opts StatusStreamOptions) (StatusStreamPlan, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return StatusStreamPlan{}, err
	}
	g := newGen(opts.Seed, "status-stream")
	recipients := opts.Recipients
	if len(recipients) == 0 {
		recipients = g.waIDs(50)
	}
	var (
		plan    StatusStreamPlan
		updates []statusUpdate
	)
	at := opts.Start
	for range opts.Messages {
		n := opts.Numbers[g.rng.IntN(len(opts.Numbers))]
		m, statuses := g.outbound(n, recipients[g.rng.IntN(len(recipients))], at)
		plan.Messages = append(plan.Messages, m)
		for _, s := range statuses {
			updates = append(updates, statusUpdate{number: n, status: s})
			plan.Unique = append(plan.Unique, StatusKey{WAMID: s.WAMID, Status: s.Status})
		}
		at = at.Add(g.between(200*time.Millisecond, 3*time.Second))
	}
	sortStatusKeys(plan.Unique)
	slices.SortStableFunc(updates, func(a, b statusUpdate) int { return a.status.Timestamp.Compare(b.status.Timestamp) })
	g.reorder(updates, opts.ReorderFraction, opts.ReorderWindow)
	batches := g.repeatUpdates(slices.Collect(slices.Chunk(updates, opts.BatchSize)), opts.DuplicateFraction)
	bodies := make([][]byte, 0, len(batches))
	for _, b := range batches {
		bodies = append(bodies, statusBody(b))
	}
	bodies = g.repeatBodies(bodies, opts.DuplicateFraction)
	plan.Bodies = len(bodies)
	plan.Scenario = bodiesScenario("status stream", bodies, opts.Pace)
	return plan, nil
}

// reorder swaps a fraction of updates with one a few places later, so
// receivers see read before delivered and delivered before sent.
func (g *gen) reorder(updates []statusUpdate, fraction float64, window int) {
	for i := range updates {
		if !g.chance(fraction) {
			continue
		}
		j := i + 1 + g.rng.IntN(window)
		if j < len(updates) {
			updates[i], updates[j] = updates[j], updates[i]
		}
	}
}

// repeatUpdates copies a fraction of updates into a later batch, so the same
// (wamid, status) arrives again inside a body that differs from the first.
func (g *gen) repeatUpdates(batches [][]statusUpdate, fraction float64) [][]statusUpdate {
	out := make([][]statusUpdate, len(batches))
	for i, b := range batches {
		out[i] = slices.Clone(b)
	}
	for i, b := range batches {
		for _, u := range b {
			if !g.chance(fraction) {
				continue
			}
			j := i + 1 + g.rng.IntN(3)
			if j >= len(out) {
				out = append(out, nil)
				j = len(out) - 1
			}
			out[j] = append(out[j], u)
		}
	}
	return out
}

// repeatBodies delivers a fraction of bodies a second time, byte for byte, a
// few bodies later, as Meta's retries do.
func (g *gen) repeatBodies(bodies [][]byte, fraction float64) [][]byte {
	later := map[int][][]byte{}
	for i, b := range bodies {
		if g.chance(fraction) {
			j := min(i+1+g.rng.IntN(4), len(bodies))
			later[j] = append(later[j], b)
		}
	}
	out := make([][]byte, 0, len(bodies)+len(later))
	for i := 0; i <= len(bodies); i++ {
		out = append(out, later[i]...)
		if i < len(bodies) {
			out = append(out, bodies[i])
		}
	}
	return out
}

func bodiesScenario(name string, bodies [][]byte, pace time.Duration) Scenario {
	events := make([]Event, len(bodies))
	for i, b := range bodies {
		events[i] = Event{Label: fmt.Sprintf("%s body %d", name, i+1), Body: b}
		if i > 0 {
			events[i].Delay = pace
		}
	}
	return Scenario{Name: name, Events: slices.Values(events)}
}
