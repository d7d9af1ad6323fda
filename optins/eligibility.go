package optins

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// Kind is the kind of message a sender wants to send: free-form (session)
// text, or a template of a category.
type Kind string

// The kinds. Authentication-international templates need the same consent
// as authentication ones.
const (
	KindFreeForm                    Kind = "free_form"
	KindMarketing                   Kind = "marketing"
	KindUtility                     Kind = "utility"
	KindAuthentication              Kind = "authentication"
	KindAuthenticationInternational Kind = "authentication_international"
)

// purpose is the consent purpose a template kind needs; "" for free-form.
func (k Kind) purpose() (Purpose, bool) {
	switch k {
	case KindFreeForm:
		return "", true
	case KindMarketing:
		return PurposeMarketing, true
	case KindUtility:
		return PurposeUtility, true
	case KindAuthentication, KindAuthenticationInternational:
		return PurposeAuthentication, true
	}
	return "", false
}

// Reason is a machine-readable reason a message may not be sent.
type Reason string

// The reasons. Several can apply at once; every one that applies is given.
const (
	// ReasonUnknownContact: wabsp has never heard of this user.
	ReasonUnknownContact Reason = "unknown_contact"
	// ReasonNoOptIn: no consent for the template's category was recorded.
	ReasonNoOptIn Reason = "no_opt_in"
	// ReasonOptedOut: the latest consent for the category is an opt-out.
	ReasonOptedOut Reason = "opted_out"
	// ReasonMarketingStopped: the user stopped marketing messages in
	// WhatsApp (user_preferences); Meta would fail the send with 131050.
	ReasonMarketingStopped Reason = "marketing_stopped_by_user"
	// ReasonIdentityChanged: the user's identity changed and the tenant has
	// not acknowledged it.
	ReasonIdentityChanged Reason = "identity_changed"
	// ReasonNumberMoved: the user moved to another number; this one no
	// longer reaches them and their consent does not carry over.
	ReasonNumberMoved Reason = "number_moved"
	// ReasonWindowClosed: free-form messages need an open 24-hour customer
	// service window; outside it only a template may be sent.
	ReasonWindowClosed Reason = "window_closed_requires_template"
	// ReasonErased: the contact's personal data was erased.
	ReasonErased Reason = "contact_erased"
)

// EligibilityQuery is what is to be sent. PhoneNumberID names the business
// number; when empty the most recent window with any number counts.
type EligibilityQuery struct {
	Kind          Kind
	PhoneNumberID string
}

// Eligibility is the answer for one contact.
type Eligibility struct {
	Contact   ContactRef `json:"contact"`
	ContactID *uuid.UUID `json:"contact_id,omitempty"`
	Allowed   bool       `json:"allowed"`
	Reasons   []Reason   `json:"reasons"`
	// Basis is the consent entry a template send relies on.
	Basis   *StateEntry `json:"basis,omitempty"`
	MovedTo *uuid.UUID  `json:"moved_to,omitempty"`
	// PhoneNumberID is the business number of the window reported.
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	// ServiceWindowEnds is when the customer service window closes; nil
	// when it is not open.
	ServiceWindowEnds *time.Time `json:"service_window_ends,omitempty"`
	// FreeEntryPointEnds is when the free entry point window closes; nil
	// when it is not open.
	FreeEntryPointEnds *time.Time `json:"free_entry_point_ends,omitempty"`
}

// facts is what eligibility reads of one contact.
type facts struct {
	id              uuid.UUID
	status          string
	identityPending bool
	movedTo         *uuid.UUID
	// consent is the projection cell that decides: the purpose's own or
	// the "all" one, whichever is later.
	consent *StateEntry
	meta    *StateEntry
	window  *Window
}

// decide answers for one contact; f is nil for a contact nobody knows.
func decide(ref ContactRef, f *facts, q EligibilityQuery, purpose Purpose, now time.Time) Eligibility {
	e := Eligibility{Contact: ref, Reasons: []Reason{}}
	if f == nil {
		e.Reasons = append(e.Reasons, ReasonUnknownContact)
		if q.Kind == KindFreeForm {
			e.Reasons = append(e.Reasons, ReasonWindowClosed)
		} else {
			e.Reasons = append(e.Reasons, ReasonNoOptIn)
		}
		return e
	}
	id := f.id
	e.ContactID = &id
	switch f.status {
	case StatusErased:
		e.Reasons = append(e.Reasons, ReasonErased)
		return e
	case StatusMoved:
		e.Reasons = append(e.Reasons, ReasonNumberMoved)
		e.MovedTo = f.movedTo
	}
	if f.identityPending {
		e.Reasons = append(e.Reasons, ReasonIdentityChanged)
	}
	open := false
	if w := f.window; w != nil {
		e.PhoneNumberID = w.PhoneNumberID
		if now.Before(w.ServiceWindowEnds) {
			open = true
			end := w.ServiceWindowEnds
			e.ServiceWindowEnds = &end
		}
		if w.FreeEntryPointEnds != nil && now.Before(*w.FreeEntryPointEnds) {
			e.FreeEntryPointEnds = w.FreeEntryPointEnds
		}
	}
	if q.Kind == KindFreeForm {
		if !open {
			e.Reasons = append(e.Reasons, ReasonWindowClosed)
		}
	} else {
		c := f.consent
		switch {
		case c == nil:
			e.Reasons = append(e.Reasons, ReasonNoOptIn)
		case c.Action == ActionOptOut:
			e.Reasons = append(e.Reasons, ReasonOptedOut)
		default:
			e.Basis = c
		}
		if purpose == PurposeMarketing && f.meta != nil && f.meta.Action == ActionOptOut {
			e.Reasons = append(e.Reasons, ReasonMarketingStopped)
		}
	}
	e.Allowed = len(e.Reasons) == 0
	return e
}

// MaxBulkEligibility bounds one bulk eligibility call.
const MaxBulkEligibility = 100_000

// CheckEligibility answers whether the message may be sent to one contact
// now, and if not, why.
func (s *Service) CheckEligibility(ctx context.Context, tenantID uuid.UUID, ref ContactRef, q EligibilityQuery) (Eligibility, error) {
	if ref.empty() {
		return Eligibility{}, apperr.InvalidField("contact", "name the contact by id, wa_id or bsuid")
	}
	out, err := s.CheckEligibilityBulk(ctx, tenantID, []ContactRef{ref}, q)
	if err != nil {
		return Eligibility{}, err
	}
	return out[0], nil
}

// CheckEligibilityBulk is CheckEligibility for a campaign's list, in input
// order, with a few set-based queries whatever the list's length.
// Malformed wa_ids fail the call, naming the first bad position.
func (s *Service) CheckEligibilityBulk(ctx context.Context, tenantID uuid.UUID, refs []ContactRef, q EligibilityQuery) ([]Eligibility, error) {
	purpose, ok := q.Kind.purpose()
	if !ok {
		return nil, apperr.InvalidField("kind", "must be free_form, marketing, utility, authentication or authentication_international")
	}
	if len(refs) > MaxBulkEligibility {
		return nil, apperr.InvalidField("contacts", fmt.Sprintf("at most %d contacts per call", MaxBulkEligibility))
	}
	keys := make([]ContactRef, len(refs))
	for i, r := range refs {
		switch {
		case r.empty():
			return nil, apperr.InvalidField(fmt.Sprintf("contacts[%d]", i), "name the contact by id, wa_id or bsuid")
		case r.ID == uuid.Nil && r.WaID != "":
			wa, ok := ParseWaID(r.WaID)
			if !ok {
				return nil, apperr.InvalidField(fmt.Sprintf("contacts[%d].wa_id", i), "must be a phone number in E.164 digits")
			}
			keys[i] = ContactRef{WaID: wa}
		default:
			keys[i] = ContactRef{ID: r.ID, BSUID: r.BSUID}
			if r.ID != uuid.Nil {
				keys[i].BSUID = ""
			}
		}
	}
	now := s.now().UTC()
	out := make([]Eligibility, len(refs))
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if len(keys) >= bulkTuning {
			if err := tuneForBulk(ctx, tx); err != nil {
				return err
			}
		}
		found, err := readFacts(ctx, tx, tenantID, keys, purpose, q.PhoneNumberID)
		if err != nil {
			return err
		}
		for i, r := range refs {
			out[i] = decide(r, found[keys[i]], q, purpose, now)
		}
		return nil
	})
	if err != nil {
		return nil, pg.Translate(err, "eligibility")
	}
	return out, nil
}

// bulkTuning is the list length from which a call is treated as bulk work.
const bulkTuning = 1000

// tuneForBulk sets up a transaction for a few large set-based statements:
// JIT compilation costs more than it saves on queries that are simple but
// wide, and their hashes and sorts should stay in memory.
func tuneForBulk(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return fmt.Errorf("optins: tune transaction: %w", err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '128MB'`); err != nil {
		return fmt.Errorf("optins: tune transaction: %w", err)
	}
	return nil
}

// The resolution step of the facts query, one per kind of reference: each
// yields (key, id) for the distinct keys given as $2. The keys are made
// distinct beforehand, so the planner sees how many there are and joins by
// hashing instead of probing an index per key. A wa_id names the active
// contact, else the latest that moved away from it; a BSUID names the
// contact that has it, else one that had it before a re-key.
const (
	resolveByID = `SELECT k.id::text AS key, k.id FROM unnest($2::uuid[]) AS k(id)`

	resolveByWaID = `SELECT k.wa_id AS key, coalesce(a.id, m.id) AS id
		FROM unnest($2::text[]) AS k(wa_id)
		LEFT JOIN contacts a ON a.tenant_id = $1 AND a.status = 'active' AND a.wa_id = k.wa_id
		LEFT JOIN (SELECT DISTINCT ON (wa_id) wa_id, id FROM contacts
			WHERE tenant_id = $1 AND status = 'moved' ORDER BY wa_id, moved_at DESC NULLS LAST
		) m ON m.wa_id = k.wa_id AND a.id IS NULL`

	resolveByBSUID = `SELECT DISTINCT ON (key) key, id FROM (
			SELECT c.bsuid AS key, c.id, CASE WHEN c.status = 'active' THEN 0 ELSE 1 END AS pref FROM contacts c
			WHERE c.tenant_id = $1 AND c.status IN ('active', 'moved') AND c.bsuid = ANY($2::text[])
			UNION ALL
			SELECT a.value, a.contact_id, 2 FROM contact_aliases a
			WHERE a.tenant_id = $1 AND a.kind = 'bsuid' AND a.value = ANY($2::text[])
		) x ORDER BY key, pref`
)

// factsSQL reads, for the contacts a resolution step names, their status,
// the consent entry that decides the purpose ($3, or the later "all"
// entry), Meta's marketing setting and the window with number $4 (the most
// recent with any number when $4 is empty), in one statement.
func factsSQL(resolve string, anyNumber bool) string {
	window := `LEFT JOIN contact_windows w ON w.tenant_id = $1 AND w.contact_id = c.id AND w.phone_number_id = $4`
	if anyNumber {
		window = `LEFT JOIN LATERAL (SELECT phone_number_id, last_inbound_at, referral_at, fep_opened_at
			FROM contact_windows w WHERE w.tenant_id = $1 AND w.contact_id = c.id AND $4 = ''
			ORDER BY last_inbound_at DESC LIMIT 1) w ON true`
	}
	return `WITH r AS (` + resolve + `)
		SELECT r.key, c.id, c.status, c.identity_changed_at IS NOT NULL, c.moved_to,
			CASE WHEN u.use_all THEN sa.entry_id ELSE sp.entry_id END,
			CASE WHEN u.use_all THEN sa.action ELSE sp.action END,
			CASE WHEN u.use_all THEN sa.source ELSE sp.source END,
			CASE WHEN u.use_all THEN sa.occurred_at ELSE sp.occurred_at END,
			sm.action, w.phone_number_id, w.last_inbound_at, w.referral_at, w.fep_opened_at
		FROM r
		JOIN contacts c ON c.tenant_id = $1 AND c.id = r.id
		LEFT JOIN consent_state sp ON sp.tenant_id = $1 AND sp.contact_id = c.id AND sp.purpose = $3 AND sp.track = 'consent'
		LEFT JOIN consent_state sa ON sa.tenant_id = $1 AND sa.contact_id = c.id AND sa.purpose = 'all' AND sa.track = 'consent'
		LEFT JOIN consent_state sm ON sm.tenant_id = $1 AND sm.contact_id = c.id AND sm.purpose = 'marketing' AND sm.track = 'meta'
		CROSS JOIN LATERAL (SELECT sa.entry_id IS NOT NULL AND (sp.entry_id IS NULL
			OR (sa.occurred_at, sa.entry_id) > (sp.occurred_at, sp.entry_id)) AS use_all) u
		` + window
}

// readFacts returns what eligibility needs of every contact the keys name;
// keys that name nobody are missing from the map.
func readFacts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, keys []ContactRef, purpose Purpose, phone string) (map[ContactRef]*facts, error) {
	var ids []uuid.UUID
	var was, bsuids []string
	seen := make(map[ContactRef]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		switch {
		case k.ID != uuid.Nil:
			ids = append(ids, k.ID)
		case k.WaID != "":
			was = append(was, k.WaID)
		default:
			bsuids = append(bsuids, k.BSUID)
		}
	}
	out := make(map[ContactRef]*facts, len(keys))
	groups := []struct {
		resolve string
		arg     any
		n       int
		ref     func(key string) ContactRef
	}{
		{resolveByWaID, was, len(was), func(k string) ContactRef { return ContactRef{WaID: k} }},
		{resolveByID, ids, len(ids), func(k string) ContactRef { return ContactRef{ID: uuid.MustParse(k)} }},
		{resolveByBSUID, bsuids, len(bsuids), func(k string) ContactRef { return ContactRef{BSUID: k} }},
	}
	for _, g := range groups {
		if g.n == 0 {
			continue
		}
		rows, err := tx.Query(ctx, factsSQL(g.resolve, phone == ""), tenantID, g.arg, string(purpose), phone)
		if err != nil {
			return nil, fmt.Errorf("optins: read eligibility facts: %w", err)
		}
		err = scanFacts(rows, func(key string, f *facts) { out[g.ref(key)] = f })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanFacts(rows pgx.Rows, add func(string, *facts)) error {
	defer rows.Close()
	var (
		key, status, action, source, meta, phone pgtype.Text
		id, movedTo                              pgtype.UUID
		pending                                  bool
		entry                                    pgtype.Int8
		at, last, referral, fep                  pgtype.Timestamptz
	)
	for rows.Next() {
		if err := rows.Scan(&key, &id, &status, &pending, &movedTo, &entry, &action, &source, &at, &meta,
			&phone, &last, &referral, &fep); err != nil {
			return fmt.Errorf("optins: read eligibility facts: %w", err)
		}
		f := &facts{id: id.Bytes, status: status.String, identityPending: pending}
		if movedTo.Valid {
			m := uuid.UUID(movedTo.Bytes)
			f.movedTo = &m
		}
		if entry.Valid {
			f.consent = &StateEntry{EntryID: entry.Int64, Action: Action(action.String), Source: Source(source.String), OccurredAt: at.Time.UTC()}
		}
		if meta.Valid {
			f.meta = &StateEntry{Action: Action(meta.String), Source: SourceUserPreferences}
		}
		if last.Valid {
			w := windowOf(phone.String, last.Time, timePtr(referral), timePtr(fep))
			f.window = &w
		}
		add(key.String, f)
	}
	return rows.Err()
}

func timePtr(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
