package tenants

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// AuditEntry is one recorded write.
type AuditEntry struct {
	ID           int64
	At           time.Time
	ActorID      uuid.UUID // uuid.Nil for system writes
	ActorRole    string
	TenantID     uuid.UUID // uuid.Nil when the write concerns no tenant
	Action       string
	ResourceType string
	ResourceID   string
	// Before and After are the resource's JSON before and after the write;
	// nil for a creation and a deletion respectively.
	Before    json.RawMessage
	After     json.RawMessage
	RequestID string
}

// AuditFilter narrows ListAudit. Zero fields do not filter.
type AuditFilter struct {
	TenantID uuid.UUID
	ActorID  uuid.UUID
	Action   string
}

// ListAudit returns audit entries newest first.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter, p Page) (List[AuditEntry], error) {
	at, after, err := paging.Int64Cursor(p.Cursor)
	if err != nil {
		return List[AuditEntry]{}, err
	}
	size := p.Size()
	r, err := s.db.Query(ctx, `
		SELECT id, at, actor_id, actor_role, tenant_id, action, resource_type, resource_id,
		       before, after, coalesce(request_id, '')
		FROM audit_log
		WHERE ($1::uuid IS NULL OR tenant_id = $1)
		  AND ($2::uuid IS NULL OR actor_id = $2)
		  AND ($3 = '' OR action = $3)
		  AND ($4::timestamptz IS NULL OR (at, id) < ($4, $5::bigint))
		ORDER BY at DESC, id DESC
		LIMIT $6`,
		nullUUID(f.TenantID), nullUUID(f.ActorID), f.Action, at, after, size+1)
	if err != nil {
		return List[AuditEntry]{}, pg.Translate(err, "audit log")
	}
	rows, err := pgx.CollectRows(r, scanAudit)
	if err != nil {
		return List[AuditEntry]{}, pg.Translate(err, "audit log")
	}
	return paging.Paginate(rows, size, func(e AuditEntry) (time.Time, string) {
		return e.At, strconv.FormatInt(e.ID, 10)
	}), nil
}

func scanAudit(row pgx.CollectableRow) (AuditEntry, error) {
	var (
		e             AuditEntry
		actor, tenant *uuid.UUID
		before, after []byte
	)
	err := row.Scan(&e.ID, &e.At, &actor, &e.ActorRole, &tenant, &e.Action, &e.ResourceType, &e.ResourceID,
		&before, &after, &e.RequestID)
	e.ActorID, e.TenantID = uuidOrNil(actor), uuidOrNil(tenant)
	if before != nil {
		e.Before = before
	}
	if after != nil {
		e.After = after
	}
	return e, err
}
