package optins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

// Handler returns the webhooks.Handler for the messages and user_preferences
// fields. It adds to what the default handler stores (register it beside
// webhooks.Service.Defaults): contacts and windows from inbound messages,
// consent entries from keywords, buttons and user_preferences, and number,
// BSUID and identity changes from system messages and contacts.
func (s *Service) Handler() webhooks.Handler { return handler{} }

type handler struct{}

// batch is what one Apply found in its changes.
type batch struct {
	sightings []*sighting
	// consents are the conversational opt-ins and outs, each tied to the
	// sighting of its sender.
	consents []pendingConsent
	system   []systemChange
	// statuses is set when some change carries statuses, which may be the
	// business's reply that opens a free entry point window.
	statuses    [][]byte
	oldestRecvd time.Time
}

// pendingConsent is a ledger entry waiting for its contact.
type pendingConsent struct {
	who      *sighting
	kind     string // "text", "button" or "preference"
	text     string // message text, button text, or Meta's detail
	payload  string
	action   Action
	purpose  Purpose
	msgID    string
	dedupe   string
	resolved bool
}

// Apply implements webhooks.Handler.
func (handler) Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []webhooks.Change) error {
	b := &batch{}
	for _, c := range changes {
		if b.oldestRecvd.IsZero() || c.ReceivedAt.Before(b.oldestRecvd) {
			b.oldestRecvd = c.ReceivedAt
		}
		switch c.Field {
		case webhooks.FieldMessages:
			b.addMessages(c)
		case webhooks.FieldUserPreferences:
			b.addPreferences(c)
		}
	}
	if len(b.sightings) > 0 {
		if err := b.applySightings(ctx, tx, tenantID); err != nil {
			return err
		}
	}
	for _, sc := range b.system {
		if err := sc.apply(ctx, tx, tenantID); err != nil {
			return err
		}
	}
	if len(b.statuses) > 0 {
		return openFreeEntryPoints(ctx, tx, tenantID, b.statuses, b.oldestRecvd)
	}
	return nil
}

// messagesValue is what the handler reads of a messages value. Statuses are
// left undecoded: they are the bulk of the traffic and matter here only for
// free entry points.
type messagesValue struct {
	Metadata webhooks.Metadata  `json:"metadata"`
	Contacts []webhooks.Contact `json:"contacts"`
	Messages []json.RawMessage  `json:"messages"`
}

// legacyIdentity is the identity object of 2022–23 Cloud API messages.
type legacyIdentity struct {
	Identity *struct {
		Hash string `json:"hash"`
	} `json:"identity"`
}

func (b *batch) addMessages(c webhooks.Change) {
	if bytes.Contains(c.Value, []byte(`"statuses"`)) {
		b.statuses = append(b.statuses, c.Value)
	}
	if !bytes.Contains(c.Value, []byte(`"messages"`)) {
		return
	}
	var v messagesValue
	if json.Unmarshal(c.Value, &v) != nil {
		return // the default handler files what cannot be decoded
	}
	phoneID := c.PhoneNumberID
	if phoneID == "" {
		phoneID = string(v.Metadata.PhoneNumberID)
	}
	for i, raw := range v.Messages {
		var m webhooks.Message
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		at := webhooks.EventTime(m.Timestamp.Int64(), c.ReceivedAt)
		if m.Type == "system" || m.System != nil {
			b.addSystem(c, m, at, i)
			continue
		}
		if m.ID == "" {
			continue
		}
		s := b.sender(m, v.Contacts, at, phoneID)
		if s == nil {
			continue
		}
		if s.identityHash == "" {
			var li legacyIdentity
			if json.Unmarshal(raw, &li) == nil && li.Identity != nil {
				s.identityHash = li.Identity.Hash
			}
		}
		b.sightings = append(b.sightings, s)
		b.addConversational(s, m)
	}
}

// sender builds the sighting of a message's sender from the message and the
// contacts[] element that describes them.
func (b *batch) sender(m webhooks.Message, contacts []webhooks.Contact, at time.Time, phoneID string) *sighting {
	wa, _ := ParseWaID(string(m.From))
	s := &sighting{waID: wa, at: at, phoneID: phoneID, inbound: true, referral: m.Referral != nil}
	if validBSUID(m.FromUserID) {
		s.bsuid = m.FromUserID
	}
	if validBSUID(m.FromParentUserID) {
		s.parentBSUID = m.FromParentUserID
	}
	if ct := contactOf(m, contacts); ct != nil {
		s.name, s.username, s.identityHash = ct.Profile.Name, ct.Profile.Username, ct.IdentityKeyHash
		if s.waID == "" {
			s.waID, _ = ParseWaID(string(ct.WaID))
		}
		if s.bsuid == "" && validBSUID(ct.UserID) {
			s.bsuid = ct.UserID
		}
		if s.parentBSUID == "" && validBSUID(ct.ParentUserID) {
			s.parentBSUID = ct.ParentUserID
		}
	}
	if s.waID == "" && s.bsuid == "" {
		return nil
	}
	return s
}

// contactOf finds the contacts[] element describing a message's sender: by
// wa_id, else by BSUID, else the only one there is.
func contactOf(m webhooks.Message, contacts []webhooks.Contact) *webhooks.Contact {
	for i := range contacts {
		c := &contacts[i]
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c
		}
	}
	if len(contacts) == 1 {
		return &contacts[0]
	}
	return nil
}

// addConversational queues the keyword or button of a message for matching
// once the tenant's settings are read.
func (b *batch) addConversational(s *sighting, m webhooks.Message) {
	p := pendingConsent{who: s, msgID: m.ID, dedupe: "wamid:" + m.ID}
	switch {
	case m.Type == "text" && m.Text != nil:
		p.kind, p.text = "text", m.Text.Body
	case m.Type == "button" && m.Button != nil:
		p.kind, p.text, p.payload = "button", m.Button.Text, m.Button.Payload
	case m.Type == "interactive" && m.Interactive != nil && m.Interactive.ButtonReply != nil:
		p.kind, p.text, p.payload = "button", m.Interactive.ButtonReply.Title, m.Interactive.ButtonReply.ID
	default:
		return
	}
	b.consents = append(b.consents, p)
}

// Meta's user_preferences values.
const (
	preferenceStop      = "stop"
	preferenceResume    = "resume"
	preferenceMarketing = "marketing_messages"
)

func (b *batch) addPreferences(c webhooks.Change) {
	var v webhooks.UserPreferencesValue
	if json.Unmarshal(c.Value, &v) != nil {
		return
	}
	phoneID := c.PhoneNumberID
	if phoneID == "" {
		phoneID = string(v.Metadata.PhoneNumberID)
	}
	for _, p := range v.UserPreferences {
		var action Action
		switch p.Value {
		case preferenceStop:
			action = ActionOptOut
		case preferenceResume:
			action = ActionOptIn
		default:
			continue // kept by the default handler; not a consent fact
		}
		if p.Category != preferenceMarketing {
			continue
		}
		wa, _ := ParseWaID(string(p.WaID))
		s := &sighting{waID: wa, at: webhooks.EventTime(p.Timestamp.Int64(), c.ReceivedAt), phoneID: phoneID}
		if validBSUID(p.UserID) {
			s.bsuid = p.UserID
		}
		if validBSUID(p.ParentUserID) {
			s.parentBSUID = p.ParentUserID
		}
		if s.waID == "" && s.bsuid == "" {
			continue
		}
		for _, ct := range v.Contacts {
			if (wa != "" && string(ct.WaID) == wa) || (s.bsuid != "" && ct.UserID == s.bsuid) {
				s.name, s.username = ct.Profile.Name, ct.Profile.Username
			}
		}
		who := s.waID
		if who == "" {
			who = s.bsuid
		}
		b.sightings = append(b.sightings, s)
		b.consents = append(b.consents, pendingConsent{
			who: s, kind: "preference", text: p.Detail, action: action, purpose: PurposeMarketing, resolved: true,
			dedupe: fmt.Sprintf("pref:%s:%s:%s:%d", who, p.Category, p.Value, p.Timestamp.Int64()),
		})
	}
}

// applySightings resolves and saves the contacts, reopens their windows,
// appends the conversational consents and reports identity changes.
func (b *batch) applySightings(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	r := newResolver(tenantID)
	if err := r.resolve(ctx, tx, b.sightings, ArrivedInbound); err != nil {
		return err
	}
	if err := r.save(ctx, tx); err != nil {
		return err
	}
	if err := upsertWindows(ctx, tx, tenantID, b.sightings); err != nil {
		return err
	}
	if err := b.appendConsents(ctx, tx, tenantID); err != nil {
		return err
	}
	return emitIdentityChanges(ctx, tx, tenantID, r)
}

// appendConsents matches the queued messages against the tenant's keywords
// and buttons and appends an entry for each that matched.
func (b *batch) appendConsents(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	if len(b.consents) == 0 {
		return nil
	}
	var m *matcher
	var entries []newEntry
	for _, p := range b.consents {
		if !p.resolved {
			if m == nil {
				st, err := loadSettings(ctx, tx, tenantID)
				if err != nil {
					return err
				}
				m = newMatcher(st)
			}
			var ok bool
			if p.kind == "text" {
				var k Keyword
				k, ok = m.text(p.text)
				p.action, p.purpose = k.Action, k.Purpose
			} else {
				p.action, p.purpose, ok = m.button(p.payload, p.text)
			}
			if !ok {
				continue
			}
		}
		entries = append(entries, p.entry())
	}
	_, err := appendEntries(ctx, tx, tenantID, entries)
	return err
}

// entry is the ledger entry of a matched conversational consent.
func (p pendingConsent) entry() newEntry {
	e := newEntry{
		contactID: p.who.contact.id, waID: p.who.contact.waID, bsuid: p.who.contact.bsuid,
		purpose: p.purpose, action: p.action, phoneID: p.who.phoneID, actor: ActorContact,
		at: p.who.at, dedupe: p.dedupe, emit: true,
	}
	switch p.kind {
	case "text":
		e.source = SourceInboundKeyword
		e.ev = Evidence{MessageID: p.msgID, MessageText: p.text}
	case "button":
		e.source = SourceQuickReply
		e.ev = Evidence{MessageID: p.msgID, MessageText: p.text, Note: "button payload: " + p.payload}
	default:
		e.source, e.actor = SourceUserPreferences, ActorMeta
		e.ev = Evidence{Note: "user_preferences: " + p.text}
		if p.text == "" {
			e.ev.Note = "user_preferences"
		}
	}
	return e
}
