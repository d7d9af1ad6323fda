package optins_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/optins"
)

func TestNormalizeKeyword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"STOP", "stop"},
		{"  Stop!  ", "stop"},
		{"stop\t\n all", "stop all"},
		{"Começar", "comecar"},
		{"¡ALTO!", "alto"},
		{"DETÉN", "deten"},
		{"إلغاء", "الغاء"},
		{"수신거부", "수신거부"},
		{"ＳＴＯＰ", "stop"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := optins.NormalizeKeyword(tt.in); got != tt.want {
				t.Errorf("NormalizeKeyword(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestKeywordsFromConversations sends messages through the intake and
// checks which became ledger entries: whole-message matches in every
// default language do, longer sentences never do.
func TestKeywordsFromConversations(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	tests := []struct {
		name   string
		text   string
		action optins.Action // "" for no entry
	}{
		{"english stop", "STOP", optins.ActionOptOut},
		{"english unsubscribe with punctuation", "Unsubscribe.", optins.ActionOptOut},
		{"english start", "start", optins.ActionOptIn},
		{"indonesian", "Berhenti", optins.ActionOptOut},
		{"spanish accented", "  cancelar   SUSCRIPCION ", optins.ActionOptOut},
		{"spanish start", "Comenzar", optins.ActionOptIn},
		{"portuguese without accent", "comecar", optins.ActionOptIn},
		{"portuguese", "SAIR", optins.ActionOptOut},
		{"arabic", "توقف", optins.ActionOptOut},
		{"arabic with hamza variant", "الغاء", optins.ActionOptOut},
		{"korean", "수신 거부", optins.ActionOptOut},
		{"sentence containing stop", "please don't stop sending me deals", ""},
		{"sentence starting with stop", "stop by the store tomorrow?", ""},
		{"question", "Does it come in another color?", ""},
		{"yes is not consent", "yes", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wa := fmt.Sprintf("44770090%04d", i)
			e.feed(t, inbound(wa, "", fmt.Sprintf("wamid.kw%d", i), t0.Unix(), text(tt.text)))
			d := e.mustContact(t, optins.ContactRef{WaID: wa})
			var got optins.Action
			for _, c := range d.Consents {
				if c.Consent != nil {
					got = c.Consent.Action
					if c.Purpose != optins.PurposeAll || c.Consent.Source != optins.SourceInboundKeyword {
						t.Errorf("consent = %+v", c)
					}
				}
			}
			if got != tt.action {
				t.Errorf("%q → %q, want %q", tt.text, got, tt.action)
			}
		})
	}
}

func TestTenantSettings(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	got, err := e.svc.Settings(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(optins.DefaultSettings(), got); diff != "" {
		t.Errorf("settings before any change (-want +got):\n%s", diff)
	}
	bad := []struct {
		name string
		s    optins.Settings
	}{
		{"empty keyword", optins.Settings{Keywords: []optins.Keyword{{Text: " !! ", Action: optins.ActionOptOut, Purpose: optins.PurposeAll}}}},
		{"duplicate once normalised", optins.Settings{Keywords: []optins.Keyword{
			{Text: "Basta", Action: optins.ActionOptOut, Purpose: optins.PurposeAll},
			{Text: "BASTA!", Action: optins.ActionOptOut, Purpose: optins.PurposeMarketing}}}},
		{"unknown purpose", optins.Settings{Keywords: []optins.Keyword{{Text: "basta", Action: optins.ActionOptOut, Purpose: "news"}}}},
		{"unknown action", optins.Settings{Buttons: []optins.Button{{Payload: "X", Action: "pause", Purpose: optins.PurposeAll}}}},
		{"empty payload", optins.Settings{Buttons: []optins.Button{{Action: optins.ActionOptOut, Purpose: optins.PurposeAll}}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.svc.PutSettings(e.ctx, e.tenant, tt.s); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want invalid_request", err)
			}
		})
	}
	custom := optins.Settings{
		DefaultKeywords: false,
		Keywords:        []optins.Keyword{{Text: "Basta ya", Action: optins.ActionOptOut, Purpose: optins.PurposeMarketing, Language: "es"}},
		Buttons:         []optins.Button{{Payload: "PROMO_OFF", Action: optins.ActionOptOut, Purpose: optins.PurposeMarketing}},
	}
	if _, err := e.svc.PutSettings(e.ctx, e.tenant, custom); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, wa, fields string
		want             *optins.Purpose
	}{
		{"own keyword", "447700800001", text("BASTA YA"), ptrPurpose(optins.PurposeMarketing)},
		{"defaults off", "447700800002", text("STOP"), nil},
		{"configured payload", "447700800003", `"type":"button","button":{"payload":"PROMO_OFF","text":"No more offers"}`, ptrPurpose(optins.PurposeMarketing)},
		{"interactive reply id", "447700800004", `"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"PROMO_OFF","title":"Not now"}}`, ptrPurpose(optins.PurposeMarketing)},
		{"other button", "447700800005", `"type":"button","button":{"payload":"MORE","text":"Tell me more"}`, nil},
	}
	for i, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			e.feed(t, inbound(tt.wa, "", fmt.Sprintf("wamid.set%d", i), t0.Unix(), tt.fields))
			d := e.mustContact(t, optins.ContactRef{WaID: tt.wa})
			switch {
			case tt.want == nil && len(d.Consents) != 0:
				t.Errorf("consents = %+v, want none", d.Consents)
			case tt.want != nil && (len(d.Consents) != 1 || d.Consents[0].Purpose != *tt.want ||
				d.Consents[0].Consent.Action != optins.ActionOptOut):
				t.Errorf("consents = %+v, want an opt-out for %s", d.Consents, *tt.want)
			}
		})
	}
}

func ptrPurpose(p optins.Purpose) *optins.Purpose { return &p }
