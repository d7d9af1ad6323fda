package optins

import (
	"time"

	"github.com/google/uuid"
)

// Purpose is what a consent covers: one template category, or all of them.
type Purpose string

// The purposes.
const (
	PurposeMarketing      Purpose = "marketing"
	PurposeUtility        Purpose = "utility"
	PurposeAuthentication Purpose = "authentication"
	PurposeAll            Purpose = "all"
)

// Purposes lists every purpose, in the order reports show them.
var Purposes = []Purpose{PurposeMarketing, PurposeUtility, PurposeAuthentication, PurposeAll}

// Valid reports whether p is one of the purposes.
func (p Purpose) Valid() bool {
	switch p {
	case PurposeMarketing, PurposeUtility, PurposeAuthentication, PurposeAll:
		return true
	}
	return false
}

// Action is what a ledger entry records.
type Action string

// The actions.
const (
	ActionOptIn  Action = "opt_in"
	ActionOptOut Action = "opt_out"
)

// Valid reports whether a is opt_in or opt_out.
func (a Action) Valid() bool { return a == ActionOptIn || a == ActionOptOut }

// Source is how a consent was collected.
type Source string

// The sources. Inbound keywords, quick replies and user preferences come from
// webhooks; the others from the tenant.
const (
	SourceAPI             Source = "api"
	SourceImport          Source = "import"
	SourceWebForm         Source = "web_form"
	SourceInboundKeyword  Source = "inbound_keyword"
	SourceQuickReply      Source = "quick_reply"
	SourceUserPreferences Source = "user_preferences"
)

// Valid reports whether s is one of the sources.
func (s Source) Valid() bool {
	switch s {
	case SourceAPI, SourceImport, SourceWebForm, SourceInboundKeyword, SourceQuickReply, SourceUserPreferences:
		return true
	}
	return false
}

// track is the projection column an entry of this source moves: Meta's
// marketing stop/resume blocks marketing without being the person's consent
// to the business, so it is kept beside consent rather than replacing it.
func (s Source) track() string {
	if s == SourceUserPreferences {
		return trackMeta
	}
	return trackConsent
}

const (
	trackConsent = "consent"
	trackMeta    = "meta"
)

// Contact arrival methods.
const (
	ArrivedInbound      = "inbound"
	ArrivedImport       = "import"
	ArrivedAPI          = "api"
	ArrivedNumberChange = "number_change"
)

// Contact statuses.
const (
	StatusActive = "active"
	// StatusMoved marks a contact whose user changed number: the wa_id no
	// longer reaches them and MovedTo is the contact for the new number.
	StatusMoved = "moved"
	// StatusErased marks a contact whose personal data was erased.
	StatusErased = "erased"
)

// Contact is a WhatsApp user as one tenant knows them.
type Contact struct {
	ID uuid.UUID `json:"id"`
	// WaID is the user's WhatsApp id in E.164 digits; "" when only the BSUID
	// is known or after erasure.
	WaID        string `json:"wa_id,omitempty"`
	BSUID       string `json:"bsuid,omitempty"`
	ParentBSUID string `json:"parent_bsuid,omitempty"`
	Username    string `json:"username,omitempty"`
	ProfileName string `json:"profile_name,omitempty"`
	// Source is how the contact arrived: inbound, import, api, number_change.
	Source    string     `json:"source"`
	Status    string     `json:"status"`
	MovedTo   *uuid.UUID `json:"moved_to,omitempty"`
	MovedFrom *uuid.UUID `json:"moved_from,omitempty"`
	MovedAt   *time.Time `json:"moved_at,omitempty"`
	// IdentityChangedAt is set while an identity change awaits the tenant's
	// acknowledgement.
	IdentityChangedAt      *time.Time `json:"identity_changed_at,omitempty"`
	IdentityAcknowledgedAt *time.Time `json:"identity_acknowledged_at,omitempty"`
	FirstInboundAt         *time.Time `json:"first_inbound_at,omitempty"`
	LastInboundAt          *time.Time `json:"last_inbound_at,omitempty"`
	ErasedAt               *time.Time `json:"erased_at,omitempty"`
	CreatedAt              time.Time  `json:"created_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
}

// IdentityPending reports whether an identity change awaits acknowledgement.
func (c Contact) IdentityPending() bool { return c.IdentityChangedAt != nil }

// Window is a contact's messaging windows with one business number.
type Window struct {
	PhoneNumberID string    `json:"phone_number_id"`
	LastInboundAt time.Time `json:"last_inbound_at"`
	// ServiceWindowEnds is when the 24-hour customer service window closes.
	ServiceWindowEnds time.Time `json:"service_window_ends"`
	// ReferralAt is the last message that came from a Click-to-WhatsApp ad.
	ReferralAt *time.Time `json:"referral_at,omitempty"`
	// FreeEntryPointEnds is when the 72-hour free entry point window closes,
	// once the business replied within 24 hours of the referral.
	FreeEntryPointEnds *time.Time `json:"free_entry_point_ends,omitempty"`
}

// Window lengths.
const (
	ServiceWindow        = 24 * time.Hour
	FreeEntryPointWindow = 72 * time.Hour
	// FreeEntryPointReply is how soon after the referral the business must
	// reply for the free entry point window to open.
	FreeEntryPointReply = 24 * time.Hour
)

// ConsentState is the projection for one purpose: the latest entry of each
// track, nil when there is none.
type ConsentState struct {
	Purpose Purpose `json:"purpose"`
	// Consent is the latest opt-in or opt-out the person gave the business.
	Consent *StateEntry `json:"consent,omitempty"`
	// Meta is the latest marketing stop/resume from Meta's user_preferences.
	Meta *StateEntry `json:"meta,omitempty"`
}

// StateEntry is the ledger entry a projection cell points at.
type StateEntry struct {
	EntryID    int64     `json:"entry_id"`
	Action     Action    `json:"action"`
	Source     Source    `json:"source"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ContactDetail is a contact with its consent projection and windows.
type ContactDetail struct {
	Contact
	Consents []ConsentState `json:"consents"`
	Windows  []Window       `json:"windows"`
}

// Evidence is what proves a consent entry. At least one of NoticeText, URL,
// MessageID or Note is required.
type Evidence struct {
	// NoticeText is the text shown to the person when they consented,
	// naming the business and what they agree to.
	NoticeText string `json:"notice_text,omitempty"`
	URL        string `json:"url,omitempty"`
	IP         string `json:"ip,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	// MessageID is the WhatsApp message (wamid) the consent came with.
	MessageID string `json:"message_id,omitempty"`
	// MessageText is what the person wrote or tapped; personal, so erased
	// with the contact.
	MessageText string `json:"message_text,omitempty"`
	// Note is anything else that locates the proof (Meta's detail text, a
	// paper form's reference).
	Note string `json:"note,omitempty"`
}

func (e Evidence) present() bool {
	return e.NoticeText != "" || e.URL != "" || e.MessageID != "" || e.Note != ""
}

// Entry is one consent ledger entry.
type Entry struct {
	ID        int64     `json:"id"`
	ContactID uuid.UUID `json:"contact_id"`
	// WaID and BSUID are the contact's keys when the entry was recorded.
	WaID          string     `json:"wa_id,omitempty"`
	BSUID         string     `json:"bsuid,omitempty"`
	Purpose       Purpose    `json:"purpose"`
	Action        Action     `json:"action"`
	Source        Source     `json:"source"`
	Evidence      Evidence   `json:"evidence"`
	PhoneNumberID string     `json:"phone_number_id,omitempty"`
	Actor         string     `json:"actor"`
	OccurredAt    time.Time  `json:"occurred_at"`
	RecordedAt    time.Time  `json:"recorded_at"`
	ImportID      *uuid.UUID `json:"import_id,omitempty"`
	ErasedAt      *time.Time `json:"erased_at,omitempty"`
}

// ContactRef names a contact by id, WhatsApp id or BSUID; the first that is
// set is used.
type ContactRef struct {
	ID    uuid.UUID `json:"id,omitempty"`
	WaID  string    `json:"wa_id,omitempty"`
	BSUID string    `json:"bsuid,omitempty"`
}

func (r ContactRef) empty() bool { return r.ID == uuid.Nil && r.WaID == "" && r.BSUID == "" }
