package optins

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// ConsentInput is a consent the tenant records: who, for what, how it was
// collected and the proof.
type ConsentInput struct {
	Contact ContactRef `json:"contact"`
	// ProfileName names a contact created by this write.
	ProfileName   string   `json:"profile_name,omitempty"`
	Purpose       Purpose  `json:"purpose"`
	Action        Action   `json:"action"`
	Source        Source   `json:"source"`
	Evidence      Evidence `json:"evidence"`
	PhoneNumberID string   `json:"phone_number_id,omitempty"`
	// OccurredAt is when the person consented; now when zero.
	OccurredAt time.Time `json:"occurred_at"`
}

// clockSkew is how far in the future a consent time may be: clients'
// clocks drift, but a consent given tomorrow is a mistake.
const clockSkew = 5 * time.Minute

// validateConsent checks what every tenant-recorded entry needs, whether it
// comes from the API or an import row, and returns its problems by field.
func validateConsent(f fieldErrors, purpose Purpose, action Action, source Source, ev *Evidence, at, now time.Time) {
	if !purpose.Valid() {
		f.add("purpose", "must be marketing, utility, authentication or all")
	}
	if !action.Valid() {
		f.add("action", "must be opt_in or opt_out")
	}
	switch {
	case source == "":
		f.add("source", "is required")
	case source == SourceUserPreferences:
		f.add("source", "user_preferences entries come from Meta only")
	case !source.Valid():
		f.add("source", "must be api, import, web_form, inbound_keyword or quick_reply")
	}
	if !ev.present() {
		f.add("evidence", "is required: notice_text, url, message_id or note")
	}
	if ev.IP != "" {
		ip, ok := validIP(ev.IP)
		if !ok {
			f.add("evidence.ip", "is not an IP address")
		}
		ev.IP = ip
	}
	if at.After(now.Add(clockSkew)) {
		f.add("occurred_at", "is in the future")
	}
	if at.Year() < 2000 {
		f.add("occurred_at", "is before 2000")
	}
}

// RecordConsent appends a consent entry the tenant collected, creating the
// contact when it is named by a wa_id or BSUID nobody has yet, and emits
// optin.changed. With an idempotency key, the same key and input return the
// first entry again.
func (s *Service) RecordConsent(ctx context.Context, tenantID uuid.UUID, actor string, in ConsentInput, idempotencyKey string) (Entry, error) {
	now := s.now().UTC()
	if in.OccurredAt.IsZero() {
		in.OccurredAt = now
	}
	f := fieldErrors{}
	if in.Contact.empty() {
		f.add("contact", "name the contact by id, wa_id or bsuid")
	}
	if in.Contact.WaID != "" {
		if _, ok := ParseWaID(in.Contact.WaID); !ok {
			f.add("contact.wa_id", "must be a phone number in E.164 digits")
		}
	}
	if in.Contact.BSUID != "" && !validBSUID(in.Contact.BSUID) {
		f.add("contact.bsuid", "must be a business-scoped user id such as US.1234")
	}
	validateConsent(f, in.Purpose, in.Action, in.Source, &in.Evidence, in.OccurredAt, now)
	if err := f.err(); err != nil {
		return Entry{}, err
	}
	request, err := json.Marshal(in)
	if err != nil {
		return Entry{}, fmt.Errorf("optins: encode request: %w", err)
	}
	var out Entry
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		out, _, err = idempotent(ctx, tx, tenantID, "consent", idempotencyKey, request, func() (Entry, error) {
			c, err := ensureContact(ctx, tx, tenantID, in.Contact, in.ProfileName)
			if err != nil {
				return Entry{}, err
			}
			if c.Status == StatusErased {
				return Entry{}, apperr.New(apperr.FailedPrecondition, "the contact was erased")
			}
			got, err := appendEntries(ctx, tx, tenantID, []newEntry{{
				contactID: c.ID, waID: c.WaID, bsuid: c.BSUID, purpose: in.Purpose, action: in.Action,
				source: in.Source, ev: in.Evidence, phoneID: in.PhoneNumberID, actor: actor, at: in.OccurredAt, emit: true,
			}})
			if err != nil {
				return Entry{}, err
			}
			return got[0], nil
		})
		return err
	})
	return out, pg.Translate(err, "consent")
}

// LedgerFilter narrows ledger listings and exports; zero fields do not
// filter. From and To bound the consent's event time, To exclusive.
type LedgerFilter struct {
	ContactID uuid.UUID
	Purpose   Purpose
	Action    Action
	Source    Source
	From, To  time.Time
}

func (f LedgerFilter) validate() error {
	fe := fieldErrors{}
	if f.Purpose != "" && !f.Purpose.Valid() {
		fe.add("purpose", "must be marketing, utility, authentication or all")
	}
	if f.Action != "" && !f.Action.Valid() {
		fe.add("action", "must be opt_in or opt_out")
	}
	if f.Source != "" && !f.Source.Valid() {
		fe.add("source", "is not a consent source")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fe.add("to", "must be after from")
	}
	return fe.err()
}

func (f LedgerFilter) args() []any {
	var contact, from, to any
	if f.ContactID != uuid.Nil {
		contact = f.ContactID
	}
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	return []any{contact, string(f.Purpose), string(f.Action), string(f.Source), from, to}
}

const ledgerCols = `id, contact_id, wa_id, bsuid, purpose, action, source, notice_text, evidence_url,
	host(evidence_ip), evidence_user_agent, message_id, message_text, evidence_note, phone_number_id, actor,
	occurred_at, recorded_at, import_id, erased_at`

// ledgerWhere filters on $1 tenant and $2..$7 LedgerFilter.args.
const ledgerWhere = `tenant_id = $1 AND ($2::uuid IS NULL OR contact_id = $2)
	AND ($3 = '' OR purpose = $3) AND ($4 = '' OR action = $4) AND ($5 = '' OR source = $5)
	AND ($6::timestamptz IS NULL OR occurred_at >= $6) AND ($7::timestamptz IS NULL OR occurred_at < $7)`

func scanEntry(row pgx.Row) (Entry, error) {
	var e Entry
	var wa, bs, notice, url, ip, ua, msgID, msgText, note, phone *string
	err := row.Scan(&e.ID, &e.ContactID, &wa, &bs, &e.Purpose, &e.Action, &e.Source, &notice, &url, &ip, &ua,
		&msgID, &msgText, &note, &phone, &e.Actor, &e.OccurredAt, &e.RecordedAt, &e.ImportID, &e.ErasedAt)
	e.WaID, e.BSUID, e.PhoneNumberID = str(wa), str(bs), str(phone)
	e.Evidence = Evidence{NoticeText: str(notice), URL: str(url), IP: str(ip), UserAgent: str(ua),
		MessageID: str(msgID), MessageText: str(msgText), Note: str(note)}
	e.OccurredAt, e.RecordedAt = e.OccurredAt.UTC(), e.RecordedAt.UTC()
	return e, err
}

// ListLedger returns ledger entries, newest first by event time.
func (s *Service) ListLedger(ctx context.Context, tenantID uuid.UUID, f LedgerFilter, p Page) (List[Entry], error) {
	if err := f.validate(); err != nil {
		return List[Entry]{}, err
	}
	at, id, err := paging.Int64Cursor(p.Cursor)
	if err != nil {
		return List[Entry]{}, err
	}
	size := p.Size()
	var out []Entry
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		args := append([]any{tenantID}, f.args()...)
		args = append(args, at, id, size+1)
		rows, err := tx.Query(ctx, `SELECT `+ledgerCols+` FROM consent_ledger WHERE `+ledgerWhere+`
				AND ($8::timestamptz IS NULL OR (occurred_at, id) < ($8, $9::bigint))
			ORDER BY occurred_at DESC, id DESC LIMIT $10`, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) { return scanEntry(r) })
		return err
	})
	if err != nil {
		return List[Entry]{}, pg.Translate(err, "consent ledger")
	}
	return paging.Paginate(out, size, func(e Entry) (time.Time, string) { return e.OccurredAt, strconv.FormatInt(e.ID, 10) }), nil
}

// ContactHistory returns a contact and every ledger entry of it, oldest
// first: the audit answer to "what did this person agree to, when, and how
// do we know".
func (s *Service) ContactHistory(ctx context.Context, tenantID, contactID uuid.UUID) (ContactDetail, []Entry, error) {
	d, err := s.GetContact(ctx, tenantID, contactID)
	if err != nil {
		return ContactDetail{}, nil, err
	}
	var out []Entry
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ledgerCols+` FROM consent_ledger
			WHERE tenant_id = $1 AND contact_id = $2 ORDER BY occurred_at, id`, tenantID, contactID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) { return scanEntry(r) })
		return err
	})
	if out == nil {
		out = []Entry{}
	}
	return d, out, pg.Translate(err, "consent ledger")
}

// ExportLedger calls fn with every entry the filter keeps, oldest first, in
// one consistent snapshot, without holding them all in memory.
func (s *Service) ExportLedger(ctx context.Context, tenantID uuid.UUID, f LedgerFilter, fn func(Entry) error) error {
	if err := f.validate(); err != nil {
		return err
	}
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		args := append([]any{tenantID}, f.args()...)
		rows, err := tx.Query(ctx, `SELECT `+ledgerCols+` FROM consent_ledger WHERE `+ledgerWhere+`
			ORDER BY occurred_at, id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return pg.Translate(err, "consent ledger")
}
