package metasim

import (
	"iter"
	"slices"
	"time"
)

// Scenario is a named, ordered stream of events. Finite scenarios end; Demo
// never does, so consumers stop it by ceasing to iterate.
type Scenario struct {
	Name   string
	Events iter.Seq[Event]
}

// Event is one step of a scenario.
type Event struct {
	Label string
	// Delay is the pacing hint: how long after the previous event of the
	// same scenario this one is due. The event's timestamps follow the same
	// spacing.
	Delay time.Duration
	// Body is the webhook body to deliver. It is nil for steps Meta sends no
	// webhook for (a phone number's quality moving between GREEN and YELLOW
	// is only visible by polling the Graph).
	Body []byte
	// Apply changes the attached Graph to match the event, or tells the
	// business side what it sent (DemoOptions.OnSend); the Runner calls it
	// just before delivering Body. Nil when there is nothing to tell.
	Apply func() error
}

// StepOptions shapes the scripted scenarios (QualityDropAndRecovery,
// TemplatePausedThenDisabled).
type StepOptions struct {
	// Graph, when set, is changed along with the webhooks, so polling sees
	// the state the webhooks announce.
	Graph *Graph
	// Start is the time of the first event; zero means time.Now().
	Start time.Time
	// Step is the spacing between events, in pacing and in timestamps;
	// zero means 2 seconds.
	Step time.Duration
	// Limit is the current_limit quality webhooks carry; default TIER_10K.
	Limit string
}

func (o StepOptions) withDefaults() StepOptions {
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	if o.Step <= 0 {
		o.Step = 2 * time.Second
	}
	o.Limit = orDefault(o.Limit, "TIER_10K")
	return o
}

// step is a scenario step before it is dated: the body is built for the time
// the step happens, which the finite scenarios fix up front and Demo decides
// as it goes.
type step struct {
	label string
	body  func(at time.Time) []byte
	apply func(g *Graph) error
}

// materialize dates steps from start, one gap apart, into a finite scenario.
func materialize(name string, steps []step, g *Graph, start time.Time, gap time.Duration) Scenario {
	events := make([]Event, 0, len(steps))
	at := start
	for i, s := range steps {
		ev := s.event(g, at)
		if i > 0 {
			ev.Delay = gap
		}
		events = append(events, ev)
		at = at.Add(gap)
	}
	return Scenario{Name: name, Events: slices.Values(events)}
}

// event builds the step's event for time at, binding Apply to g.
func (s step) event(g *Graph, at time.Time) Event {
	ev := Event{Label: s.label}
	if s.body != nil {
		ev.Body = s.body(at)
	}
	if s.apply != nil && g != nil {
		apply := s.apply
		ev.Apply = func() error { return apply(g) }
	}
	return ev
}
