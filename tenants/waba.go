package tenants

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// WABA is one of a tenant's WhatsApp Business Accounts. Its access token is
// stored encrypted and never leaves the service except through AccessToken.
type WABA struct {
	ID               uuid.UUID `json:"id"`
	TenantID         uuid.UUID `json:"tenant_id"`
	WABAID           string    `json:"waba_id"`
	BusinessID       string    `json:"business_id,omitempty"`
	Name             string    `json:"name"`
	Currency         string    `json:"currency"`
	TimeZone         string    `json:"time_zone"`
	HasAccessToken   bool      `json:"has_access_token"`
	AccessTokenKeyID string    `json:"access_token_key_id,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// NewWABA is the input of CreateWABA. Empty Currency and TimeZone default to
// USD and UTC; an empty AccessToken stores none.
type NewWABA struct {
	WABAID      string
	BusinessID  string
	Name        string
	Currency    string
	TimeZone    string
	AccessToken string
}

func (n *NewWABA) validate() error {
	if n.Currency == "" {
		n.Currency = "USD"
	}
	if n.TimeZone == "" {
		n.TimeZone = "UTC"
	}
	f := fieldErrors{}
	checkMetaID(f, "waba_id", n.WABAID, true)
	checkMetaID(f, "business_id", n.BusinessID, false)
	checkName(f, "name", n.Name, false)
	checkCurrency(f, "currency", n.Currency)
	checkTimeZone(f, "time_zone", n.TimeZone)
	checkToken(f, n.AccessToken)
	return f.err()
}

// maxTokenLen is far above Meta's token lengths; it only bounds storage.
const maxTokenLen = 4096

func checkToken(f fieldErrors, token string) {
	if len(token) > maxTokenLen {
		f.add("access_token", fmt.Sprintf("must be at most %d characters", maxTokenLen))
	}
}

// WABAPatch changes the non-nil fields of a WABA. AccessToken replaces the
// stored token; ClearAccessToken removes it.
type WABAPatch struct {
	BusinessID       *string
	Name             *string
	Currency         *string
	TimeZone         *string
	AccessToken      *string
	ClearAccessToken bool
}

func (p WABAPatch) validate() error {
	f := fieldErrors{}
	if p.BusinessID != nil {
		checkMetaID(f, "business_id", *p.BusinessID, false)
	}
	if p.Name != nil {
		checkName(f, "name", *p.Name, false)
	}
	if p.Currency != nil {
		checkCurrency(f, "currency", *p.Currency)
	}
	if p.TimeZone != nil {
		checkTimeZone(f, "time_zone", *p.TimeZone)
	}
	if p.AccessToken != nil {
		if *p.AccessToken == "" {
			f.add("access_token", "must not be empty; use clear_access_token to remove the token")
		}
		checkToken(f, *p.AccessToken)
		if p.ClearAccessToken {
			f.add("clear_access_token", "cannot be combined with access_token")
		}
	}
	return f.err()
}

const wabaCols = `id, tenant_id, waba_id, coalesce(business_id, ''), name, currency, time_zone,
	access_token_enc IS NOT NULL, coalesce(access_token_kid, ''), created_at, updated_at`

func scanWABA(row pgx.Row) (WABA, error) {
	var w WABA
	err := row.Scan(&w.ID, &w.TenantID, &w.WABAID, &w.BusinessID, &w.Name, &w.Currency, &w.TimeZone,
		&w.HasAccessToken, &w.AccessTokenKeyID, &w.CreatedAt, &w.UpdatedAt)
	return w, err
}

// seal encrypts an access token for the WABA row id. The row id is the
// additional data, so a ciphertext copied to another row does not decrypt.
func (s *Service) seal(id uuid.UUID, token string) (enc []byte, kid string, err error) {
	if s.box == nil {
		return nil, "", errNoCipher
	}
	enc, kid, err = s.box.Encrypt([]byte(token), id[:])
	if err != nil {
		return nil, "", fmt.Errorf("tenants: encrypt access token: %w", err)
	}
	return enc, kid, nil
}

// CreateWABA registers a WABA for the tenant. A waba_id registered by any
// tenant is a Conflict: Meta's webhooks for it must file under one tenant.
func (s *Service) CreateWABA(ctx context.Context, a Actor, tenantID uuid.UUID, in NewWABA) (WABA, error) {
	if err := in.validate(); err != nil {
		return WABA{}, err
	}
	id := newID()
	var (
		enc []byte
		kid any
	)
	if in.AccessToken != "" {
		sealed, k, err := s.seal(id, in.AccessToken)
		if err != nil {
			return WABA{}, err
		}
		enc, kid = sealed, k
	}
	var w WABA
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := requireTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		var err error
		w, err = scanWABA(tx.QueryRow(ctx, `
			INSERT INTO wabas (id, tenant_id, waba_id, business_id, name, currency, time_zone, access_token_enc, access_token_kid)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING `+wabaCols,
			id, tenantID, in.WABAID, nullString(in.BusinessID), in.Name, in.Currency, in.TimeZone, enc, kid))
		if err != nil {
			if apperr.Is(pg.Translate(err, "WABA"), apperr.Conflict) {
				return apperr.Wrap(err, apperr.Conflict, "WABA %s is already registered", in.WABAID)
			}
			return pg.Translate(err, "WABA")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "waba.create",
			resourceType: "waba", resourceID: id.String(), after: w})
	})
	return w, err
}

// GetWABA returns one of the tenant's WABAs by its wabsp id.
func (s *Service) GetWABA(ctx context.Context, tenantID, ref uuid.UUID) (WABA, error) {
	var w WABA
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		w, err = scanWABA(tx.QueryRow(ctx, `SELECT `+wabaCols+` FROM wabas WHERE tenant_id = $1 AND id = $2`, tenantID, ref))
		return pg.Translate(err, "WABA")
	})
	return w, err
}

// ListWABAs returns the tenant's WABAs newest first.
func (s *Service) ListWABAs(ctx context.Context, tenantID uuid.UUID, p Page) (List[WABA], error) {
	at, after, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[WABA]{}, err
	}
	size := p.Size()
	var rows []WABA
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `
			SELECT `+wabaCols+` FROM wabas
			WHERE tenant_id = $1
			  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
			ORDER BY created_at DESC, id DESC
			LIMIT $4`, tenantID, at, after, size+1)
		if err != nil {
			return pg.Translate(err, "WABAs")
		}
		rows, err = pgx.CollectRows(r, func(row pgx.CollectableRow) (WABA, error) { return scanWABA(row) })
		return pg.Translate(err, "WABAs")
	})
	if err != nil {
		return List[WABA]{}, err
	}
	return paging.Paginate(rows, size, func(w WABA) (time.Time, string) { return w.CreatedAt, w.ID.String() }), nil
}

// UpdateWABA applies p to one of the tenant's WABAs.
func (s *Service) UpdateWABA(ctx context.Context, a Actor, tenantID, ref uuid.UUID, p WABAPatch) (WABA, error) {
	if err := p.validate(); err != nil {
		return WABA{}, err
	}
	var (
		enc      []byte
		kid      string
		setToken = p.AccessToken != nil || p.ClearAccessToken
	)
	if p.AccessToken != nil {
		var err error
		if enc, kid, err = s.seal(ref, *p.AccessToken); err != nil {
			return WABA{}, err
		}
	}
	var after WABA
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := scanWABA(tx.QueryRow(ctx,
			`SELECT `+wabaCols+` FROM wabas WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, ref))
		if err != nil {
			return pg.Translate(err, "WABA")
		}
		next := before
		if p.BusinessID != nil {
			next.BusinessID = *p.BusinessID
		}
		if p.Name != nil {
			next.Name = *p.Name
		}
		if p.Currency != nil {
			next.Currency = *p.Currency
		}
		if p.TimeZone != nil {
			next.TimeZone = *p.TimeZone
		}
		after, err = scanWABA(tx.QueryRow(ctx, `
			UPDATE wabas SET business_id = $3, name = $4, currency = $5, time_zone = $6,
				access_token_enc = CASE WHEN $7 THEN $8 ELSE access_token_enc END,
				access_token_kid = CASE WHEN $7 THEN $9 ELSE access_token_kid END,
				updated_at = now()
			WHERE tenant_id = $1 AND id = $2
			RETURNING `+wabaCols,
			tenantID, ref, nullString(next.BusinessID), next.Name, next.Currency, next.TimeZone,
			setToken, enc, nullString(kid)))
		if err != nil {
			return pg.Translate(err, "WABA")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "waba.update",
			resourceType: "waba", resourceID: ref.String(), before: before, after: after})
	})
	return after, err
}

// DeleteWABA removes one of the tenant's WABAs and, by cascade, its phone
// numbers.
func (s *Service) DeleteWABA(ctx context.Context, a Actor, tenantID, ref uuid.UUID) error {
	return s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		before, err := scanWABA(tx.QueryRow(ctx,
			`DELETE FROM wabas WHERE tenant_id = $1 AND id = $2 RETURNING `+wabaCols, tenantID, ref))
		if err != nil {
			return pg.Translate(err, "WABA")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: tenantID, action: "waba.delete",
			resourceType: "waba", resourceID: ref.String(), before: before})
	})
}

// AccessToken decrypts the Graph API token stored for one of the tenant's
// WABAs, for wabsp's own calls to Meta. It is FailedPrecondition when none is
// stored.
func (s *Service) AccessToken(ctx context.Context, tenantID, wabaRef uuid.UUID) (string, error) {
	var (
		enc []byte
		kid *string
	)
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT access_token_enc, access_token_kid FROM wabas WHERE tenant_id = $1 AND id = $2`,
			tenantID, wabaRef).Scan(&enc, &kid)
		return pg.Translate(err, "WABA")
	})
	if err != nil {
		return "", err
	}
	if enc == nil || kid == nil {
		return "", apperr.New(apperr.FailedPrecondition, "no access token is stored for this WABA")
	}
	if s.box == nil {
		return "", errNoCipher
	}
	plain, err := s.box.Decrypt(enc, *kid, wabaRef[:])
	if err != nil {
		return "", fmt.Errorf("tenants: decrypt access token of WABA %s: %w", wabaRef, err)
	}
	return string(plain), nil
}
