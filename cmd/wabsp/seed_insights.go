package main

import (
	"context"
	"log/slog"
	"slices"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
)

// demoJourney follows the quick-reply taps the demo traffic plays, so the
// console's journey table fills as the demo runs.
var demoJourney = insights.NewJourney{Key: "order-help", Name: "Order help", Steps: []insights.Step{
	{Key: "track", Match: insights.MatchButton, Value: "ORDER_STATUS"},
	{Key: "confirm", Match: insights.MatchButton, Value: "YES"},
}}

var demoExperiment = insights.NewExperiment{Key: "order-help-wording", Name: "Order help wording",
	Variants: []insights.Variant{{Key: "plain", Weight: 50}, {Key: "friendly", Weight: 50}}}

// seedDemoInsights defines the demo tenant's journey and experiment unless
// an earlier run did (idempotency keys expire, the definitions do not), and
// returns the experiment.
func seedDemoInsights(ctx context.Context, svc *insights.Service, tenantID uuid.UUID) (insights.Experiment, error) {
	js, err := svc.Journeys(ctx, tenantID, insights.Page{Limit: 100})
	if err != nil {
		return insights.Experiment{}, err
	}
	var journeyID uuid.UUID
	if i := slices.IndexFunc(js.Items, func(j insights.Journey) bool { return j.Key == demoJourney.Key }); i >= 0 {
		journeyID = js.Items[i].ID
	} else {
		j, err := svc.CreateJourney(ctx, tenantID, demoJourney, "")
		if err != nil {
			return insights.Experiment{}, err
		}
		journeyID = j.ID
	}
	es, err := svc.Experiments(ctx, tenantID, insights.Page{Limit: 100})
	if err != nil {
		return insights.Experiment{}, err
	}
	if i := slices.IndexFunc(es.Items, func(e insights.Experiment) bool { return e.Key == demoExperiment.Key }); i >= 0 {
		return es.Items[i], nil
	}
	e := demoExperiment
	e.JourneyID = &journeyID
	return svc.CreateExperiment(ctx, tenantID, e, "")
}

// annotator labels outbound messages (insights.Service).
type annotator interface {
	Annotate(ctx context.Context, tenantID uuid.UUID, anns []insights.Annotation, key string) (insights.AnnotateResult, error)
}

// demoVariants labels the demo tenant's outbound messages as its own
// sender would in a running experiment: each message with the variant its
// recipient is assigned, so the experiment's results fill as statuses
// arrive. Messages of other tenants' WABAs are left alone. A failed label is
// logged and the traffic goes on.
func demoVariants(ctx context.Context, log *slog.Logger, ann annotator, tenantID uuid.UUID, wabas []string, e insights.Experiment) func(metasim.Send) error {
	return func(s metasim.Send) error {
		if !slices.Contains(wabas, s.Number.WABAID) {
			return nil
		}
		a := insights.Annotation{WAMID: s.WAMID, Experiment: e.Key, Variant: e.Assign(s.To)}
		if _, err := ann.Annotate(ctx, tenantID, []insights.Annotation{a}, ""); err != nil && ctx.Err() == nil {
			log.Warn("demo: label a send with its variant", "wamid", s.WAMID, "err", err)
		}
		return nil
	}
}
