package httpapi

import (
	"context"
	"time"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/openapi"
)

// ListJourneys implements openapi.StrictServerInterface.
func (s *Server) ListJourneys(ctx context.Context, r openapi.ListJourneysRequestObject) (openapi.ListJourneysResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	l, err := s.insights.Journeys(ctx, r.TenantId, insightsPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.JourneyList{Items: make([]openapi.Journey, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, j := range l.Items {
		out.Items[i] = toJourney(j)
	}
	return openapi.ListJourneys200JSONResponse(out), nil
}

// CreateJourney implements openapi.StrictServerInterface.
func (s *Server) CreateJourney(ctx context.Context, r openapi.CreateJourneyRequestObject) (openapi.CreateJourneyResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	n := insights.NewJourney{Key: r.Body.Key, Name: r.Body.Name, Steps: make([]insights.Step, len(r.Body.Steps))}
	for i, st := range r.Body.Steps {
		n.Steps[i] = insights.Step{Key: st.Key, Match: insights.Match(st.Match), Value: st.Value}
	}
	j, err := s.insights.CreateJourney(ctx, r.TenantId, n, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.CreateJourney201JSONResponse(toJourney(j)), nil
}

// GetJourney implements openapi.StrictServerInterface.
func (s *Server) GetJourney(ctx context.Context, r openapi.GetJourneyRequestObject) (openapi.GetJourneyResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	j, err := s.insights.Journey(ctx, r.TenantId, r.JourneyId)
	if err != nil {
		return nil, err
	}
	return openapi.GetJourney200JSONResponse(toJourney(j)), nil
}

// DeleteJourney implements openapi.StrictServerInterface.
func (s *Server) DeleteJourney(ctx context.Context, r openapi.DeleteJourneyRequestObject) (openapi.DeleteJourneyResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if err := s.insights.DeleteJourney(ctx, r.TenantId, r.JourneyId); err != nil {
		return nil, err
	}
	return openapi.DeleteJourney204Response{}, nil
}

// GetJourneyResults implements openapi.StrictServerInterface.
func (s *Server) GetJourneyResults(ctx context.Context, r openapi.GetJourneyResultsRequestObject) (openapi.GetJourneyResultsResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	res, err := s.insights.JourneyResults(ctx, r.TenantId, r.JourneyId, insightRange(r.Params.From, r.Params.To))
	if err != nil {
		return nil, err
	}
	return openapi.GetJourneyResults200JSONResponse(toJourneyResults(res)), nil
}

// CompareJourney implements openapi.StrictServerInterface.
func (s *Server) CompareJourney(ctx context.Context, r openapi.CompareJourneyRequestObject) (openapi.CompareJourneyResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	p := r.Params
	rg := insightRange(p.From, p.To)
	var boundary time.Time
	if p.Boundary != nil {
		boundary = p.Boundary.Time
	}
	c, err := s.insights.CompareJourney(ctx, r.TenantId, r.JourneyId, rg.From, boundary, rg.To)
	if err != nil {
		return nil, err
	}
	out := openapi.JourneyComparison{Before: toJourneyResults(c.Before), After: toJourneyResults(c.After),
		Completion: toComparison(c.Completion), Reach: make([]openapi.JourneyStepComparison, len(c.Reach))}
	for i, st := range c.Reach {
		out.Reach[i] = openapi.JourneyStepComparison{Step: st.Step, Key: st.Key, Comparison: toComparison(st.Comparison)}
	}
	return openapi.CompareJourney200JSONResponse(out), nil
}

// ListExperiments implements openapi.StrictServerInterface.
func (s *Server) ListExperiments(ctx context.Context, r openapi.ListExperimentsRequestObject) (openapi.ListExperimentsResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	l, err := s.insights.Experiments(ctx, r.TenantId, insightsPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ExperimentList{Items: make([]openapi.Experiment, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, x := range l.Items {
		out.Items[i] = toExperiment(x)
	}
	return openapi.ListExperiments200JSONResponse(out), nil
}

// CreateExperiment implements openapi.StrictServerInterface.
func (s *Server) CreateExperiment(ctx context.Context, r openapi.CreateExperimentRequestObject) (openapi.CreateExperimentResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	n := insights.NewExperiment{Key: r.Body.Key, Name: r.Body.Name, JourneyID: r.Body.JourneyId,
		Variants: make([]insights.Variant, len(r.Body.Variants))}
	for i, v := range r.Body.Variants {
		n.Variants[i] = insights.Variant{Key: v.Key, Weight: v.Weight}
	}
	x, err := s.insights.CreateExperiment(ctx, r.TenantId, n, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.CreateExperiment201JSONResponse(toExperiment(x)), nil
}

// GetExperiment implements openapi.StrictServerInterface.
func (s *Server) GetExperiment(ctx context.Context, r openapi.GetExperimentRequestObject) (openapi.GetExperimentResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	x, err := s.insights.Experiment(ctx, r.TenantId, r.ExperimentId)
	if err != nil {
		return nil, err
	}
	return openapi.GetExperiment200JSONResponse(toExperiment(x)), nil
}

// DeleteExperiment implements openapi.StrictServerInterface.
func (s *Server) DeleteExperiment(ctx context.Context, r openapi.DeleteExperimentRequestObject) (openapi.DeleteExperimentResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if err := s.insights.DeleteExperiment(ctx, r.TenantId, r.ExperimentId); err != nil {
		return nil, err
	}
	return openapi.DeleteExperiment204Response{}, nil
}

// GetExperimentAssignment implements openapi.StrictServerInterface.
func (s *Server) GetExperimentAssignment(ctx context.Context, r openapi.GetExperimentAssignmentRequestObject) (openapi.GetExperimentAssignmentResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	a, err := s.insights.AssignVariant(ctx, r.TenantId, r.ExperimentId, deref(r.Params.Contact))
	if err != nil {
		return nil, err
	}
	return openapi.GetExperimentAssignment200JSONResponse{Experiment: a.Experiment, Contact: a.Contact, Variant: a.Variant}, nil
}

// GetExperimentResults implements openapi.StrictServerInterface.
func (s *Server) GetExperimentResults(ctx context.Context, r openapi.GetExperimentResultsRequestObject) (openapi.GetExperimentResultsResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	res, err := s.insights.ExperimentResults(ctx, r.TenantId, r.ExperimentId, insightRange(r.Params.From, r.Params.To))
	if err != nil {
		return nil, err
	}
	return openapi.GetExperimentResults200JSONResponse(toExperimentResults(res)), nil
}
