package optins_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/optins"
)

// system is a messages webhook carrying one system message.
func system(from, fromUser, wamid string, ts int64, sys string) []byte {
	fromFields := ""
	if from != "" {
		fromFields += fmt.Sprintf(`"from":%q,`, from)
	}
	if fromUser != "" {
		fromFields += fmt.Sprintf(`"from_user_id":%q,`, fromUser)
	}
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},
"messages":[{%s"id":%q,"timestamp":"%d","type":"system","system":%s}]}}]}]}`, wabaMain, phoneMain, fromFields, wamid, ts, sys))
}

func TestIdentityChanges(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	ts := t0.Unix()

	t.Run("BSUID arriving with a known number links to the contact", func(t *testing.T) {
		e.feed(t, inbound("4930100001", "", "wamid.i1", ts-100, text("hi")))
		e.feed(t, inbound("4930100001", "DE.1001", "wamid.i2", ts-50, text("hi again")))
		d := e.mustContact(t, optins.ContactRef{BSUID: "DE.1001"})
		if d.WaID != "4930100001" {
			t.Errorf("contact = %+v", d.Contact)
		}
		if n := e.count(t, `SELECT count(*) FROM contacts WHERE tenant_id = $1 AND (wa_id = '4930100001' OR bsuid = 'DE.1001')`, e.tenant); n != 1 {
			t.Errorf("contacts for one person = %d", n)
		}
	})
	t.Run("user_changed_user_id re-keys and keeps history", func(t *testing.T) {
		before := e.mustContact(t, optins.ContactRef{BSUID: "DE.1001"})
		e.consent(t, "4930100001", optins.PurposeUtility, optins.ActionOptIn, 0)
		body := system("4930100001", "DE.1001", "wamid.i3", ts, `{"body":"User changed from DE.1001 to DE.2002","user_id":"DE.2002","type":"user_changed_user_id"}`)
		e.feed(t, body)
		e.feed(t, body)
		after := e.mustContact(t, optins.ContactRef{BSUID: "DE.2002"})
		old := e.mustContact(t, optins.ContactRef{BSUID: "DE.1001"})
		if after.ID != before.ID || old.ID != before.ID || len(after.Consents) != 1 {
			t.Errorf("re-keyed contact = %+v (was %v)", after, before.ID)
		}
		if n := e.count(t, `SELECT count(*) FROM domain_events WHERE type = $1 AND data->>'kind' = 'user_id_changed'`,
			events.ContactIdentityChanged); n != 1 {
			t.Errorf("user_id_changed events = %d, want 1", n)
		}
	})
	t.Run("identity key hash change holds sends until acknowledged", func(t *testing.T) {
		wa := "4930100002"
		e.feed(t, withContactField(inbound(wa, "", "wamid.i4", ts-100, text("hi")), "identity_key_hash", "k1"))
		if d := e.mustContact(t, optins.ContactRef{WaID: wa}); d.IdentityPending() {
			t.Fatal("the first hash seen is not a change")
		}
		// An older message with the old hash, arriving late, is no change.
		e.feed(t, withContactField(inbound(wa, "", "wamid.i5", ts, text("new phone")), "identity_key_hash", "k2"))
		e.feed(t, withContactField(inbound(wa, "", "wamid.i6", ts-50, text("late")), "identity_key_hash", "k1"))
		d := e.mustContact(t, optins.ContactRef{WaID: wa})
		if !d.IdentityPending() || !d.IdentityChangedAt.Equal(t0) {
			t.Errorf("identity changed at = %v, want %v", d.IdentityChangedAt, t0)
		}
		if n := e.count(t, `SELECT count(*) FROM domain_events WHERE type = $1 AND subject = $2`,
			events.ContactIdentityChanged, d.ID.String()); n != 1 {
			t.Errorf("identity events = %d, want 1", n)
		}
	})
	t.Run("legacy identity object", func(t *testing.T) {
		wa := "4930100003"
		e.feed(t, inbound(wa, "", "wamid.i7", ts-100, text("hi")+`,"identity":{"acknowledged":true,"created_timestamp":1,"hash":"L1"}`))
		e.feed(t, inbound(wa, "", "wamid.i8", ts, text("hi")+`,"identity":{"acknowledged":false,"created_timestamp":2,"hash":"L2"}`))
		if d := e.mustContact(t, optins.ContactRef{WaID: wa}); !d.IdentityPending() {
			t.Errorf("legacy identity change not noticed: %+v", d.Contact)
		}
	})
	t.Run("legacy customer_identity_changed", func(t *testing.T) {
		wa := "4930100004"
		e.feed(t, inbound(wa, "", "wamid.i9", ts-100, text("hi")))
		e.feed(t, system(wa, "", "wamid.i10", ts, `{"body":"identity changed","customer":"4930100004","type":"customer_identity_changed"}`))
		if d := e.mustContact(t, optins.ContactRef{WaID: wa}); !d.IdentityPending() {
			t.Errorf("customer_identity_changed not noticed: %+v", d.Contact)
		}
	})
	t.Run("legacy customer_changed_number with new_wa_id", func(t *testing.T) {
		e.feed(t, system("4930100005", "", "wamid.i11", ts, `{"body":"changed","new_wa_id":"4930100055","type":"customer_changed_number"}`))
		old := e.mustContact(t, optins.ContactRef{WaID: "4930100005"})
		if old.Status != optins.StatusMoved || old.MovedTo == nil {
			t.Errorf("old = %+v", old.Contact)
		}
	})
	t.Run("the old number messaging again is someone new", func(t *testing.T) {
		e.feed(t, inbound("4930100005", "", "wamid.i12", ts+60, text("hello, new here")))
		d := e.mustContact(t, optins.ContactRef{WaID: "4930100005"})
		if d.Status != optins.StatusActive || d.MovedFrom != nil {
			t.Errorf("recycled number = %+v", d.Contact)
		}
	})
}

func TestFreeEntryPoint(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	ts := t0.Unix()
	wa := "4930200001"
	referral := `"type":"text","text":{"body":"Tell me more"},"referral":{"source_url":"https://fb.me/x","source_id":"1","source_type":"ad"}`
	e.feed(t, inbound(wa, "", "wamid.f1", ts, referral))
	// A reply 25 hours later is too late; one 10 minutes later opens it.
	late := fmt.Sprintf(`{"id":"wamid.out0","status":"sent","timestamp":"%d","recipient_id":%q}`, ts+25*3600, "4930299999")
	reply := fmt.Sprintf(`{"id":"wamid.out1","status":"sent","timestamp":"%d","recipient_id":%q}`, ts+600, wa)
	e.feed(t, statuses(late, reply))
	d := e.mustContact(t, optins.ContactRef{WaID: wa})
	want := time.Unix(ts+600, 0).UTC().Add(72 * time.Hour)
	if len(d.Windows) != 1 || d.Windows[0].FreeEntryPointEnds == nil || !d.Windows[0].FreeEntryPointEnds.Equal(want) {
		t.Fatalf("windows = %+v, want free entry point until %v", d.Windows, want)
	}
	el, err := e.svc.CheckEligibility(e.ctx, e.tenant, optins.ContactRef{WaID: wa}, optins.EligibilityQuery{Kind: optins.KindFreeForm})
	if err != nil {
		t.Fatal(err)
	}
	if !el.Allowed || el.FreeEntryPointEnds == nil || el.PhoneNumberID != phoneMain {
		t.Errorf("eligibility = %+v", el)
	}
	// A second reply does not move the window.
	e.feed(t, statuses(fmt.Sprintf(`{"id":"wamid.out2","status":"sent","timestamp":"%d","recipient_id":%q}`, ts+900, wa)))
	d = e.mustContact(t, optins.ContactRef{WaID: wa})
	if !d.Windows[0].FreeEntryPointEnds.Equal(want) {
		t.Errorf("free entry point moved to %v", d.Windows[0].FreeEntryPointEnds)
	}
}

// statuses is a messages webhook for the main number carrying statuses.
func statuses(sts ...string) []byte {
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},"statuses":[`, wabaMain, phoneMain)
	for i, s := range sts {
		if i > 0 {
			body += ","
		}
		body += s
	}
	return []byte(body + `]}}]}]}`)
}
