package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// GetMe implements openapi.StrictServerInterface.
func (s *Server) GetMe(ctx context.Context, _ openapi.GetMeRequestObject) (openapi.GetMeResponseObject, error) {
	p := principal(ctx)
	me := openapi.Me{
		ClientId:   p.ClientID,
		ClientName: p.ClientName,
		Role:       openapi.Role(p.Role),
		Scopes:     p.Scopes,
		TenantId:   optUUID(p.TenantID),
		PartnerId:  optUUID(p.PartnerID),
	}
	if me.Scopes == nil {
		me.Scopes = []string{}
	}
	if p.Role == auth.RolePartner {
		l, err := s.tenants.ListTenants(ctx, tenants.TenantFilter{PartnerID: p.PartnerID}, tenants.Page{Limit: tenants.MaxLimit})
		if err != nil {
			return nil, err
		}
		summaries := make([]openapi.TenantSummary, len(l.Items))
		for i, t := range l.Items {
			summaries[i] = toTenantSummary(t)
		}
		me.Tenants = &summaries
	}
	return openapi.GetMe200JSONResponse(me), nil
}
