package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListTenants implements openapi.StrictServerInterface.
func (s *Server) ListTenants(ctx context.Context, r openapi.ListTenantsRequestObject) (openapi.ListTenantsResponseObject, error) {
	l, err := s.tenants.ListTenants(ctx, tenants.TenantFilter{
		Query:  deref(r.Params.Q),
		Status: string(deref(r.Params.Status)),
	}, page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListTenants200JSONResponse(toTenantList(l)), nil
}

// CreateTenant implements openapi.StrictServerInterface.
func (s *Server) CreateTenant(ctx context.Context, r openapi.CreateTenantRequestObject) (openapi.CreateTenantResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	t, err := s.tenants.CreateTenant(ctx, actor(ctx), tenants.NewTenant{
		Name:          r.Body.Name,
		Slug:          r.Body.Slug,
		TimeZone:      deref(r.Body.TimeZone),
		Currency:      deref(r.Body.Currency),
		Plan:          deref(r.Body.Plan),
		RetentionDays: deref(r.Body.RetentionDays),
	})
	if err != nil {
		return nil, err
	}
	return openapi.CreateTenant201JSONResponse(toTenant(t)), nil
}

// SuspendTenant implements openapi.StrictServerInterface.
func (s *Server) SuspendTenant(ctx context.Context, r openapi.SuspendTenantRequestObject) (openapi.SuspendTenantResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	t, err := s.tenants.SuspendTenant(ctx, actor(ctx), r.TenantId, r.Body.Reason)
	if err != nil {
		return nil, err
	}
	return openapi.SuspendTenant200JSONResponse(toTenant(t)), nil
}

// ResumeTenant implements openapi.StrictServerInterface.
func (s *Server) ResumeTenant(ctx context.Context, r openapi.ResumeTenantRequestObject) (openapi.ResumeTenantResponseObject, error) {
	t, err := s.tenants.ResumeTenant(ctx, actor(ctx), r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.ResumeTenant200JSONResponse(toTenant(t)), nil
}
