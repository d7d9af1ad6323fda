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

// PhoneNumber is a business phone number of one of a tenant's WABAs.
type PhoneNumber struct {
	ID                 uuid.UUID `json:"id"`
	TenantID           uuid.UUID `json:"tenant_id"`
	WABARef            uuid.UUID `json:"waba_ref"`
	PhoneNumberID      string    `json:"phone_number_id"`
	DisplayPhoneNumber string    `json:"display_phone_number"`
	VerifiedName       string    `json:"verified_name"`
	CreatedAt          time.Time `json:"created_at"`
}

// NewPhoneNumber is the input of CreatePhoneNumber. DisplayPhoneNumber may be
// formatted; it is stored in E.164.
type NewPhoneNumber struct {
	WABARef            uuid.UUID
	PhoneNumberID      string
	DisplayPhoneNumber string
	VerifiedName       string
}

func (n *NewPhoneNumber) validate() error {
	f := fieldErrors{}
	if n.WABARef == uuid.Nil {
		f.add("waba_ref", "is required")
	}
	checkMetaID(f, "phone_number_id", n.PhoneNumberID, true)
	if e164, err := NormalizePhone(n.DisplayPhoneNumber); err != nil {
		f.add("display_phone_number", "is not a phone number: "+err.Error())
	} else {
		n.DisplayPhoneNumber = e164
	}
	checkName(f, "verified_name", n.VerifiedName, false)
	return f.err()
}

const phoneCols = `id, tenant_id, waba_ref, phone_number_id, display_phone_number, verified_name, created_at`

func scanPhone(row pgx.Row) (PhoneNumber, error) {
	var p PhoneNumber
	err := row.Scan(&p.ID, &p.TenantID, &p.WABARef, &p.PhoneNumberID, &p.DisplayPhoneNumber, &p.VerifiedName, &p.CreatedAt)
	return p, err
}

// CreatePhoneNumber registers a phone number under one of the tenant's
// WABAs. A phone_number_id registered by any tenant is a Conflict.
func (s *Service) CreatePhoneNumber(ctx context.Context, a Actor, tenantID uuid.UUID, in NewPhoneNumber) (PhoneNumber, error) {
	if err := in.validate(); err != nil {
		return PhoneNumber{}, err
	}
	var p PhoneNumber
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := requireTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		var ok bool
		err := tx.QueryRow(ctx, `SELECT true FROM wabas WHERE tenant_id = $1 AND id = $2`, tenantID, in.WABARef).Scan(&ok)
		if apperr.Is(pg.Translate(err, "WABA"), apperr.NotFound) {
			return apperr.InvalidField("waba_ref", "no such WABA for this tenant")
		} else if err != nil {
			return pg.Translate(err, "WABA")
		}
		id := newID()
		p, err = scanPhone(tx.QueryRow(ctx, `
			INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number, verified_name)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+phoneCols,
			id, tenantID, in.WABARef, in.PhoneNumberID, in.DisplayPhoneNumber, in.VerifiedName))
		if err != nil {
			if apperr.Is(pg.Translate(err, "phone number"), apperr.Conflict) {
				return apperr.Wrap(err, apperr.Conflict, "phone number %s is already registered", in.PhoneNumberID)
			}
			return pg.Translate(err, "phone number")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "phone_number.create",
			resourceType: "phone_number", resourceID: id.String(), after: p})
	})
	return p, err
}

// GetPhoneNumber returns one of the tenant's phone numbers by its wabsp id.
func (s *Service) GetPhoneNumber(ctx context.Context, tenantID, ref uuid.UUID) (PhoneNumber, error) {
	var p PhoneNumber
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		p, err = scanPhone(tx.QueryRow(ctx,
			`SELECT `+phoneCols+` FROM phone_numbers WHERE tenant_id = $1 AND id = $2`, tenantID, ref))
		return pg.Translate(err, "phone number")
	})
	return p, err
}

// PhoneFilter narrows ListPhoneNumbers. Zero fields do not filter.
type PhoneFilter struct {
	WABARef uuid.UUID
}

// ListPhoneNumbers returns the tenant's phone numbers newest first.
func (s *Service) ListPhoneNumbers(ctx context.Context, tenantID uuid.UUID, f PhoneFilter, p Page) (List[PhoneNumber], error) {
	at, after, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[PhoneNumber]{}, err
	}
	size := p.Size()
	var rows []PhoneNumber
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `
			SELECT `+phoneCols+` FROM phone_numbers
			WHERE tenant_id = $1
			  AND ($2::uuid IS NULL OR waba_ref = $2)
			  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
			ORDER BY created_at DESC, id DESC
			LIMIT $5`, tenantID, nullUUID(f.WABARef), at, after, size+1)
		if err != nil {
			return pg.Translate(err, "phone numbers")
		}
		rows, err = pgx.CollectRows(r, func(row pgx.CollectableRow) (PhoneNumber, error) { return scanPhone(row) })
		return pg.Translate(err, "phone numbers")
	})
	if err != nil {
		return List[PhoneNumber]{}, err
	}
	return paging.Paginate(rows, size, func(p PhoneNumber) (time.Time, string) { return p.CreatedAt, p.ID.String() }), nil
}

// DeletePhoneNumber removes one of the tenant's phone numbers.
func (s *Service) DeletePhoneNumber(ctx context.Context, a Actor, tenantID, ref uuid.UUID) error {
	return s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := scanPhone(tx.QueryRow(ctx,
			`DELETE FROM phone_numbers WHERE tenant_id = $1 AND id = $2 RETURNING `+phoneCols, tenantID, ref))
		if err != nil {
			return pg.Translate(err, "phone number")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "phone_number.delete",
			resourceType: "phone_number", resourceID: ref.String(), before: before})
	})
}
