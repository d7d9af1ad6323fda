package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
)

var errNoInsights = apperr.New(apperr.Unavailable, "insights are not available")

// insightsPage converts the paging parameters for the insights domain.
func insightsPage(limit *int, cursor *string) insights.Page {
	p := page(limit, cursor)
	return insights.Page{Limit: p.Limit, Cursor: p.Cursor}
}

// AnnotateMessages implements openapi.StrictServerInterface.
func (s *Server) AnnotateMessages(ctx context.Context, r openapi.AnnotateMessagesRequestObject) (openapi.AnnotateMessagesResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	anns := make([]insights.Annotation, len(r.Body.Annotations))
	for i, a := range r.Body.Annotations {
		anns[i] = fromAnnotation(a)
	}
	res, err := s.insights.Annotate(ctx, r.TenantId, anns, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.AnnotateMessages200JSONResponse{Annotated: res.Annotated, Seen: res.Seen}, nil
}

// RecordInsightEvents implements openapi.StrictServerInterface.
func (s *Server) RecordInsightEvents(ctx context.Context, r openapi.RecordInsightEventsRequestObject) (openapi.RecordInsightEventsResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	events := make([]insights.Event, len(r.Body.Events))
	for i, e := range r.Body.Events {
		events[i] = insights.Event{ID: deref(e.Id), Contact: e.Contact, Name: e.Name, At: e.At}
	}
	n, err := s.insights.RecordEvents(ctx, r.TenantId, events)
	if err != nil {
		return nil, err
	}
	return openapi.RecordInsightEvents200JSONResponse{Recorded: n}, nil
}

// GetResponseTimes implements openapi.StrictServerInterface.
func (s *Server) GetResponseTimes(ctx context.Context, r openapi.GetResponseTimesRequestObject) (openapi.GetResponseTimesResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	p := r.Params
	q := insights.ResponseQuery{Range: insightRange(p.From, p.To), PhoneNumberID: deref(p.PhoneNumberId),
		Agent: deref(p.Agent), Automated: p.Automated}
	if p.Clock != nil {
		q.Clock = string(*p.Clock)
	}
	if p.GroupBy != nil {
		q.GroupBy = string(*p.GroupBy)
	}
	rt, err := s.insights.ResponseTimes(ctx, r.TenantId, q)
	if err != nil {
		return nil, err
	}
	return openapi.GetResponseTimes200JSONResponse(toResponseTimes(rt)), nil
}

// GetMessageFunnel implements openapi.StrictServerInterface.
func (s *Server) GetMessageFunnel(ctx context.Context, r openapi.GetMessageFunnelRequestObject) (openapi.GetMessageFunnelResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	p := r.Params
	q := insights.FunnelQuery{Range: insightRange(p.From, p.To), PhoneNumberID: deref(p.PhoneNumberId),
		Template: deref(p.Template), Campaign: deref(p.Campaign)}
	for _, g := range deref(p.GroupBy) {
		q.GroupBy = append(q.GroupBy, string(g))
	}
	f, err := s.insights.Funnel(ctx, r.TenantId, q)
	if err != nil {
		return nil, err
	}
	return openapi.GetMessageFunnel200JSONResponse(toMessageFunnel(f)), nil
}

// GetBusiestHours implements openapi.StrictServerInterface.
func (s *Server) GetBusiestHours(ctx context.Context, r openapi.GetBusiestHoursRequestObject) (openapi.GetBusiestHoursResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	p := r.Params
	h, err := s.insights.BusiestHours(ctx, r.TenantId, insights.HoursQuery{Range: insightRange(p.From, p.To),
		PhoneNumberID: deref(p.PhoneNumberId)})
	if err != nil {
		return nil, err
	}
	return openapi.GetBusiestHours200JSONResponse(toBusiestHours(h)), nil
}

// GetContactActivity implements openapi.StrictServerInterface.
func (s *Server) GetContactActivity(ctx context.Context, r openapi.GetContactActivityRequestObject) (openapi.GetContactActivityResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	p := r.Params
	q := insights.ContactsQuery{Range: insightRange(p.From, p.To)}
	if p.Grain != nil {
		q.Grain = string(*p.Grain)
	}
	a, err := s.insights.ContactActivity(ctx, r.TenantId, q)
	if err != nil {
		return nil, err
	}
	return openapi.GetContactActivity200JSONResponse(toContactActivity(a)), nil
}

// GetBusinessHours implements openapi.StrictServerInterface.
func (s *Server) GetBusinessHours(ctx context.Context, r openapi.GetBusinessHoursRequestObject) (openapi.GetBusinessHoursResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	h, err := s.insights.BusinessHours(ctx, r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.GetBusinessHours200JSONResponse(toBusinessHours(h)), nil
}

// SetBusinessHours implements openapi.StrictServerInterface.
func (s *Server) SetBusinessHours(ctx context.Context, r openapi.SetBusinessHoursRequestObject) (openapi.SetBusinessHoursResponseObject, error) {
	if s.insights == nil {
		return nil, errNoInsights
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	h, err := s.insights.SetBusinessHours(ctx, r.TenantId, fromBusinessHours(*r.Body))
	if err != nil {
		return nil, err
	}
	return openapi.SetBusinessHours200JSONResponse(toBusinessHours(h)), nil
}
