package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListClients implements openapi.StrictServerInterface.
func (s *Server) ListClients(ctx context.Context, r openapi.ListClientsRequestObject) (openapi.ListClientsResponseObject, error) {
	l, err := s.tenants.ListClients(ctx, tenants.ClientFilter{
		Role:      auth.Role(deref(r.Params.Role)),
		TenantID:  deref(r.Params.TenantId),
		PartnerID: deref(r.Params.PartnerId),
	}, page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ApiClientList{Items: make([]openapi.ApiClient, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, c := range l.Items {
		out.Items[i] = toClient(c)
	}
	return openapi.ListClients200JSONResponse(out), nil
}

// CreateClient implements openapi.StrictServerInterface.
func (s *Server) CreateClient(ctx context.Context, r openapi.CreateClientRequestObject) (openapi.CreateClientResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	c, secret, err := s.tenants.CreateClient(ctx, actor(ctx), tenants.NewClient{
		Name:      r.Body.Name,
		Role:      auth.Role(r.Body.Role),
		TenantID:  deref(r.Body.TenantId),
		PartnerID: deref(r.Body.PartnerId),
		Scopes:    deref(r.Body.Scopes),
	})
	if err != nil {
		return nil, err
	}
	return openapi.CreateClient201JSONResponse{Client: toClient(c), ClientSecret: secret}, nil
}

// DisableClient implements openapi.StrictServerInterface.
func (s *Server) DisableClient(ctx context.Context, r openapi.DisableClientRequestObject) (openapi.DisableClientResponseObject, error) {
	c, err := s.tenants.DisableClient(ctx, actor(ctx), r.ClientRef)
	if err != nil {
		return nil, err
	}
	return openapi.DisableClient200JSONResponse(toClient(c)), nil
}
