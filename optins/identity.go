package optins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/webhooks"
)

// Kinds of contact.identity_changed events.
const (
	// IdentityNumberChanged: the user moved to a new number; the old
	// contact is marked moved and the new one starts without consent.
	IdentityNumberChanged = "number_changed"
	// IdentityUserIDChanged: Meta gave the user a new BSUID; the contact is
	// re-keyed and keeps its history.
	IdentityUserIDChanged = "user_id_changed"
	// IdentityKeyChanged: the user's identity key changed (a new device or
	// a re-registration); sends are held until the tenant acknowledges.
	IdentityKeyChanged = "identity_key_changed"
)

// IdentityEvent is the data of a contact.identity_changed event.
type IdentityEvent struct {
	Kind         string     `json:"kind"`
	ContactID    uuid.UUID  `json:"contact_id"`
	NewContactID *uuid.UUID `json:"new_contact_id,omitempty"`
	WaID         string     `json:"wa_id,omitempty"`
	NewWaID      string     `json:"new_wa_id,omitempty"`
	BSUID        string     `json:"bsuid,omitempty"`
	NewBSUID     string     `json:"new_bsuid,omitempty"`
	MessageID    string     `json:"message_id,omitempty"`
	OccurredAt   time.Time  `json:"occurred_at"`
}

func emitIdentity(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, dedupe string, e IdentityEvent) error {
	_, err := events.Emit(ctx, tx, events.Event{
		TenantID: tenantID, Type: events.ContactIdentityChanged, Subject: e.ContactID.String(),
		OccurredAt: e.OccurredAt, DedupeKey: dedupe, Data: e,
	})
	return err
}

// emitIdentityChanges reports the identity key hash changes a batch found.
func emitIdentityChanges(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r *resolver) error {
	seen := map[*contactRow]bool{}
	for _, c := range r.rows {
		if c.identityChange == nil || seen[c] {
			continue
		}
		seen[c] = true
		ch := c.identityChange
		err := emitIdentity(ctx, tx, tenantID, fmt.Sprintf("identity:%s:%s", c.id, ch.hash), IdentityEvent{
			Kind: IdentityKeyChanged, ContactID: c.id, WaID: c.waID, BSUID: c.bsuid, OccurredAt: ch.at,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Meta's system message types: current, 2026 and legacy spellings.
const (
	sysUserChangedNumber       = "user_changed_number"
	sysCustomerChangedNumber   = "customer_changed_number"
	sysUserChangedUserID       = "user_changed_user_id"
	sysCustomerIdentityChanged = "customer_identity_changed"
)

// systemChange is a number, BSUID or identity change from a system message.
type systemChange struct {
	kind               string
	oldWaID, newWaID   string
	oldBSUID, newBSUID string
	parentBSUID        string
	msgID              string
	at                 time.Time
}

func (b *batch) addSystem(c webhooks.Change, m webhooks.Message, at time.Time, i int) {
	if m.System == nil {
		return
	}
	sys := m.System
	sc := systemChange{kind: sys.Type, msgID: m.ID, at: at}
	if sc.msgID == "" {
		sc.msgID = fmt.Sprintf("%d:%d:%d", c.ArchiveID, c.Index, i)
	}
	sc.oldWaID, _ = ParseWaID(string(m.From))
	if sc.oldWaID == "" {
		sc.oldWaID, _ = ParseWaID(string(sys.Customer))
	}
	sc.newWaID, _ = ParseWaID(string(sys.WaID))
	if sc.newWaID == "" {
		sc.newWaID, _ = ParseWaID(string(sys.NewWaID))
	}
	if validBSUID(m.FromUserID) {
		sc.oldBSUID = m.FromUserID
	}
	if validBSUID(sys.UserID) {
		sc.newBSUID = sys.UserID
	}
	if validBSUID(sys.ParentUserID) {
		sc.parentBSUID = sys.ParentUserID
	}
	switch sc.kind {
	case sysUserChangedNumber, sysCustomerChangedNumber:
		if sc.oldWaID == "" || sc.newWaID == "" || sc.oldWaID == sc.newWaID {
			return
		}
	case sysUserChangedUserID:
		if sc.oldBSUID == "" || sc.newBSUID == "" || sc.oldBSUID == sc.newBSUID {
			return
		}
	case sysCustomerIdentityChanged:
		if sc.oldWaID == "" && sc.oldBSUID == "" {
			return
		}
	default:
		return
	}
	b.system = append(b.system, sc)
}

func (sc systemChange) apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	switch sc.kind {
	case sysUserChangedNumber, sysCustomerChangedNumber:
		return sc.moveNumber(ctx, tx, tenantID)
	case sysUserChangedUserID:
		return sc.rekey(ctx, tx, tenantID)
	default:
		return sc.identityChanged(ctx, tx, tenantID)
	}
}

// moveNumber links the old and the new wa_id: the old contact is marked
// moved (its consent stays with it, in the ledger, and does not carry over)
// and the new number becomes, or is linked to, a contact of its own. A
// change applied before is recognised by the old contact already pointing
// at a new one.
func (sc systemChange) moveNumber(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	var oldID uuid.UUID
	var oldBSUID *string
	err := tx.QueryRow(ctx, `
		SELECT id, bsuid FROM contacts WHERE tenant_id = $1 AND status = 'active' AND wa_id = $2 FOR UPDATE`,
		tenantID, sc.oldWaID).Scan(&oldID, &oldBSUID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contacts WHERE tenant_id = $1 AND status = 'moved'
			AND wa_id = $2 AND moved_at = $3)`, tenantID, sc.oldWaID, sc.at).Scan(&done); err != nil {
			return fmt.Errorf("optins: number change: %w", err)
		}
		if done {
			return nil
		}
		// Never seen before: keep the old number as a moved contact so that
		// asking about it answers number_moved.
		oldID = newID()
		if _, err := tx.Exec(ctx, `INSERT INTO contacts (id, tenant_id, wa_id, source) VALUES ($1, $2, $3, $4)`,
			oldID, tenantID, sc.oldWaID, ArrivedNumberChange); err != nil {
			return fmt.Errorf("optins: number change: %w", err)
		}
	case err != nil:
		return fmt.Errorf("optins: number change: %w", err)
	}
	// Release the old contact's unique keys before the new one may take
	// them (a BSUID is regenerated on a number change, but a payload may
	// still repeat it).
	if _, err := tx.Exec(ctx, `UPDATE contacts SET status = 'moved', moved_at = $3, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, oldID, sc.at); err != nil {
		return fmt.Errorf("optins: number change: %w", err)
	}
	r := newResolver(tenantID)
	s := &sighting{waID: sc.newWaID, bsuid: sc.newBSUID, parentBSUID: sc.parentBSUID, at: sc.at}
	if err := r.resolve(ctx, tx, []*sighting{s}, ArrivedNumberChange); err != nil {
		return err
	}
	if err := r.save(ctx, tx); err != nil {
		return err
	}
	newContact := s.contact.id
	if _, err := tx.Exec(ctx, `UPDATE contacts SET moved_to = $3 WHERE tenant_id = $1 AND id = $2`,
		tenantID, oldID, newContact); err != nil {
		return fmt.Errorf("optins: number change: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE contacts SET moved_from = coalesce(moved_from, $3) WHERE tenant_id = $1 AND id = $2`,
		tenantID, newContact, oldID); err != nil {
		return fmt.Errorf("optins: number change: %w", err)
	}
	return emitIdentity(ctx, tx, tenantID, "number:"+sc.msgID, IdentityEvent{
		Kind: IdentityNumberChanged, ContactID: oldID, NewContactID: &newContact, WaID: sc.oldWaID,
		NewWaID: sc.newWaID, BSUID: str(oldBSUID), NewBSUID: sc.newBSUID, MessageID: sc.msgID, OccurredAt: sc.at,
	})
}

// rekey gives a contact its new BSUID; the old one stays an alias, so
// history and late webhooks still find the contact.
func (sc systemChange) rekey(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	var id uuid.UUID
	var wa *string
	err := tx.QueryRow(ctx, `
		SELECT c.id, c.wa_id FROM contacts c WHERE c.tenant_id = $1 AND c.status = 'active' AND (c.bsuid = $2
			OR c.id IN (SELECT contact_id FROM contact_aliases WHERE tenant_id = $1 AND kind = 'bsuid' AND value = $2))
		ORDER BY c.bsuid = $2 DESC LIMIT 1`, tenantID, sc.oldBSUID).Scan(&id, &wa)
	if errors.Is(err, pgx.ErrNoRows) {
		// Unknown so far: the new key is all there is to keep.
		r := newResolver(tenantID)
		s := &sighting{bsuid: sc.newBSUID, parentBSUID: sc.parentBSUID, at: sc.at}
		if err := r.resolve(ctx, tx, []*sighting{s}, ArrivedInbound); err != nil {
			return err
		}
		return r.save(ctx, tx)
	}
	if err != nil {
		return fmt.Errorf("optins: re-key contact: %w", err)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE contacts SET bsuid = $3, parent_bsuid = coalesce($4, parent_bsuid), updated_at = now()
		WHERE tenant_id = $1 AND id = $2 AND bsuid IS DISTINCT FROM $3
			AND NOT EXISTS (SELECT 1 FROM contacts WHERE tenant_id = $1 AND status = 'active' AND bsuid = $3)`,
		tenantID, id, sc.newBSUID, ptr(sc.parentBSUID))
	if err != nil {
		return fmt.Errorf("optins: re-key contact: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := insertAliases(ctx, tx, tenantID, []uuid.UUID{id}, []string{"bsuid"}, []string{sc.oldBSUID}); err != nil {
		return err
	}
	return emitIdentity(ctx, tx, tenantID, "userid:"+sc.msgID, IdentityEvent{
		Kind: IdentityUserIDChanged, ContactID: id, WaID: str(wa), BSUID: sc.oldBSUID, NewBSUID: sc.newBSUID,
		MessageID: sc.msgID, OccurredAt: sc.at,
	})
}

// identityChanged handles the legacy customer_identity_changed message.
func (sc systemChange) identityChanged(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	var id uuid.UUID
	var wa, bs *string
	err := tx.QueryRow(ctx, `
		UPDATE contacts SET identity_changed_at = $4, identity_acknowledged_at = NULL, updated_at = now()
		WHERE tenant_id = $1 AND status = 'active' AND ((wa_id = $2 AND $2 <> '') OR (bsuid = $3 AND $3 <> ''))
			AND (identity_acknowledged_at IS NULL OR identity_acknowledged_at < $4)
		RETURNING id, wa_id, bsuid`, tenantID, sc.oldWaID, sc.oldBSUID, sc.at).Scan(&id, &wa, &bs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // unknown contact, or acknowledged after this change
	}
	if err != nil {
		return fmt.Errorf("optins: identity change: %w", err)
	}
	return emitIdentity(ctx, tx, tenantID, "identity:"+sc.msgID, IdentityEvent{
		Kind: IdentityKeyChanged, ContactID: id, WaID: str(wa), BSUID: str(bs), MessageID: sc.msgID, OccurredAt: sc.at,
	})
}

// AcknowledgeIdentity records that the tenant has checked a contact whose
// identity changed, which lifts the identity_changed hold on sending.
func (s *Service) AcknowledgeIdentity(ctx context.Context, tenantID, contactID uuid.UUID) (Contact, error) {
	var c Contact
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE contacts SET identity_changed_at = NULL, identity_acknowledged_at = $3, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND identity_changed_at IS NOT NULL`, tenantID, contactID, s.now().UTC())
		if err != nil {
			return err
		}
		c, err = getContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.FailedPrecondition, "the contact has no identity change to acknowledge")
		}
		return nil
	})
	return c, pg.Translate(err, "contact")
}
