package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

var errNoBody = apperr.InvalidField("body", "is required")

// GetTenant implements openapi.StrictServerInterface.
func (s *Server) GetTenant(ctx context.Context, r openapi.GetTenantRequestObject) (openapi.GetTenantResponseObject, error) {
	t, err := s.tenants.GetTenant(ctx, r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.GetTenant200JSONResponse(toTenant(t)), nil
}

// UpdateTenant implements openapi.StrictServerInterface.
func (s *Server) UpdateTenant(ctx context.Context, r openapi.UpdateTenantRequestObject) (openapi.UpdateTenantResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	t, err := s.tenants.UpdateTenant(ctx, actor(ctx), r.TenantId, tenants.TenantPatch{
		Name:          r.Body.Name,
		TimeZone:      r.Body.TimeZone,
		Currency:      r.Body.Currency,
		Plan:          r.Body.Plan,
		RetentionDays: r.Body.RetentionDays,
	})
	if err != nil {
		return nil, err
	}
	return openapi.UpdateTenant200JSONResponse(toTenant(t)), nil
}
