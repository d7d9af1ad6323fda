package optins_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/optins"
)

// t0 is the scenarios' reference time; the clock stands an hour after it.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// consent records an API consent for wa_id at t0 plus offset.
func (e *env) consent(t *testing.T, waID string, p optins.Purpose, a optins.Action, offset time.Duration) optins.Entry {
	t.Helper()
	en, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", optins.ConsentInput{
		Contact: optins.ContactRef{WaID: waID}, Purpose: p, Action: a, Source: optins.SourceWebForm,
		Evidence:   optins.Evidence{NoticeText: "Yes, Acme may send me offers on WhatsApp", URL: "https://acme.example/join"},
		OccurredAt: t0.Add(offset),
	}, "")
	if err != nil {
		t.Fatalf("record consent: %v", err)
	}
	return en
}

// TestEligibilityReasons builds one contact per scenario through webhooks
// and consent writes, then asks about it: every reason is covered, and so
// are the answers that allow.
func TestEligibilityReasons(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	ts := t0.Unix()
	var erased uuid.UUID
	tests := []struct {
		name        string
		waID        string
		setup       func(t *testing.T, wa string)
		kind        optins.Kind
		wantReasons []optins.Reason
		wantWindow  bool
	}{
		{name: "unknown contact, template", waID: "4915100000001", kind: optins.KindMarketing,
			wantReasons: []optins.Reason{optins.ReasonUnknownContact, optins.ReasonNoOptIn}},
		{name: "unknown contact, free-form", waID: "4915100000002", kind: optins.KindFreeForm,
			wantReasons: []optins.Reason{optins.ReasonUnknownContact, optins.ReasonWindowClosed}},
		{name: "known contact without consent", waID: "4915100000003", kind: optins.KindUtility,
			setup: func(t *testing.T, wa string) {
				e.feed(t, inbound(wa, "", "wamid.q3", ts, text("hello")))
			},
			wantReasons: []optins.Reason{optins.ReasonNoOptIn}, wantWindow: true},
		{name: "opted in for marketing", waID: "4915100000004", kind: optins.KindMarketing,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeMarketing, optins.ActionOptIn, 0)
			},
			wantReasons: []optins.Reason{}},
		{name: "marketing consent does not cover utility", waID: "4915100000005", kind: optins.KindUtility,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeMarketing, optins.ActionOptIn, 0)
			},
			wantReasons: []optins.Reason{optins.ReasonNoOptIn}},
		{name: "consent for all covers authentication-international", waID: "4915100000006",
			kind: optins.KindAuthenticationInternational,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeAll, optins.ActionOptIn, 0)
			},
			wantReasons: []optins.Reason{}},
		{name: "STOP keyword after the opt-in", waID: "4915100000007", kind: optins.KindMarketing,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeMarketing, optins.ActionOptIn, -time.Hour)
				e.feed(t, inbound(wa, "", "wamid.q7", ts, text("  Stop! ")))
			},
			wantReasons: []optins.Reason{optins.ReasonOptedOut}, wantWindow: true},
		{name: "a later opt-in for one purpose beats an earlier opt-out for all", waID: "4915100000008",
			kind: optins.KindUtility,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeAll, optins.ActionOptOut, -time.Hour)
				e.consent(t, wa, optins.PurposeUtility, optins.ActionOptIn, 0)
			},
			wantReasons: []optins.Reason{}},
		{name: "marketing stopped in WhatsApp despite consent", waID: "4915100000009", kind: optins.KindMarketing,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeMarketing, optins.ActionOptIn, -time.Hour)
				e.feed(t, preferences(wa, "stop", ts))
			},
			wantReasons: []optins.Reason{optins.ReasonMarketingStopped}},
		{name: "marketing resumed in WhatsApp is not consent", waID: "4915100000010", kind: optins.KindMarketing,
			setup: func(t *testing.T, wa string) {
				e.feed(t, preferences(wa, "resume", ts))
			},
			wantReasons: []optins.Reason{optins.ReasonNoOptIn}},
		{name: "identity changed", waID: "4915100000011", kind: optins.KindUtility,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeAll, optins.ActionOptIn, -2*time.Hour)
				e.feed(t, withContactField(inbound(wa, "", "wamid.q11a", ts-60, text("hi")), "identity_key_hash", "h1"))
				e.feed(t, withContactField(inbound(wa, "", "wamid.q11b", ts, text("hi again")), "identity_key_hash", "h2"))
			},
			wantReasons: []optins.Reason{optins.ReasonIdentityChanged}, wantWindow: true},
		{name: "number moved", waID: "4915100000012", kind: optins.KindUtility,
			setup: func(t *testing.T, wa string) {
				e.consent(t, wa, optins.PurposeAll, optins.ActionOptIn, -2*time.Hour)
				e.feed(t, numberChange(wa, "4915100000112", ts))
			},
			wantReasons: []optins.Reason{optins.ReasonNumberMoved}},
		{name: "consent does not carry over to the new number", waID: "4915100000112", kind: optins.KindUtility,
			wantReasons: []optins.Reason{optins.ReasonNoOptIn}},
		{name: "free-form inside the window", waID: "4915100000013", kind: optins.KindFreeForm,
			setup: func(t *testing.T, wa string) {
				e.feed(t, inbound(wa, "", "wamid.q13", ts, text("where is my order?")))
			},
			wantReasons: []optins.Reason{}, wantWindow: true},
		{name: "free-form after the window closed", waID: "4915100000014", kind: optins.KindFreeForm,
			setup: func(t *testing.T, wa string) {
				e.feed(t, inbound(wa, "", "wamid.q14", ts-25*3600, text("where is my order?")))
			},
			wantReasons: []optins.Reason{optins.ReasonWindowClosed}},
		{name: "erased contact is unknown by its former number", waID: "4915100000015", kind: optins.KindUtility,
			setup: func(t *testing.T, wa string) {
				en := e.consent(t, wa, optins.PurposeAll, optins.ActionOptIn, 0)
				if _, err := e.svc.Erase(e.ctx, e.tenant, en.ContactID); err != nil {
					t.Fatal(err)
				}
				erased = en.ContactID
			},
			wantReasons: []optins.Reason{optins.ReasonUnknownContact, optins.ReasonNoOptIn}},
	}
	for _, tt := range tests {
		if tt.setup != nil {
			tt.setup(t, tt.waID)
		}
	}
	refs := make([]optins.ContactRef, len(tests))
	for i, tt := range tests {
		refs[i] = optins.ContactRef{WaID: tt.waID}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.CheckEligibility(e.ctx, e.tenant, refs[i], optins.EligibilityQuery{Kind: tt.kind, PhoneNumberID: phoneMain})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantReasons, got.Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if got.Allowed != (len(tt.wantReasons) == 0) {
				t.Errorf("allowed = %v with reasons %v", got.Allowed, got.Reasons)
			}
			if tt.wantWindow != (got.ServiceWindowEnds != nil) {
				t.Errorf("service window ends = %v, want open %v", got.ServiceWindowEnds, tt.wantWindow)
			}
			if got.Allowed && tt.kind != optins.KindFreeForm && got.Basis == nil {
				t.Error("an allowed template names no consent entry")
			}
		})
	}
	t.Run("bulk agrees with single answers", func(t *testing.T) {
		for _, kind := range []optins.Kind{optins.KindMarketing, optins.KindFreeForm} {
			bulk, err := e.svc.CheckEligibilityBulk(e.ctx, e.tenant, refs, optins.EligibilityQuery{Kind: kind, PhoneNumberID: phoneMain})
			if err != nil {
				t.Fatal(err)
			}
			for i, ref := range refs {
				one, err := e.svc.CheckEligibility(e.ctx, e.tenant, ref, optins.EligibilityQuery{Kind: kind, PhoneNumberID: phoneMain})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(one, bulk[i]); diff != "" {
					t.Errorf("%s %s (-single +bulk):\n%s", kind, ref.WaID, diff)
				}
			}
		}
	})
	t.Run("erased contact by id", func(t *testing.T) {
		got, err := e.svc.CheckEligibility(e.ctx, e.tenant, optins.ContactRef{ID: erased}, optins.EligibilityQuery{Kind: optins.KindUtility})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]optins.Reason{optins.ReasonErased}, got.Reasons); diff != "" || got.Allowed {
			t.Errorf("reasons (-want +got):\n%s", diff)
		}
	})
	t.Run("acknowledging the identity change lifts the hold", func(t *testing.T) {
		d := e.mustContact(t, optins.ContactRef{WaID: "4915100000011"})
		if _, err := e.svc.AcknowledgeIdentity(e.ctx, e.tenant, d.ID); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.CheckEligibility(e.ctx, e.tenant, optins.ContactRef{ID: d.ID}, optins.EligibilityQuery{Kind: optins.KindUtility})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Allowed {
			t.Errorf("reasons = %v after acknowledgement", got.Reasons)
		}
		if _, err := e.svc.AcknowledgeIdentity(e.ctx, e.tenant, d.ID); !apperr.Is(err, apperr.FailedPrecondition) {
			t.Errorf("second acknowledgement: %v, want failed_precondition", err)
		}
	})
}

func TestEligibilityBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		refs []optins.ContactRef
		kind optins.Kind
	}{
		{name: "unknown kind", refs: []optins.ContactRef{{WaID: "4915100000001"}}, kind: "newsletter"},
		{name: "malformed number", refs: []optins.ContactRef{{WaID: "4915100000001"}, {WaID: "+49 (151) abc"}}, kind: optins.KindMarketing},
		{name: "too short", refs: []optins.ContactRef{{WaID: "12345"}}, kind: optins.KindMarketing},
		{name: "empty reference", refs: []optins.ContactRef{{}}, kind: optins.KindMarketing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CheckEligibilityBulk(e.ctx, e.tenant, tt.refs, optins.EligibilityQuery{Kind: tt.kind})
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want invalid_request", err)
			}
		})
	}
}

// preferences is a user_preferences webhook for the main number.
func preferences(waID, value string, ts int64) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"user_preferences",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},
"contacts":[{"wa_id":%q}],"user_preferences":[{"wa_id":%q,"detail":"User requested to %s marketing messages",
"category":"marketing_messages","value":%q,"timestamp":%d}]}}]}]}`, wabaMain, phoneMain, waID, waID, value, value, ts))
}

// numberChange is a user_changed_number system message.
func numberChange(oldWa, newWa string, ts int64) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},
"messages":[{"from":%q,"id":"wamid.sys%s","timestamp":"%d","type":"system",
"system":{"body":"User changed from %s to %s","wa_id":%q,"type":"user_changed_number"}}]}}]}]}`,
		wabaMain, phoneMain, oldWa, oldWa, ts, oldWa, newWa, newWa))
}
