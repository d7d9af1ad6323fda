package insights_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/optins"
)

// arm is how one experiment variant's messages fared in the script.
type arm struct {
	variant                   string
	prefix                    string // recipients' wa_id prefix
	messages, delivered, read int
	replied, optedOut         int
	failCode                  int
	failure                   metasim.MessageError
}

// playArm sends one message per contact, each with its statuses, replies
// and opt-outs, annotated with the experiment.
func playArm(t *testing.T, e *env, o *optins.Service, a arm, start time.Time) {
	t.Helper()
	var st []metasim.Status
	var taps []metasim.ButtonTap
	var anns []insights.Annotation
	for i := range a.messages {
		to := fmt.Sprintf("%s%05d", a.prefix, i)
		wamid := fmt.Sprintf("exp.%s.%d", a.variant, i)
		sent := start.Add(time.Duration(i) * 10 * time.Second)
		anns = append(anns, insights.Annotation{WAMID: wamid, TemplateName: "wording_" + a.variant,
			Experiment: "wording", Variant: a.variant})
		st = append(st, metasim.Status{WAMID: wamid, Status: "sent", Timestamp: sent, RecipientID: to})
		switch {
		case i >= a.delivered:
			st = append(st, metasim.Status{WAMID: wamid, Status: "failed", Timestamp: sent.Add(10 * time.Second),
				RecipientID: to, Errors: []metasim.MessageError{a.failure}})
		default:
			st = append(st, metasim.Status{WAMID: wamid, Status: "delivered", Timestamp: sent.Add(5 * time.Second), RecipientID: to})
			if i < a.read {
				st = append(st, metasim.Status{WAMID: wamid, Status: "read", Timestamp: sent.Add(time.Minute), RecipientID: to})
			}
			if i < a.replied {
				taps = append(taps, metasim.ButtonTap{From: to, Name: "x", WAMID: "reply." + wamid,
					Timestamp: sent.Add(2 * time.Minute), Payload: "MORE", Text: "More", ContextID: wamid})
			}
		}
		if i < a.optedOut {
			_, err := o.RecordConsent(e.ctx, e.tenant.ID, "tenant:test", optins.ConsentInput{
				Contact: optins.ContactRef{WaID: to}, Purpose: optins.PurposeMarketing, Action: optins.ActionOptOut,
				Source: optins.SourceAPI, Evidence: optins.Evidence{Note: "unsubscribed on the web"},
				OccurredAt: sent.Add(time.Hour)}, "")
			must(t, err)
		}
	}
	e.annotate(t, anns...)
	for len(st) > 0 {
		n := min(len(st), 100)
		e.deliver(t, e.statuses(st[:n]...))
		st = st[n:]
	}
	if len(taps) > 0 {
		e.deliver(t, e.taps(taps...))
	}
}

type experimentGolden struct {
	Variants []insights.VariantCounts `json:"variants"`
	Metrics  []insights.MetricResult  `json:"metrics"`
	Journey  struct {
		BeforeEntered   int64               `json:"before_entered"`
		BeforeCompleted int64               `json:"before_completed"`
		AfterEntered    int64               `json:"after_entered"`
		AfterCompleted  int64               `json:"after_completed"`
		Completion      insights.Comparison `json:"completion"`
	} `json:"journey_before_after"`
}

func TestGoldenExperiment(t *testing.T) {
	e := newEnv(t)
	o := optins.NewService(e.db)
	exp, err := e.insights.CreateExperiment(e.ctx, e.tenant.ID, insights.NewExperiment{Key: "wording", Name: "Short wording",
		Variants: []insights.Variant{{Key: "control", Weight: 50}, {Key: "short", Weight: 50}}}, "")
	must(t, err)
	start := at("2026-10-05T12:00:00Z")
	playArm(t, e, o, arm{variant: "control", prefix: "55119100", messages: 210, delivered: 200, read: 60, replied: 20,
		optedOut: 2, failure: metasim.HealthyEcosystemError}, start)
	playArm(t, e, o, arm{variant: "short", prefix: "55119200", messages: 205, delivered: 200, read: 100, replied: 22,
		optedOut: 6, failure: metasim.UndeliverableError}, start)

	j, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "onboard", Name: "Onboarding",
		Steps: []insights.Step{{Key: "signup", Match: insights.MatchEvent, Value: "signup"},
			{Key: "activate", Match: insights.MatchEvent, Value: "activate"}}}, "")
	must(t, err)
	var events []insights.Event
	cohort := func(first time.Time, prefix string, completed int) {
		for i := range 100 {
			c := fmt.Sprintf("%s%03d", prefix, i)
			in := first.Add(time.Duration(i) * 30 * time.Minute)
			events = append(events, insights.Event{ID: "s-" + c, Contact: c, Name: "signup", At: in})
			if i < completed {
				events = append(events, insights.Event{ID: "a-" + c, Contact: c, Name: "activate", At: in.Add(time.Hour)})
			}
		}
	}
	cohort(at("2026-10-01T12:00:00Z"), "5511930", 40)
	cohort(at("2026-10-05T12:00:00Z"), "5511940", 65)
	_, err = e.insights.RecordEvents(e.ctx, e.tenant.ID, events)
	must(t, err)

	var want experimentGolden
	readGolden(t, "testdata/experiment.json", &want)
	res, err := e.insights.ExperimentResults(e.ctx, e.tenant.ID, exp.ID, insights.Range{From: day("2026-10-01"), To: day("2026-10-31")})
	must(t, err)
	cmpJ, err := e.insights.CompareJourney(e.ctx, e.tenant.ID, j.ID, day("2026-10-01"), day("2026-10-05"), day("2026-10-10"))
	must(t, err)
	gotJ := want.Journey
	gotJ.BeforeEntered, gotJ.BeforeCompleted = cmpJ.Before.Entered, cmpJ.Before.Completed
	gotJ.AfterEntered, gotJ.AfterCompleted = cmpJ.After.Entered, cmpJ.After.Completed
	if cmpJ.Completion != nil {
		gotJ.Completion = *cmpJ.Completion
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"variant counts", res.Variants, want.Variants},
		{"metrics", res.Metrics, want.Metrics},
		{"journey before and after", gotJ, want.Journey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		})
	}
	e.mustRecount(t, e.tenant.ID)
}
