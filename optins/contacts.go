package optins

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

const contactCols = `id, wa_id, bsuid, parent_bsuid, username, profile_name, source, status, moved_to, moved_from,
	moved_at, identity_changed_at, identity_acknowledged_at, first_inbound_at, last_inbound_at, erased_at,
	created_at, updated_at`

func scanContact(row pgx.Row) (Contact, error) {
	var c Contact
	var wa, bs, parent, user *string
	err := row.Scan(&c.ID, &wa, &bs, &parent, &user, &c.ProfileName, &c.Source, &c.Status, &c.MovedTo, &c.MovedFrom,
		&c.MovedAt, &c.IdentityChangedAt, &c.IdentityAcknowledgedAt, &c.FirstInboundAt, &c.LastInboundAt,
		&c.ErasedAt, &c.CreatedAt, &c.UpdatedAt)
	c.WaID, c.BSUID, c.ParentBSUID, c.Username = str(wa), str(bs), str(parent), str(user)
	return c, err
}

func getContact(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID) (Contact, error) {
	c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return c, pg.Translate(err, "contact")
}

// findContact returns the contact a reference names. A wa_id names the
// active contact with that number, else the one that most recently moved
// away from it; a BSUID also matches keys the contact had before a re-key.
func findContact(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, ref ContactRef) (Contact, error) {
	switch {
	case ref.ID != uuid.Nil:
		return getContact(ctx, tx, tenantID, ref.ID)
	case ref.WaID != "":
		wa, ok := ParseWaID(ref.WaID)
		if !ok {
			return Contact{}, apperr.InvalidField("wa_id", "must be a phone number in E.164 digits")
		}
		c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts
			WHERE tenant_id = $1 AND wa_id = $2 AND status IN ('active', 'moved')
			ORDER BY status = 'active' DESC, moved_at DESC NULLS LAST LIMIT 1`, tenantID, wa))
		return c, pg.Translate(err, "contact")
	case ref.BSUID != "":
		c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts c
			WHERE tenant_id = $1 AND status <> 'erased' AND (bsuid = $2 OR id IN (SELECT contact_id FROM contact_aliases
				WHERE tenant_id = $1 AND kind = 'bsuid' AND value = $2))
			ORDER BY bsuid = $2 DESC, status = 'active' DESC LIMIT 1`, tenantID, ref.BSUID))
		return c, pg.Translate(err, "contact")
	}
	return Contact{}, apperr.InvalidField("contact", "name the contact by id, wa_id or bsuid")
}

// GetContact returns a contact with its consent projection and windows.
func (s *Service) GetContact(ctx context.Context, tenantID, contactID uuid.UUID) (ContactDetail, error) {
	var d ContactDetail
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		c, err := getContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		d.Contact = c
		if d.Consents, err = consentStates(ctx, tx, tenantID, contactID); err != nil {
			return err
		}
		d.Windows, err = windows(ctx, tx, tenantID, contactID)
		return err
	})
	return d, pg.Translate(err, "contact")
}

// FindContact is GetContact for a contact named by id, wa_id or BSUID.
func (s *Service) FindContact(ctx context.Context, tenantID uuid.UUID, ref ContactRef) (ContactDetail, error) {
	var id uuid.UUID
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		c, err := findContact(ctx, tx, tenantID, ref)
		id = c.ID
		return err
	})
	if err != nil {
		return ContactDetail{}, pg.Translate(err, "contact")
	}
	return s.GetContact(ctx, tenantID, id)
}

func consentStates(ctx context.Context, tx pgx.Tx, tenantID, contactID uuid.UUID) ([]ConsentState, error) {
	rows, err := tx.Query(ctx, `
		SELECT purpose, track, entry_id, action, source, occurred_at FROM consent_state
		WHERE tenant_id = $1 AND contact_id = $2`, tenantID, contactID)
	if err != nil {
		return nil, fmt.Errorf("optins: read consent state: %w", err)
	}
	defer rows.Close()
	by := map[Purpose]*ConsentState{}
	for rows.Next() {
		var p, track string
		var e StateEntry
		if err := rows.Scan(&p, &track, &e.EntryID, &e.Action, &e.Source, &e.OccurredAt); err != nil {
			return nil, fmt.Errorf("optins: read consent state: %w", err)
		}
		st := by[Purpose(p)]
		if st == nil {
			st = &ConsentState{Purpose: Purpose(p)}
			by[Purpose(p)] = st
		}
		e.OccurredAt = e.OccurredAt.UTC()
		if track == trackMeta {
			st.Meta = &e
		} else {
			st.Consent = &e
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("optins: read consent state: %w", err)
	}
	out := []ConsentState{}
	for _, p := range Purposes {
		if st := by[p]; st != nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

func windows(ctx context.Context, tx pgx.Tx, tenantID, contactID uuid.UUID) ([]Window, error) {
	rows, err := tx.Query(ctx, `
		SELECT phone_number_id, last_inbound_at, referral_at, fep_opened_at FROM contact_windows
		WHERE tenant_id = $1 AND contact_id = $2 ORDER BY last_inbound_at DESC`, tenantID, contactID)
	if err != nil {
		return nil, fmt.Errorf("optins: read windows: %w", err)
	}
	defer rows.Close()
	out := []Window{}
	for rows.Next() {
		var phone string
		var last time.Time
		var ref, fep *time.Time
		if err := rows.Scan(&phone, &last, &ref, &fep); err != nil {
			return nil, fmt.Errorf("optins: read windows: %w", err)
		}
		out = append(out, windowOf(phone, last, ref, fep))
	}
	return out, rows.Err()
}

// ContactFilter narrows ListContacts; zero fields do not filter.
type ContactFilter struct {
	Status string
	Source string
	WaID   string
	BSUID  string
	// IdentityPending, when set, keeps contacts whose identity change is
	// (true) or is not (false) awaiting acknowledgement.
	IdentityPending *bool
}

func (f ContactFilter) validate() error {
	fe := fieldErrors{}
	switch f.Status {
	case "", StatusActive, StatusMoved, StatusErased:
	default:
		fe.add("status", "must be active, moved or erased")
	}
	switch f.Source {
	case "", ArrivedInbound, ArrivedImport, ArrivedAPI, ArrivedNumberChange:
	default:
		fe.add("source", "must be inbound, import, api or number_change")
	}
	if f.WaID != "" {
		if _, ok := ParseWaID(f.WaID); !ok {
			fe.add("wa_id", "must be a phone number in E.164 digits")
		}
	}
	return fe.err()
}

// ListContacts returns a tenant's contacts, newest first.
func (s *Service) ListContacts(ctx context.Context, tenantID uuid.UUID, f ContactFilter, p Page) (List[Contact], error) {
	if err := f.validate(); err != nil {
		return List[Contact]{}, err
	}
	at, id, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[Contact]{}, err
	}
	wa, _ := ParseWaID(f.WaID)
	size := p.Size()
	var out []Contact
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+contactCols+` FROM contacts
			WHERE tenant_id = $1
				AND ($2 = '' OR status = $2) AND ($3 = '' OR source = $3)
				AND ($4 = '' OR wa_id = $4) AND ($5 = '' OR bsuid = $5)
				AND ($6::boolean IS NULL OR (identity_changed_at IS NOT NULL) = $6)
				AND ($7::timestamptz IS NULL OR (created_at, id) < ($7, $8::uuid))
			ORDER BY created_at DESC, id DESC LIMIT $9`,
			tenantID, f.Status, f.Source, wa, f.BSUID, f.IdentityPending, at, id, size+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) { return scanContact(r) })
		return err
	})
	if err != nil {
		return List[Contact]{}, pg.Translate(err, "contacts")
	}
	return paging.Paginate(out, size, func(c Contact) (time.Time, string) { return c.CreatedAt, c.ID.String() }), nil
}

// NewContact is the input of CreateContact: a wa_id, a BSUID or both.
type NewContact struct {
	WaID        string
	BSUID       string
	ProfileName string
}

// CreateContact adds a contact that arrived through the API. It fails with
// Conflict when an active contact already has the wa_id or BSUID.
func (s *Service) CreateContact(ctx context.Context, tenantID uuid.UUID, in NewContact) (Contact, error) {
	fe := fieldErrors{}
	wa, ok := ParseWaID(in.WaID)
	if in.WaID != "" && !ok {
		fe.add("wa_id", "must be a phone number in E.164 digits")
	}
	if in.BSUID != "" && !validBSUID(in.BSUID) {
		fe.add("bsuid", "must be a business-scoped user id such as US.1234")
	}
	if in.WaID == "" && in.BSUID == "" {
		fe.add("wa_id", "a wa_id or a bsuid is required")
	}
	if len(in.ProfileName) > 500 {
		fe.add("profile_name", "at most 500 bytes")
	}
	if err := fe.err(); err != nil {
		return Contact{}, err
	}
	var c Contact
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		id := newID()
		tag, err := tx.Exec(ctx, `INSERT INTO contacts (id, tenant_id, wa_id, bsuid, profile_name, source)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			id, tenantID, ptr(wa), ptr(in.BSUID), clean(in.ProfileName, 500), ArrivedAPI)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.Conflict, "a contact with this wa_id or bsuid already exists")
		}
		c, err = getContact(ctx, tx, tenantID, id)
		return err
	})
	return c, pg.Translate(err, "contact")
}

// ensureContact returns the contact a consent write names, creating it
// (arrived through the API) when it is named by a wa_id or BSUID nobody has.
func ensureContact(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, ref ContactRef, name string) (Contact, error) {
	c, err := findContact(ctx, tx, tenantID, ref)
	switch {
	case ref.ID != uuid.Nil:
		return c, err
	case err == nil && c.Status == StatusActive:
		return c, nil
	case err != nil && !apperr.Is(err, apperr.NotFound):
		return c, err
	}
	// Unknown, or known only as a number that moved away or an erased
	// contact: whoever consents now is a contact of their own.
	wa, _ := ParseWaID(ref.WaID)
	r := newResolver(tenantID)
	s := &sighting{waID: wa, bsuid: ref.BSUID, name: name, at: time.Now()}
	if err := r.resolve(ctx, tx, []*sighting{s}, ArrivedAPI); err != nil {
		return Contact{}, err
	}
	if err := r.save(ctx, tx); err != nil {
		return Contact{}, err
	}
	return getContact(ctx, tx, tenantID, s.contact.id)
}
