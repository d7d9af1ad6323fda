package tenants

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Tenant statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Tenant is one client business of the BSP.
type Tenant struct {
	ID              uuid.UUID  `json:"id"`
	Name            string     `json:"name"`
	Slug            string     `json:"slug"`
	Status          string     `json:"status"`
	TimeZone        string     `json:"time_zone"`
	Currency        string     `json:"currency"`
	Plan            string     `json:"plan"`
	RetentionDays   int        `json:"retention_days"`
	SuspendedAt     *time.Time `json:"suspended_at,omitempty"`
	SuspendedReason string     `json:"suspended_reason,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// Suspended reports whether the tenant is suspended.
func (t Tenant) Suspended() bool { return t.Status == StatusSuspended }

// NewTenant is the input of CreateTenant. Empty optional fields take the
// defaults: UTC, USD, plan "standard", 400 days of retention.
type NewTenant struct {
	Name          string
	Slug          string
	TimeZone      string
	Currency      string
	Plan          string
	RetentionDays int
}

func (n *NewTenant) defaults() {
	if n.TimeZone == "" {
		n.TimeZone = "UTC"
	}
	if n.Currency == "" {
		n.Currency = "USD"
	}
	if n.Plan == "" {
		n.Plan = "standard"
	}
	if n.RetentionDays == 0 {
		n.RetentionDays = 400
	}
}

func (n NewTenant) validate() error {
	f := fieldErrors{}
	checkName(f, "name", n.Name, true)
	checkSlug(f, n.Slug)
	checkTimeZone(f, "time_zone", n.TimeZone)
	checkCurrency(f, "currency", n.Currency)
	checkPlan(f, n.Plan)
	checkRetention(f, n.RetentionDays)
	return f.err()
}

// TenantPatch changes the non-nil fields of a tenant.
type TenantPatch struct {
	Name          *string
	TimeZone      *string
	Currency      *string
	Plan          *string
	RetentionDays *int
}

// apply validates p and returns t with it applied.
func (p TenantPatch) apply(t Tenant) (Tenant, error) {
	f := fieldErrors{}
	if p.Name != nil {
		checkName(f, "name", *p.Name, true)
		t.Name = *p.Name
	}
	if p.TimeZone != nil {
		checkTimeZone(f, "time_zone", *p.TimeZone)
		t.TimeZone = *p.TimeZone
	}
	if p.Currency != nil {
		checkCurrency(f, "currency", *p.Currency)
		t.Currency = *p.Currency
	}
	if p.Plan != nil {
		checkPlan(f, *p.Plan)
		t.Plan = *p.Plan
	}
	if p.RetentionDays != nil {
		checkRetention(f, *p.RetentionDays)
		t.RetentionDays = *p.RetentionDays
	}
	return t, f.err()
}

const tenantCols = `id, name, slug, status, time_zone, currency, plan, retention_days,
	suspended_at, coalesce(suspended_reason, ''), created_at, updated_at`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Name, &t.Slug, &t.Status, &t.TimeZone, &t.Currency, &t.Plan,
		&t.RetentionDays, &t.SuspendedAt, &t.SuspendedReason, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

// CreateTenant onboards a client business.
func (s *Service) CreateTenant(ctx context.Context, a Actor, in NewTenant) (Tenant, error) {
	in.defaults()
	if err := in.validate(); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `
			INSERT INTO tenants (id, name, slug, time_zone, currency, plan, retention_days)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			RETURNING `+tenantCols,
			newID(), in.Name, in.Slug, in.TimeZone, in.Currency, in.Plan, in.RetentionDays)
		var err error
		if t, err = scanTenant(row); err != nil {
			if apperr.Is(pg.Translate(err, "tenant"), apperr.Conflict) {
				return apperr.Wrap(err, apperr.Conflict, "slug %q is taken by another tenant", in.Slug)
			}
			return pg.Translate(err, "tenant")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: t.ID, action: "tenant.create",
			resourceType: "tenant", resourceID: t.ID.String(), after: t})
	})
	return t, err
}

// GetTenant returns one tenant.
func (s *Service) GetTenant(ctx context.Context, id uuid.UUID) (Tenant, error) {
	var t Tenant
	err := s.db.InTenantTx(ctx, id, func(tx pgx.Tx) error {
		var err error
		t, err = scanTenant(tx.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
		return pg.Translate(err, "tenant")
	})
	return t, err
}

// lockTenant reads a tenant for update inside tx.
func lockTenant(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Tenant, error) {
	t, err := scanTenant(tx.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1 FOR UPDATE`, id))
	return t, pg.Translate(err, "tenant")
}

// UpdateTenant applies p. Only admins and wabsp itself may change the plan,
// since it decides what the tenant is billed.
func (s *Service) UpdateTenant(ctx context.Context, a Actor, id uuid.UUID, p TenantPatch) (Tenant, error) {
	if p.Plan != nil && a.Role != auth.RoleAdmin && a.Role != RoleSystem {
		return Tenant{}, apperr.New(apperr.Forbidden, "only admins may change a tenant's plan")
	}
	var after Tenant
	err := s.db.InTenantTx(ctx, id, func(tx pgx.Tx) error {
		before, err := lockTenant(ctx, tx, id)
		if err != nil {
			return err
		}
		if after, err = p.apply(before); err != nil {
			return err
		}
		after, err = scanTenant(tx.QueryRow(ctx, `
			UPDATE tenants SET name = $2, time_zone = $3, currency = $4, plan = $5, retention_days = $6, updated_at = now()
			WHERE id = $1
			RETURNING `+tenantCols,
			id, after.Name, after.TimeZone, after.Currency, after.Plan, after.RetentionDays))
		if err != nil {
			return pg.Translate(err, "tenant")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: id, action: "tenant.update",
			resourceType: "tenant", resourceID: id.String(), before: before, after: after})
	})
	return after, err
}

// SuspendTenant stops the tenant's API clients. Suspending a suspended tenant
// only replaces the reason.
func (s *Service) SuspendTenant(ctx context.Context, a Actor, id uuid.UUID, reason string) (Tenant, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return Tenant{}, apperr.InvalidField("reason", "is required")
	case n > 500:
		return Tenant{}, apperr.InvalidField("reason", "must be at most 500 characters")
	}
	return s.setStatus(ctx, a, id, "tenant.suspend", `
		UPDATE tenants SET status = 'suspended', suspended_at = coalesce(suspended_at, now()),
			suspended_reason = $2, updated_at = now()
		WHERE id = $1
		RETURNING `+tenantCols, reason)
}

// ResumeTenant lets a suspended tenant's clients in again. Resuming an active
// tenant changes nothing and records nothing.
func (s *Service) ResumeTenant(ctx context.Context, a Actor, id uuid.UUID) (Tenant, error) {
	return s.setStatus(ctx, a, id, "tenant.resume", `
		UPDATE tenants SET status = 'active', suspended_at = NULL, suspended_reason = NULL, updated_at = now()
		WHERE id = $1
		RETURNING `+tenantCols)
}

func (s *Service) setStatus(ctx context.Context, a Actor, id uuid.UUID, action, query string, args ...any) (Tenant, error) {
	var after Tenant
	err := s.db.InTenantTx(ctx, id, func(tx pgx.Tx) error {
		before, err := lockTenant(ctx, tx, id)
		if err != nil {
			return err
		}
		if action == "tenant.resume" && !before.Suspended() {
			after = before
			return nil
		}
		after, err = scanTenant(tx.QueryRow(ctx, query, append([]any{id}, args...)...))
		if err != nil {
			return pg.Translate(err, "tenant")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: id, action: action,
			resourceType: "tenant", resourceID: id.String(), before: before, after: after})
	})
	return after, err
}

// TenantFilter narrows ListTenants. Zero fields do not filter.
type TenantFilter struct {
	// PartnerID limits the list to the tenants assigned to this partner.
	PartnerID uuid.UUID
	// Query is a case-insensitive substring of the name or slug.
	Query  string
	Status string
}

// ListTenants returns tenants newest first.
func (s *Service) ListTenants(ctx context.Context, f TenantFilter, p Page) (List[Tenant], error) {
	if f.Status != "" && f.Status != StatusActive && f.Status != StatusSuspended {
		return List[Tenant]{}, apperr.InvalidField("status", "must be active or suspended")
	}
	at, after, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[Tenant]{}, err
	}
	pattern := ""
	if q := strings.TrimSpace(f.Query); q != "" {
		pattern = likePattern(q)
	}
	size := p.Size()
	var rows []Tenant
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `
			SELECT `+tenantCols+` FROM tenants t
			WHERE ($1::uuid IS NULL OR EXISTS (
					SELECT 1 FROM partner_tenants pt WHERE pt.tenant_id = t.id AND pt.partner_id = $1))
			  AND ($2 = '' OR t.status = $2)
			  AND ($3 = '' OR t.name ILIKE $3 OR t.slug ILIKE $3)
			  AND ($4::timestamptz IS NULL OR (t.created_at, t.id) < ($4, $5::uuid))
			ORDER BY t.created_at DESC, t.id DESC
			LIMIT $6`,
			nullUUID(f.PartnerID), f.Status, pattern, at, after, size+1)
		if err != nil {
			return pg.Translate(err, "tenants")
		}
		rows, err = pgx.CollectRows(r, func(row pgx.CollectableRow) (Tenant, error) { return scanTenant(row) })
		return pg.Translate(err, "tenants")
	})
	if err != nil {
		return List[Tenant]{}, err
	}
	return paging.Paginate(rows, size, func(t Tenant) (time.Time, string) { return t.CreatedAt, t.ID.String() }), nil
}
