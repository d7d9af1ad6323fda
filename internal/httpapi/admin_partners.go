package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListPartners implements openapi.StrictServerInterface.
func (s *Server) ListPartners(ctx context.Context, r openapi.ListPartnersRequestObject) (openapi.ListPartnersResponseObject, error) {
	l, err := s.tenants.ListPartners(ctx, page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.PartnerList{Items: make([]openapi.Partner, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, p := range l.Items {
		out.Items[i] = toPartner(p)
	}
	return openapi.ListPartners200JSONResponse(out), nil
}

// CreatePartner implements openapi.StrictServerInterface.
func (s *Server) CreatePartner(ctx context.Context, r openapi.CreatePartnerRequestObject) (openapi.CreatePartnerResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	p, err := s.tenants.CreatePartner(ctx, actor(ctx), tenants.NewPartner{Name: r.Body.Name})
	if err != nil {
		return nil, err
	}
	return openapi.CreatePartner201JSONResponse(toPartner(p)), nil
}

// AssignPartnerTenant implements openapi.StrictServerInterface.
func (s *Server) AssignPartnerTenant(ctx context.Context, r openapi.AssignPartnerTenantRequestObject) (openapi.AssignPartnerTenantResponseObject, error) {
	if err := s.tenants.AssignTenant(ctx, actor(ctx), r.PartnerId, r.TenantId); err != nil {
		return nil, err
	}
	return openapi.AssignPartnerTenant204Response{}, nil
}

// UnassignPartnerTenant implements openapi.StrictServerInterface. This
// process forgets the assignment at once; others within the partner cache's
// lifetime.
func (s *Server) UnassignPartnerTenant(ctx context.Context, r openapi.UnassignPartnerTenantRequestObject) (openapi.UnassignPartnerTenantResponseObject, error) {
	if err := s.tenants.UnassignTenant(ctx, actor(ctx), r.PartnerId, r.TenantId); err != nil {
		return nil, err
	}
	s.partners.forget(r.PartnerId, r.TenantId)
	return openapi.UnassignPartnerTenant204Response{}, nil
}
