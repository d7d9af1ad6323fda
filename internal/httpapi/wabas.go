package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListWabas implements openapi.StrictServerInterface.
func (s *Server) ListWabas(ctx context.Context, r openapi.ListWabasRequestObject) (openapi.ListWabasResponseObject, error) {
	l, err := s.tenants.ListWABAs(ctx, r.TenantId, page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.WABAList{Items: make([]openapi.WABA, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, w := range l.Items {
		out.Items[i] = toWABA(w)
	}
	return openapi.ListWabas200JSONResponse(out), nil
}

// CreateWaba implements openapi.StrictServerInterface.
func (s *Server) CreateWaba(ctx context.Context, r openapi.CreateWabaRequestObject) (openapi.CreateWabaResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	w, err := s.tenants.CreateWABA(ctx, actor(ctx), r.TenantId, tenants.NewWABA{
		WABAID:      r.Body.WabaId,
		BusinessID:  deref(r.Body.BusinessId),
		Name:        deref(r.Body.Name),
		Currency:    deref(r.Body.Currency),
		TimeZone:    deref(r.Body.TimeZone),
		AccessToken: deref(r.Body.AccessToken),
	})
	if err != nil {
		return nil, err
	}
	s.onboarded(ctx)
	if s.onboard != nil && w.HasAccessToken {
		// The WABA exists either way; if queueing fails, the scheduler
		// onboards unsubscribed WABAs within minutes.
		if err := s.onboard.OnboardWABA(ctx, r.TenantId, w.ID); err != nil {
			s.log.Warn("WABA onboarding not queued; the scheduler will onboard it", "waba_id", w.WABAID, "err", err,
				"request_id", requestIDFrom(ctx))
		}
	}
	return openapi.CreateWaba201JSONResponse(toWABA(w)), nil
}

// GetWaba implements openapi.StrictServerInterface.
func (s *Server) GetWaba(ctx context.Context, r openapi.GetWabaRequestObject) (openapi.GetWabaResponseObject, error) {
	w, err := s.tenants.GetWABA(ctx, r.TenantId, r.WabaRef)
	if err != nil {
		return nil, err
	}
	return openapi.GetWaba200JSONResponse(toWABA(w)), nil
}

// UpdateWaba implements openapi.StrictServerInterface.
func (s *Server) UpdateWaba(ctx context.Context, r openapi.UpdateWabaRequestObject) (openapi.UpdateWabaResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	w, err := s.tenants.UpdateWABA(ctx, actor(ctx), r.TenantId, r.WabaRef, tenants.WABAPatch{
		BusinessID:       r.Body.BusinessId,
		Name:             r.Body.Name,
		Currency:         r.Body.Currency,
		TimeZone:         r.Body.TimeZone,
		AccessToken:      r.Body.AccessToken,
		ClearAccessToken: deref(r.Body.ClearAccessToken),
	})
	if err != nil {
		return nil, err
	}
	return openapi.UpdateWaba200JSONResponse(toWABA(w)), nil
}

// DeleteWaba implements openapi.StrictServerInterface.
func (s *Server) DeleteWaba(ctx context.Context, r openapi.DeleteWabaRequestObject) (openapi.DeleteWabaResponseObject, error) {
	if err := s.tenants.DeleteWABA(ctx, actor(ctx), r.TenantId, r.WabaRef); err != nil {
		return nil, err
	}
	return openapi.DeleteWaba204Response{}, nil
}
