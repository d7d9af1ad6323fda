package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListPartnerTenants implements openapi.StrictServerInterface. An unknown
// partner is a 404 for admins; partners only ever reach their own.
func (s *Server) ListPartnerTenants(ctx context.Context, r openapi.ListPartnerTenantsRequestObject) (openapi.ListPartnerTenantsResponseObject, error) {
	if _, err := s.tenants.GetPartner(ctx, r.PartnerId); err != nil {
		return nil, err
	}
	l, err := s.tenants.ListTenants(ctx, tenants.TenantFilter{
		PartnerID: r.PartnerId,
		Query:     deref(r.Params.Q),
		Status:    string(deref(r.Params.Status)),
	}, page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListPartnerTenants200JSONResponse(toTenantList(l)), nil
}
