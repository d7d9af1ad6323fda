package insights_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// newOtherTenant is a second tenant of e's database.
func newOtherTenant(t *testing.T, e *env) uuid.UUID {
	t.Helper()
	return tenantstest.MustCreateTenant(t, e.tenants, "Other Co").ID
}

func TestAnnotateValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		anns []insights.Annotation
		code apperr.Code
	}{
		{"none", nil, apperr.Invalid},
		{"no wamid", []insights.Annotation{{Agent: "a"}}, apperr.Invalid},
		{"variant without experiment", []insights.Annotation{{WAMID: "w", Variant: "b"}}, apperr.Invalid},
		{"step without journey", []insights.Annotation{{WAMID: "w", JourneyStep: "s"}}, apperr.Invalid},
		{"bad experiment key", []insights.Annotation{{WAMID: "w", Experiment: "a b"}}, apperr.Invalid},
		{"too long", []insights.Annotation{{WAMID: "w", Agent: strings.Repeat("x", 201)}}, apperr.Invalid},
		{"valid", []insights.Annotation{{WAMID: "w", Agent: "a", Experiment: "e", Variant: "b"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.insights.Annotate(e.ctx, e.tenant.ID, tt.anns, "")
			if got := apperr.CodeOf(err); (tt.code == "") != (err == nil) || (err != nil && got != tt.code) {
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
		})
	}
}

func TestAnnotateIdempotency(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, e.statuses(status("w1", waA, "sent", "2026-10-05T12:00:00Z")))
	first := []insights.Annotation{{WAMID: "w1", Agent: "alice"}, {WAMID: "w2", Agent: "alice"}}
	tests := []struct {
		name string
		anns []insights.Annotation
		key  string
		want insights.AnnotateResult
		code apperr.Code
	}{
		{"first write", first, "k1", insights.AnnotateResult{Annotated: 2, Seen: 1}, ""},
		{"same key and body replays the result", first, "k1", insights.AnnotateResult{Annotated: 2, Seen: 1}, ""},
		{"same key, other body", []insights.Annotation{{WAMID: "w1", Agent: "bob"}}, "k1", insights.AnnotateResult{}, apperr.Conflict},
		{"no key writes again", []insights.Annotation{{WAMID: "w1", Agent: "bob"}}, "", insights.AnnotateResult{Annotated: 1, Seen: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.insights.Annotate(e.ctx, e.tenant.ID, tt.anns, tt.key)
			if apperr.CodeOf(err) != tt.code && !(tt.code == "" && err == nil) {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	f, err := e.insights.Funnel(e.ctx, e.tenant.ID, insights.FunnelQuery{Range: insights.Range{From: day("2026-10-05"), To: day("2026-10-06")}})
	must(t, err)
	if f.Total.Messages != 1 {
		t.Errorf("messages = %d, want 1 (w2 has no status yet)", f.Total.Messages)
	}
	e.mustRecount(t, e.tenant.ID)
}

func TestJourneysAndExperiments(t *testing.T) {
	e := newEnv(t)
	steps := []insights.Step{{Key: "a", Match: insights.MatchTemplate, Value: "t1"}, {Key: "b", Match: insights.MatchEvent, Value: "done"}}
	j, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "j1", Name: "J", Steps: steps}, "")
	must(t, err)
	jid := j.ID
	tests := []struct {
		name string
		run  func() error
		code apperr.Code
	}{
		{"duplicate journey key", func() error {
			_, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "j1", Name: "J", Steps: steps}, "")
			return err
		}, apperr.Conflict},
		{"one step", func() error {
			_, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "j2", Name: "J", Steps: steps[:1]}, "")
			return err
		}, apperr.Invalid},
		{"duplicate matcher", func() error {
			_, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "j3", Name: "J",
				Steps: []insights.Step{steps[0], {Key: "c", Match: insights.MatchTemplate, Value: "t1"}}}, "")
			return err
		}, apperr.Invalid},
		{"unknown match", func() error {
			_, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "j4", Name: "J",
				Steps: []insights.Step{steps[0], {Key: "c", Match: "smoke", Value: "x"}}}, "")
			return err
		}, apperr.Invalid},
		{"journey of another tenant", func() error {
			other := newOtherTenant(t, e)
			_, err := e.insights.Journey(e.ctx, other, jid)
			return err
		}, apperr.NotFound},
		{"experiment with one variant", func() error {
			_, err := e.insights.CreateExperiment(e.ctx, e.tenant.ID, insights.NewExperiment{Key: "x", Name: "X",
				Variants: []insights.Variant{{Key: "a", Weight: 1}}}, "")
			return err
		}, apperr.Invalid},
		{"experiment with zero weight", func() error {
			_, err := e.insights.CreateExperiment(e.ctx, e.tenant.ID, insights.NewExperiment{Key: "x", Name: "X",
				Variants: []insights.Variant{{Key: "a", Weight: 1}, {Key: "b", Weight: 0}}}, "")
			return err
		}, apperr.Invalid},
		{"experiment on a missing journey", func() error {
			missing := uuid.New()
			_, err := e.insights.CreateExperiment(e.ctx, e.tenant.ID, insights.NewExperiment{Key: "x", Name: "X",
				Variants: []insights.Variant{{Key: "a", Weight: 1}, {Key: "b", Weight: 1}}, JourneyID: &missing}, "")
			return err
		}, apperr.Invalid},
		{"assignment without contact", func() error {
			_, err := e.insights.AssignVariant(e.ctx, e.tenant.ID, uuid.New(), "")
			return err
		}, apperr.Invalid},
		{"assignment of a missing experiment", func() error {
			_, err := e.insights.AssignVariant(e.ctx, e.tenant.ID, uuid.New(), waA)
			return err
		}, apperr.NotFound},
		{"delete journey", func() error { return e.insights.DeleteJourney(e.ctx, e.tenant.ID, jid) }, ""},
		{"delete it again", func() error { return e.insights.DeleteJourney(e.ctx, e.tenant.ID, jid) }, apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if (tt.code == "") != (err == nil) || (err != nil && apperr.CodeOf(err) != tt.code) {
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
		})
	}
}

func TestExperimentListAndAssignment(t *testing.T) {
	e := newEnv(t)
	var ids []uuid.UUID
	for _, k := range []string{"e1", "e2", "e3"} {
		x, err := e.insights.CreateExperiment(e.ctx, e.tenant.ID, insights.NewExperiment{Key: k, Name: k,
			Variants: []insights.Variant{{Key: "a", Weight: 1}, {Key: "b", Weight: 1}}}, "")
		must(t, err)
		ids = append(ids, x.ID)
		e.now = e.now.Add(time.Millisecond)
	}
	p1, err := e.insights.Experiments(e.ctx, e.tenant.ID, insights.Page{Limit: 2})
	must(t, err)
	p2, err := e.insights.Experiments(e.ctx, e.tenant.ID, insights.Page{Limit: 2, Cursor: p1.NextCursor})
	must(t, err)
	var got []uuid.UUID
	for _, x := range append(p1.Items, p2.Items...) {
		got = append(got, x.ID)
	}
	if diff := cmp.Diff([]uuid.UUID{ids[2], ids[1], ids[0]}, got); diff != "" || p2.NextCursor != "" {
		t.Errorf("pages (-want +got):\n%s (next %q)", diff, p2.NextCursor)
	}
	a1, err := e.insights.AssignVariant(e.ctx, e.tenant.ID, ids[0], waA)
	must(t, err)
	a2, err := e.insights.AssignVariant(e.ctx, e.tenant.ID, ids[0], waA)
	must(t, err)
	if a1 != a2 || a1.Experiment != "e1" || (a1.Variant != "a" && a1.Variant != "b") {
		t.Errorf("assignments %+v and %+v", a1, a2)
	}
}

func TestContactsGainedBySource(t *testing.T) {
	e := newEnv(t)
	o := optins.NewService(e.db)
	for _, wa := range []string{waA, waB} {
		_, err := o.CreateContact(e.ctx, e.tenant.ID, optins.NewContact{WaID: wa})
		must(t, err)
	}
	// Contacts are stamped with the database clock, not the scripted one.
	now := time.Now()
	r := insights.Range{From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 2)}
	got, err := e.insights.ContactActivity(e.ctx, e.tenant.ID, insights.ContactsQuery{Range: r})
	must(t, err)
	if diff := cmp.Diff([]insights.SourceCount{{Source: "api", Contacts: 2}}, got.GainedBySource); diff != "" {
		t.Errorf("gained by source (-want +got):\n%s", diff)
	}
}

func TestDefaultRange(t *testing.T) {
	e := newEnv(t) // the scripted clock reads 2026-10-08 12:00 UTC
	e.deliver(t, e.statuses(status("recent", waA, "sent", "2026-10-08T11:00:00Z"),
		status("month-old", waA, "sent", "2026-09-08T02:00:00Z"), status("older", waA, "sent", "2026-09-01T12:00:00Z")))
	tests := []struct {
		name string
		r    insights.Range
		want int64
	}{
		{"last 30 days", insights.Range{}, 1},
		{"the 30 days before a day", insights.Range{To: day("2026-10-01")}, 2},
		{"from a day", insights.Range{From: day("2026-09-01")}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := e.insights.Funnel(e.ctx, e.tenant.ID, insights.FunnelQuery{Range: tt.r})
			must(t, err)
			if f.Total.Messages != tt.want {
				t.Errorf("messages = %d, want %d", f.Total.Messages, tt.want)
			}
		})
	}
}
