package optins

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// sighting is one appearance of a user in a webhook: who (wa_id and/or
// BSUID), what Meta told about them, and when.
type sighting struct {
	waID, bsuid, parentBSUID string
	username, name           string
	identityHash             string
	at                       time.Time
	phoneID                  string
	// inbound marks a message from the user, which opens windows.
	inbound  bool
	referral bool
	// contact is filled by resolve.
	contact *contactRow
}

// contactRow is what resolution reads and writes of a contact.
type contactRow struct {
	id                      uuid.UUID
	waID, bsuid             string
	parentBSUID, username   string
	name, hash              string
	firstInbound, lastInbnd *time.Time
	identityChangedAt       *time.Time
	created                 bool
	dirty                   bool
	oldBSUID                string
	identityChange          *identityChange
}

// identityChange is a change of a contact's identity key hash seen in this
// batch.
type identityChange struct {
	at           time.Time
	previousHash string
	hash         string
}

// resolver finds or creates the contacts of a batch of sightings.
type resolver struct {
	tenantID uuid.UUID
	byWaID   map[string]*contactRow
	byBSUID  map[string]*contactRow
	rows     []*contactRow
}

func newResolver(tenantID uuid.UUID) *resolver {
	return &resolver{tenantID: tenantID, byWaID: map[string]*contactRow{}, byBSUID: map[string]*contactRow{}}
}

// load reads the active contacts known by any of the keys, directly or by a
// BSUID they had before a re-key.
func (r *resolver) load(ctx context.Context, tx pgx.Tx, waIDs, bsuids []string) error {
	if len(waIDs)+len(bsuids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
		WITH ids AS (
			SELECT id FROM contacts WHERE tenant_id = $1 AND status = 'active' AND wa_id = ANY($2)
			UNION SELECT id FROM contacts WHERE tenant_id = $1 AND status = 'active' AND bsuid = ANY($3)
			UNION SELECT contact_id FROM contact_aliases WHERE tenant_id = $1 AND kind = 'bsuid' AND value = ANY($3)
		)
		SELECT c.id, c.wa_id, c.bsuid, c.parent_bsuid, c.username, c.profile_name, c.identity_key_hash,
			c.first_inbound_at, c.last_inbound_at, c.identity_changed_at,
			coalesce((SELECT array_agg(a.value) FROM contact_aliases a
				WHERE a.tenant_id = $1 AND a.contact_id = c.id AND a.kind = 'bsuid' AND a.value = ANY($3)), '{}')
		FROM contacts c JOIN ids USING (id)
		WHERE c.tenant_id = $1 AND c.status = 'active'`, r.tenantID, waIDs, bsuids)
	if err != nil {
		return fmt.Errorf("optins: load contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c contactRow
		var wa, bs, parent, user, hash *string
		var aliases []string
		if err := rows.Scan(&c.id, &wa, &bs, &parent, &user, &c.name, &hash, &c.firstInbound, &c.lastInbnd,
			&c.identityChangedAt, &aliases); err != nil {
			return fmt.Errorf("optins: load contacts: %w", err)
		}
		c.waID, c.bsuid, c.parentBSUID, c.username, c.hash = str(wa), str(bs), str(parent), str(user), str(hash)
		r.add(&c)
		for _, a := range aliases {
			if _, taken := r.byBSUID[a]; !taken {
				r.byBSUID[a] = &c
			}
		}
	}
	return rows.Err()
}

func (r *resolver) add(c *contactRow) {
	r.rows = append(r.rows, c)
	if c.waID != "" {
		r.byWaID[c.waID] = c
	}
	if c.bsuid != "" {
		r.byBSUID[c.bsuid] = c
	}
}

// resolve gives every sighting its contact, creating contacts (arrived as
// source) for users not known yet, and folds what the sightings tell into
// the rows in event-time order. Nothing is written until save.
func (r *resolver) resolve(ctx context.Context, tx pgx.Tx, sightings []*sighting, source string) error {
	var waIDs, bsuids []string
	for _, s := range sightings {
		if s.waID != "" {
			waIDs = append(waIDs, s.waID)
		}
		if s.bsuid != "" {
			bsuids = append(bsuids, s.bsuid)
		}
	}
	if err := r.load(ctx, tx, waIDs, bsuids); err != nil {
		return err
	}
	sort.SliceStable(sightings, func(i, j int) bool { return sightings[i].at.Before(sightings[j].at) })
	var fresh []*contactRow
	for _, s := range sightings {
		c := r.find(s)
		if c == nil {
			c = &contactRow{id: newID(), waID: s.waID, bsuid: s.bsuid, created: true}
			r.add(c)
			fresh = append(fresh, c)
		}
		s.contact = c
	}
	if err := r.create(ctx, tx, fresh, source); err != nil {
		return err
	}
	for _, s := range sightings {
		r.fold(s.contact, s)
	}
	return nil
}

// find returns the contact a sighting names: by BSUID first (the stable key
// since 2026), else by wa_id.
func (r *resolver) find(s *sighting) *contactRow {
	if s.bsuid != "" {
		if c := r.byBSUID[s.bsuid]; c != nil {
			return c
		}
	}
	if s.waID != "" {
		return r.byWaID[s.waID]
	}
	return nil
}

// fold applies one sighting to its contact. Keys are linked when missing; a
// new BSUID for a known wa_id re-keys the contact (the old one stays an
// alias). Profile and identity hash follow the newest message only, so a
// late, older webhook cannot undo them.
func (r *resolver) fold(c *contactRow, s *sighting) {
	if s.waID != "" && c.waID == "" {
		if other := r.byWaID[s.waID]; other == nil || other == c {
			c.waID, c.dirty = s.waID, true
			r.byWaID[s.waID] = c
		}
	}
	if s.bsuid != "" && c.bsuid != s.bsuid {
		if other := r.byBSUID[s.bsuid]; other == nil || other == c {
			if c.bsuid != "" && c.oldBSUID == "" {
				c.oldBSUID = c.bsuid
			}
			c.bsuid, c.dirty = s.bsuid, true
			r.byBSUID[s.bsuid] = c
		}
	}
	newest := c.lastInbnd == nil || !s.at.Before(*c.lastInbnd)
	if newest {
		if s.name != "" && s.name != c.name {
			c.name, c.dirty = s.name, true
		}
		if s.username != "" && s.username != c.username {
			c.username, c.dirty = s.username, true
		}
		if s.parentBSUID != "" && s.parentBSUID != c.parentBSUID {
			c.parentBSUID, c.dirty = s.parentBSUID, true
		}
		if s.identityHash != "" && s.identityHash != c.hash {
			if c.hash != "" {
				at := s.at
				c.identityChangedAt = &at
				c.identityChange = &identityChange{at: at, previousHash: c.hash, hash: s.identityHash}
			}
			c.hash, c.dirty = s.identityHash, true
		}
	}
	if s.inbound {
		at := s.at
		if c.firstInbound == nil || at.Before(*c.firstInbound) {
			c.firstInbound, c.dirty = &at, true
		}
		if c.lastInbnd == nil || at.After(*c.lastInbnd) {
			c.lastInbnd, c.dirty = &at, true
		}
	}
}

// create inserts new contacts. One that a concurrent transaction created
// meanwhile is not inserted again: its row is read and used instead.
func (r *resolver) create(ctx context.Context, tx pgx.Tx, fresh []*contactRow, source string) error {
	if len(fresh) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(fresh))
	was, bss := make([]*string, len(fresh)), make([]*string, len(fresh))
	for i, c := range fresh {
		ids[i], was[i], bss[i] = c.id, ptr(c.waID), ptr(c.bsuid)
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO contacts (id, tenant_id, wa_id, bsuid, source)
		SELECT t.id, $1, t.wa_id, t.bsuid, $5 FROM unnest($2::uuid[], $3::text[], $4::text[]) AS t(id, wa_id, bsuid)
		ON CONFLICT DO NOTHING
		RETURNING id`, r.tenantID, ids, was, bss, source)
	if err != nil {
		return fmt.Errorf("optins: create contacts: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("optins: create contacts: %w", err)
	}
	if len(inserted) == len(fresh) {
		return nil
	}
	done := make(map[uuid.UUID]bool, len(inserted))
	for _, id := range inserted {
		done[id] = true
	}
	for _, c := range fresh {
		if done[c.id] {
			continue
		}
		// Another transaction won the race; adopt its row.
		var id uuid.UUID
		err := tx.QueryRow(ctx, `
			SELECT id FROM contacts WHERE tenant_id = $1 AND status = 'active'
				AND ((wa_id = $2 AND $2 <> '') OR (bsuid = $3 AND $3 <> '')) LIMIT 1`,
			r.tenantID, c.waID, c.bsuid).Scan(&id)
		if err != nil {
			return fmt.Errorf("optins: adopt concurrent contact: %w", err)
		}
		c.id, c.created = id, false
	}
	return nil
}

// addAliases records the BSUIDs contacts were re-keyed away from, so that
// late webhooks and callers naming the old key still find them.
func (r *resolver) addAliases(ctx context.Context, tx pgx.Tx, cs []*contactRow) error {
	var ids []uuid.UUID
	var kinds, values []string
	for _, c := range cs {
		if c.oldBSUID != "" {
			ids, kinds, values = append(ids, c.id), append(kinds, "bsuid"), append(values, c.oldBSUID)
		}
	}
	return insertAliases(ctx, tx, r.tenantID, ids, kinds, values)
}

func insertAliases(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, ids []uuid.UUID, kinds, values []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO contact_aliases (tenant_id, kind, value, contact_id, seen_at)
		SELECT $1, t.kind, t.value, t.contact_id, now() FROM unnest($2::uuid[], $3::text[], $4::text[]) AS t(contact_id, kind, value)
		ON CONFLICT DO NOTHING`, tenantID, ids, kinds, values)
	if err != nil {
		return fmt.Errorf("optins: record contact keys: %w", err)
	}
	return nil
}

// save writes back every contact the sightings changed, in one statement,
// and keeps the keys they were re-keyed away from.
func (r *resolver) save(ctx context.Context, tx pgx.Tx) error {
	var dirty []*contactRow
	seen := map[*contactRow]bool{}
	for _, c := range r.rows {
		if c.dirty && !seen[c] {
			seen[c] = true
			dirty = append(dirty, c)
		}
	}
	if len(dirty) == 0 {
		return nil
	}
	n := len(dirty)
	ids := make([]uuid.UUID, n)
	was, bss, parents, users, hashes := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	names := make([]string, n)
	firsts, lasts, changed := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	for i, c := range dirty {
		ids[i], was[i], bss[i], parents[i], users[i] = c.id, ptr(c.waID), ptr(c.bsuid), ptr(c.parentBSUID), ptr(clean(c.username, 200))
		names[i], hashes[i] = clean(c.name, 500), ptr(clean(c.hash, 500))
		firsts[i], lasts[i] = c.firstInbound, c.lastInbnd
		if c.identityChange != nil {
			changed[i] = &c.identityChange.at
		}
	}
	_, err := tx.Exec(ctx, `
		UPDATE contacts c SET
			wa_id = coalesce(c.wa_id, t.wa_id), bsuid = coalesce(t.bsuid, c.bsuid),
			parent_bsuid = coalesce(t.parent, c.parent_bsuid), username = coalesce(t.username, c.username),
			profile_name = CASE WHEN t.name <> '' THEN t.name ELSE c.profile_name END,
			identity_key_hash = coalesce(t.hash, c.identity_key_hash),
			identity_changed_at = coalesce(t.changed, c.identity_changed_at),
			identity_acknowledged_at = CASE WHEN t.changed IS NULL THEN c.identity_acknowledged_at END,
			first_inbound_at = least(c.first_inbound_at, t.first), last_inbound_at = greatest(c.last_inbound_at, t.last),
			updated_at = now()
		FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
			AS t(id, wa_id, bsuid, parent, username, name, hash, first, last, changed)
		WHERE c.tenant_id = $1 AND c.id = t.id`,
		r.tenantID, ids, was, bss, parents, users, names, hashes, firsts, lasts, changed)
	if err != nil {
		return fmt.Errorf("optins: update contacts: %w", err)
	}
	return r.addAliases(ctx, tx, dirty)
}
