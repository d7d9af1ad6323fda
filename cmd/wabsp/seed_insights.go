package main

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/insights"
)

// demoJourney follows the quick-reply taps the demo traffic plays, so the
// console's journey table fills as the demo runs.
var demoJourney = insights.NewJourney{Key: "order-help", Name: "Order help", Steps: []insights.Step{
	{Key: "track", Match: insights.MatchButton, Value: "ORDER_STATUS"},
	{Key: "confirm", Match: insights.MatchButton, Value: "YES"},
}}

var demoExperiment = insights.NewExperiment{Key: "order-help-wording", Name: "Order help wording",
	Variants: []insights.Variant{{Key: "plain", Weight: 50}, {Key: "friendly", Weight: 50}}}

// seedDemoInsights defines the demo tenant's journey and experiment,
// unless an earlier run did (idempotency keys expire, the definitions do
// not).
func seedDemoInsights(ctx context.Context, svc *insights.Service, tenantID uuid.UUID) error {
	js, err := svc.Journeys(ctx, tenantID, insights.Page{Limit: 100})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(js.Items, func(j insights.Journey) bool { return j.Key == demoJourney.Key })
	if i >= 0 {
		return nil
	}
	j, err := svc.CreateJourney(ctx, tenantID, demoJourney, "")
	if err != nil {
		return err
	}
	e := demoExperiment
	e.JourneyID = &j.ID
	_, err = svc.CreateExperiment(ctx, tenantID, e, "")
	return err
}
