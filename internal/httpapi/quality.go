package httpapi

import (
	"context"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/quality"
)

var errNoQuality = apperr.New(apperr.Unavailable, "quality monitoring is not available")

// qualityPage converts the paging parameters for the quality domain.
func qualityPage(limit *int, cursor *string) quality.Page {
	p := page(limit, cursor)
	return quality.Page{Limit: p.Limit, Cursor: p.Cursor}
}

// GetQualitySummary implements openapi.StrictServerInterface.
func (s *Server) GetQualitySummary(ctx context.Context, r openapi.GetQualitySummaryRequestObject) (openapi.GetQualitySummaryResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	sum, err := s.quality.Summary(ctx, r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.GetQualitySummary200JSONResponse(toQualitySummary(sum)), nil
}

// ListQualityNumbers implements openapi.StrictServerInterface.
func (s *Server) ListQualityNumbers(ctx context.Context, r openapi.ListQualityNumbersRequestObject) (openapi.ListQualityNumbersResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	l, err := s.quality.ListNumbers(ctx, r.TenantId, quality.NumberFilter{
		WABAID: deref(r.Params.WabaId), QualityRating: deref(r.Params.QualityRating), Status: deref(r.Params.Status),
		PhoneNumberID: deref(r.Params.PhoneNumberId),
	}, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.QualityNumberList{Items: make([]openapi.QualityNumber, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, n := range l.Items {
		out.Items[i] = toQualityNumber(n)
	}
	return openapi.ListQualityNumbers200JSONResponse(out), nil
}

// GetQualityNumber implements openapi.StrictServerInterface.
func (s *Server) GetQualityNumber(ctx context.Context, r openapi.GetQualityNumberRequestObject) (openapi.GetQualityNumberResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	n, err := s.quality.GetNumber(ctx, r.TenantId, r.NumberId)
	if err != nil {
		return nil, err
	}
	return openapi.GetQualityNumber200JSONResponse(toQualityNumber(n)), nil
}

// ListQualityNumberHistory implements openapi.StrictServerInterface.
func (s *Server) ListQualityNumberHistory(ctx context.Context, r openapi.ListQualityNumberHistoryRequestObject) (openapi.ListQualityNumberHistoryResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	f := quality.HistoryFilter{Attribute: deref(r.Params.Attribute), From: deref(r.Params.From), To: deref(r.Params.To)}
	l, err := s.quality.NumberHistory(ctx, r.TenantId, r.NumberId, f, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListQualityNumberHistory200JSONResponse(toQualityHistory(l)), nil
}

// ListQualityAccountHistory implements openapi.StrictServerInterface.
func (s *Server) ListQualityAccountHistory(ctx context.Context, r openapi.ListQualityAccountHistoryRequestObject) (openapi.ListQualityAccountHistoryResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	f := quality.HistoryFilter{Attribute: deref(r.Params.Attribute), From: deref(r.Params.From), To: deref(r.Params.To)}
	l, err := s.quality.AccountHistory(ctx, r.TenantId, r.WabaId, f, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListQualityAccountHistory200JSONResponse(toQualityHistory(l)), nil
}

// GetQualityNumberDaily implements openapi.StrictServerInterface.
func (s *Server) GetQualityNumberDaily(ctx context.Context, r openapi.GetQualityNumberDailyRequestObject) (openapi.GetQualityNumberDailyResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	roll, err := s.quality.NumberDaily(ctx, r.TenantId, r.NumberId, dateOf(r.Params.From), dateOf(r.Params.To))
	if err != nil {
		return nil, err
	}
	return openapi.GetQualityNumberDaily200JSONResponse(toQualityRollup(roll)), nil
}

// ListQualityTemplates implements openapi.StrictServerInterface.
func (s *Server) ListQualityTemplates(ctx context.Context, r openapi.ListQualityTemplatesRequestObject) (openapi.ListQualityTemplatesResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	l, err := s.quality.ListTemplates(ctx, r.TenantId, quality.TemplateFilter{
		WABAID: deref(r.Params.WabaId), Status: deref(r.Params.Status),
		QualityScore: deref(r.Params.QualityScore), Category: deref(r.Params.Category),
		Name: deref(r.Params.Name), Language: deref(r.Params.Language),
	}, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.QualityTemplateList{Items: make([]openapi.QualityTemplate, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, t := range l.Items {
		out.Items[i] = toQualityTemplate(t)
	}
	return openapi.ListQualityTemplates200JSONResponse(out), nil
}

// GetQualityTemplate implements openapi.StrictServerInterface.
func (s *Server) GetQualityTemplate(ctx context.Context, r openapi.GetQualityTemplateRequestObject) (openapi.GetQualityTemplateResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	t, err := s.quality.GetTemplate(ctx, r.TenantId, r.TemplateId)
	if err != nil {
		return nil, err
	}
	return openapi.GetQualityTemplate200JSONResponse(toQualityTemplate(t)), nil
}

// ListQualityTemplateHistory implements openapi.StrictServerInterface.
func (s *Server) ListQualityTemplateHistory(ctx context.Context, r openapi.ListQualityTemplateHistoryRequestObject) (openapi.ListQualityTemplateHistoryResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	f := quality.HistoryFilter{Attribute: deref(r.Params.Attribute), From: deref(r.Params.From), To: deref(r.Params.To)}
	l, err := s.quality.TemplateHistory(ctx, r.TenantId, r.TemplateId, f, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListQualityTemplateHistory200JSONResponse(toQualityHistory(l)), nil
}

// GetQualityTemplateDaily implements openapi.StrictServerInterface.
func (s *Server) GetQualityTemplateDaily(ctx context.Context, r openapi.GetQualityTemplateDailyRequestObject) (openapi.GetQualityTemplateDailyResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	roll, err := s.quality.TemplateDaily(ctx, r.TenantId, r.TemplateId, dateOf(r.Params.From), dateOf(r.Params.To))
	if err != nil {
		return nil, err
	}
	return openapi.GetQualityTemplateDaily200JSONResponse(toQualityRollup(roll)), nil
}

// ListQualityAlerts implements openapi.StrictServerInterface.
func (s *Server) ListQualityAlerts(ctx context.Context, r openapi.ListQualityAlertsRequestObject) (openapi.ListQualityAlertsResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	f := quality.AlertFilter{Kind: deref(r.Params.Kind)}
	if r.Params.State != nil {
		f.State = string(*r.Params.State)
	}
	if r.Params.Severity != nil {
		f.Severity = string(*r.Params.Severity)
	}
	if r.Params.SubjectKind != nil {
		f.SubjectKind = string(*r.Params.SubjectKind)
	}
	l, err := s.quality.ListAlerts(ctx, r.TenantId, f, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListQualityAlerts200JSONResponse(toQualityAlertList(l)), nil
}

// AcknowledgeQualityAlert implements openapi.StrictServerInterface.
func (s *Server) AcknowledgeQualityAlert(ctx context.Context, r openapi.AcknowledgeQualityAlertRequestObject) (openapi.AcknowledgeQualityAlertResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	p := principal(ctx)
	by := p.ClientID.String()
	a, err := s.quality.AcknowledgeAlert(ctx, r.TenantId, r.AlertId, by)
	if err != nil {
		return nil, err
	}
	return openapi.AcknowledgeQualityAlert200JSONResponse(toQualityAlert(a)), nil
}

// ListQualityOverview implements openapi.StrictServerInterface.
func (s *Server) ListQualityOverview(ctx context.Context, r openapi.ListQualityOverviewRequestObject) (openapi.ListQualityOverviewResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	l, err := s.quality.AdminOverview(ctx, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.QualityTenantRiskList{Items: make([]openapi.QualityTenantRisk, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, t := range l.Items {
		out.Items[i] = openapi.QualityTenantRisk{
			TenantId: t.TenantID, TenantName: t.TenantName, Numbers: t.Numbers, WorstNumberRating: t.WorstNumberRating,
			NumbersNotConnected: t.NumbersNotConnected, Templates: t.Templates, WorstTemplateScore: t.WorstTemplateScore,
			TemplatesBlocked: t.TemplatesBlocked, OpenCritical: t.OpenCritical, OpenWarning: t.OpenWarning,
			OpenInfo: t.OpenInfo, Risk: t.Risk,
		}
	}
	return openapi.ListQualityOverview200JSONResponse(out), nil
}

// ListOpenQualityAlerts implements openapi.StrictServerInterface.
func (s *Server) ListOpenQualityAlerts(ctx context.Context, r openapi.ListOpenQualityAlertsRequestObject) (openapi.ListOpenQualityAlertsResponseObject, error) {
	if s.quality == nil {
		return nil, errNoQuality
	}
	f := quality.AlertFilter{Kind: deref(r.Params.Kind)}
	if r.Params.Severity != nil {
		f.Severity = string(*r.Params.Severity)
	}
	if r.Params.SubjectKind != nil {
		f.SubjectKind = string(*r.Params.SubjectKind)
	}
	l, err := s.quality.AdminAlerts(ctx, f, qualityPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListOpenQualityAlerts200JSONResponse(toQualityAlertList(l)), nil
}

// dateOf turns an optional API date into the calendar date the domain
// expects (zero when absent).
func dateOf(d *openapi_types.Date) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}
