package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListAuditLog implements openapi.StrictServerInterface.
func (s *Server) ListAuditLog(ctx context.Context, r openapi.ListAuditLogRequestObject) (openapi.ListAuditLogResponseObject, error) {
	l, err := s.tenants.ListAudit(ctx, tenants.AuditFilter{
		TenantID: deref(r.Params.TenantId),
		ActorID:  deref(r.Params.ActorId),
		Action:   deref(r.Params.Action),
	}, page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.AuditLogPage{Items: make([]openapi.AuditEntry, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, e := range l.Items {
		out.Items[i] = toAuditEntry(e)
	}
	return openapi.ListAuditLog200JSONResponse(out), nil
}
