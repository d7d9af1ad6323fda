package tenants

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Partner is an integrator or reseller acting for the tenants assigned to it.
type Partner struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NewPartner is the input of CreatePartner.
type NewPartner struct {
	Name string
}

const partnerCols = `id, name, created_at`

func scanPartner(row pgx.Row) (Partner, error) {
	var p Partner
	err := row.Scan(&p.ID, &p.Name, &p.CreatedAt)
	return p, err
}

// CreatePartner adds a partner with no tenants.
func (s *Service) CreatePartner(ctx context.Context, a Actor, in NewPartner) (Partner, error) {
	f := fieldErrors{}
	checkName(f, "name", in.Name, true)
	if err := f.err(); err != nil {
		return Partner{}, err
	}
	var p Partner
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = scanPartner(tx.QueryRow(ctx,
			`INSERT INTO partners (id, name) VALUES ($1, $2) RETURNING `+partnerCols, newID(), in.Name))
		if err != nil {
			return pg.Translate(err, "partner")
		}
		return audit(ctx, tx, a, auditRecord{action: "partner.create",
			resourceType: "partner", resourceID: p.ID.String(), after: p})
	})
	return p, err
}

// GetPartner returns one partner.
func (s *Service) GetPartner(ctx context.Context, id uuid.UUID) (Partner, error) {
	p, err := scanPartner(s.db.QueryRow(ctx, `SELECT `+partnerCols+` FROM partners WHERE id = $1`, id))
	return p, pg.Translate(err, "partner")
}

// ListPartners returns partners newest first.
func (s *Service) ListPartners(ctx context.Context, p Page) (List[Partner], error) {
	at, after, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[Partner]{}, err
	}
	size := p.Size()
	r, err := s.db.Query(ctx, `
		SELECT `+partnerCols+` FROM partners
		WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
		ORDER BY created_at DESC, id DESC
		LIMIT $3`, at, after, size+1)
	if err != nil {
		return List[Partner]{}, pg.Translate(err, "partners")
	}
	rows, err := pgx.CollectRows(r, func(row pgx.CollectableRow) (Partner, error) { return scanPartner(row) })
	if err != nil {
		return List[Partner]{}, pg.Translate(err, "partners")
	}
	return paging.Paginate(rows, size, func(p Partner) (time.Time, string) { return p.CreatedAt, p.ID.String() }), nil
}

// assignment is how the audit log shows a partner–tenant link.
type assignment struct {
	PartnerID uuid.UUID `json:"partner_id"`
	TenantID  uuid.UUID `json:"tenant_id"`
}

// AssignTenant lets a partner act for a tenant. Assigning twice is a no-op.
func (s *Service) AssignTenant(ctx context.Context, a Actor, partnerID, tenantID uuid.UUID) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := requirePartner(ctx, tx, partnerID); err != nil {
			return err
		}
		if err := requireTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO partner_tenants (partner_id, tenant_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, partnerID, tenantID)
		if err != nil {
			return pg.Translate(err, "assignment")
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		link := assignment{PartnerID: partnerID, TenantID: tenantID}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "partner.assign_tenant",
			resourceType: "partner", resourceID: partnerID.String(), after: link})
	})
}

// UnassignTenant takes a tenant away from a partner. It is NotFound when the
// tenant was not assigned to it.
func (s *Service) UnassignTenant(ctx context.Context, a Actor, partnerID, tenantID uuid.UUID) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM partner_tenants WHERE partner_id = $1 AND tenant_id = $2`, partnerID, tenantID)
		if err != nil {
			return pg.Translate(err, "assignment")
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.NotFound, "the tenant is not assigned to this partner")
		}
		link := assignment{PartnerID: partnerID, TenantID: tenantID}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "partner.unassign_tenant",
			resourceType: "partner", resourceID: partnerID.String(), before: link})
	})
}

// PartnerHasTenant reports whether the tenant is assigned to the partner.
func (s *Service) PartnerHasTenant(ctx context.Context, partnerID, tenantID uuid.UUID) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM partner_tenants WHERE partner_id = $1 AND tenant_id = $2)`,
		partnerID, tenantID).Scan(&ok)
	return ok, pg.Translate(err, "assignment")
}

func requirePartner(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT true FROM partners WHERE id = $1`, id).Scan(&ok)
	return pg.Translate(err, "partner")
}
