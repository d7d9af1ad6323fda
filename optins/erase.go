package optins

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// Erase carries out a GDPR erasure of a contact: its keys, names and
// identity hash, the keys it had before, and the personal fields of its
// ledger entries (the wa_id and BSUID they were recorded under, IP address,
// user agent, the person's own message text) are replaced with a tombstone.
// The contact row, the ledger entries with purpose, action, source, actor,
// times and the business's notice, and the projection stay: the fact of
// consent outlives the person's data. Erasing twice is harmless.
func (s *Service) Erase(ctx context.Context, tenantID, contactID uuid.UUID) (Contact, error) {
	var c Contact
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := getContact(ctx, tx, tenantID, contactID); err != nil {
			return err
		}
		at := s.now().UTC()
		if _, err := tx.Exec(ctx, `
			UPDATE contacts SET wa_id = NULL, bsuid = NULL, parent_bsuid = NULL, username = NULL, profile_name = '',
				identity_key_hash = NULL, status = 'erased', erased_at = coalesce(erased_at, $3), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, contactID, at); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contact_aliases WHERE tenant_id = $1 AND contact_id = $2`,
			tenantID, contactID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE consent_ledger SET wa_id = NULL, bsuid = NULL, evidence_ip = NULL, evidence_user_agent = NULL,
				message_text = NULL, erased_at = $3
			WHERE tenant_id = $1 AND contact_id = $2 AND erased_at IS NULL`, tenantID, contactID, at); err != nil {
			return err
		}
		var err error
		c, err = getContact(ctx, tx, tenantID, contactID)
		return err
	})
	return c, pg.Translate(err, "contact")
}
