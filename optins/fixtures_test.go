package optins_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/optins"
)

// TestFixtures feeds each Meta fixture that touches contacts through the
// intake, twice, and checks what the opt-ins domain made of it. The second
// apply proves the handler idempotent: nothing is added and nothing emitted.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		check   func(t *testing.T, e *env)
	}{
		{
			name: "inbound text creates the contact and opens the window", fixture: "messages-1",
			check: func(t *testing.T, e *env) {
				d := e.mustContact(t, optins.ContactRef{WaID: "16505551234"})
				at := time.Unix(1749416383, 0).UTC()
				if d.ProfileName != "Sheena Nelson" || d.Source != optins.ArrivedInbound || d.Status != optins.StatusActive {
					t.Errorf("contact = %+v", d.Contact)
				}
				if d.FirstInboundAt == nil || !d.FirstInboundAt.Equal(at) || d.LastInboundAt == nil || !d.LastInboundAt.Equal(at) {
					t.Errorf("inbound times = %v, %v; want %v", d.FirstInboundAt, d.LastInboundAt, at)
				}
				want := []optins.Window{{PhoneNumberID: phoneMain, LastInboundAt: at, ServiceWindowEnds: at.Add(24 * time.Hour)}}
				if diff := cmp.Diff(want, d.Windows); diff != "" {
					t.Errorf("windows (-want +got):\n%s", diff)
				}
				if len(d.Consents) != 0 {
					t.Errorf("a question is not consent: %+v", d.Consents)
				}
			},
		},
		{
			name: "quick-reply Unsubscribe opts out with the message as evidence", fixture: "messages-8",
			check: func(t *testing.T, e *env) {
				d := e.mustContact(t, optins.ContactRef{WaID: "16505551234"})
				_, hist, err := e.svc.ContactHistory(e.ctx, e.tenant, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(hist) != 1 {
					t.Fatalf("history = %+v", hist)
				}
				got := hist[0]
				want := optins.Entry{
					ID: got.ID, ContactID: d.ID, WaID: "16505551234", Purpose: optins.PurposeAll,
					Action: optins.ActionOptOut, Source: optins.SourceQuickReply, PhoneNumberID: phoneMain,
					Actor: optins.ActorContact, OccurredAt: time.Unix(1750091045, 0).UTC(), RecordedAt: got.RecordedAt,
					Evidence: optins.Evidence{
						MessageID:   "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
						MessageText: "Unsubscribe", Note: "button payload: Unsubscribe",
					},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("entry (-want +got):\n%s", diff)
				}
				if n := e.eventCount(t, events.OptinChanged); n != 1 {
					t.Errorf("optin.changed events = %d, want 1", n)
				}
			},
		},
		{
			name: "user_preferences resume lands on the Meta track", fixture: "user_preferences-1",
			check: func(t *testing.T, e *env) {
				d := e.mustContact(t, optins.ContactRef{WaID: "16505551234"})
				want := []optins.ConsentState{{Purpose: optins.PurposeMarketing, Meta: &optins.StateEntry{
					Action: optins.ActionOptIn, Source: optins.SourceUserPreferences, OccurredAt: time.Unix(1731705721, 0).UTC(),
				}}}
				if diff := cmp.Diff(want, d.Consents, ignoreEntryIDs); diff != "" {
					t.Errorf("consents (-want +got):\n%s", diff)
				}
				if len(d.Windows) != 0 {
					t.Errorf("a setting change is not a message; windows = %+v", d.Windows)
				}
				if n := e.eventCount(t, events.OptinChanged); n != 1 {
					t.Errorf("optin.changed events = %d, want 1", n)
				}
			},
		},
		{
			name: "user_changed_number moves the old contact and starts the new one bare", fixture: "messages-7",
			check: func(t *testing.T, e *env) {
				old := e.mustContact(t, optins.ContactRef{WaID: "16505551234"})
				moved := e.mustContact(t, optins.ContactRef{WaID: "12195555358"})
				if old.Status != optins.StatusMoved || old.MovedTo == nil || *old.MovedTo != moved.ID {
					t.Errorf("old contact = %+v", old.Contact)
				}
				if moved.Status != optins.StatusActive || moved.MovedFrom == nil || *moved.MovedFrom != old.ID ||
					moved.Source != optins.ArrivedNumberChange || len(moved.Consents) != 0 {
					t.Errorf("new contact = %+v", moved)
				}
				if n := e.eventCount(t, events.ContactIdentityChanged); n != 1 {
					t.Errorf("contact.identity_changed events = %d, want 1", n)
				}
			},
		},
		{
			name: "BSUID-only inbound creates a contact without a phone number", fixture: "messages-11",
			check: func(t *testing.T, e *env) {
				d := e.mustContact(t, optins.ContactRef{BSUID: "US.13491208655302741918"})
				if d.WaID != "" || d.ParentBSUID != "US.ENT.11815799212886844830" || d.Username != "realsheenanelson" ||
					d.ProfileName != "Sheena Nelson" || len(d.Windows) != 1 {
					t.Errorf("contact = %+v", d)
				}
			},
		},
		{
			name: "Click-to-WhatsApp referral records the free entry point opportunity", fixture: "messages-12",
			check: func(t *testing.T, e *env) {
				d := e.mustContact(t, optins.ContactRef{WaID: "16505551234"})
				at := time.Unix(1750275992, 0).UTC()
				if len(d.Windows) != 1 || d.Windows[0].ReferralAt == nil || !d.Windows[0].ReferralAt.Equal(at) ||
					d.Windows[0].FreeEntryPointEnds != nil {
					t.Errorf("windows = %+v", d.Windows)
				}
			},
		},
		{
			name: "BSUID-only status creates no contact", fixture: "messages-10",
			check: func(t *testing.T, e *env) {
				if n := e.count(t, `SELECT count(*) FROM contacts`); n != 0 {
					t.Errorf("contacts = %d, want 0", n)
				}
			},
		},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.exec(t, `TRUNCATE contacts, contact_aliases, contact_windows, consent_ledger, consent_state, domain_events,
				webhook_archive, webhook_archive_digests, webhook_routed, webhook_routes, webhook_orphans, inbound_messages, tenant_events,
				message_statuses`)
			batches := e.feed(t, fixture(t, tt.fixture))
			tt.check(t, e)
			before := snapshot(t, e)
			e.apply(t, batches)
			if diff := cmp.Diff(before, snapshot(t, e)); diff != "" {
				t.Errorf("applying again changed counts (-first +second):\n%s", diff)
			}
		})
	}
}

// ignoreEntryIDs compares projection cells without their ledger ids.
var ignoreEntryIDs = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".EntryID"
}, cmp.Ignore())

// snapshot counts every row the domain writes.
func snapshot(t *testing.T, e *env) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"contacts", "contact_aliases", "contact_windows", "consent_ledger", "consent_state", "domain_events"} {
		out[table] = e.count(t, `SELECT count(*) FROM `+table)
	}
	return out
}
