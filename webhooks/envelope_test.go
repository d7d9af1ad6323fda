package webhooks_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/webhooks"
)

func TestFlexString(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "string", in: `"TIER_2K"`, want: "TIER_2K"},
		{name: "16-digit number keeps every digit", in: `1689556908129832`, want: "1689556908129832"},
		{name: "negative number", in: `-1`, want: "-1"},
		{name: "null", in: `null`, want: ""},
		{name: "object", in: `{"a":1}`, wantErr: true},
		{name: "boolean", in: `true`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v struct {
				X webhooks.FlexString `json:"x"`
			}
			err := json.Unmarshal([]byte(`{"x":`+tc.in+`}`), &v)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && string(v.X) != tc.want {
				t.Fatalf("got %q, want %q", v.X, tc.want)
			}
		})
	}
}

func TestFlexInt(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{name: "string timestamp", in: `"1749416383"`, want: 1749416383},
		{name: "number timestamp", in: `1731705721`, want: 1731705721},
		{name: "exponent form", in: `1.7e9`, want: 1700000000},
		{name: "empty string", in: `""`, want: 0},
		{name: "null", in: `null`, want: 0},
		{name: "negative unlimited", in: `-1`, want: -1},
		{name: "fraction", in: `1.5`, wantErr: true},
		{name: "words", in: `"soon"`, wantErr: true},
		{name: "array", in: `[1]`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v struct {
				X webhooks.FlexInt `json:"x"`
			}
			err := json.Unmarshal([]byte(`{"x":`+tc.in+`}`), &v)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && int64(v.X) != tc.want {
				t.Fatalf("got %d, want %d", v.X, tc.want)
			}
		})
	}
}

func TestDecodeEnvelopeRejects(t *testing.T) {
	const change = `{"field":"messages","value":{}}`
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"not JSON", `hello`},
		{"truncated", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[`},
		{"array", `[]`},
		{"null", `null`},
		{"other object", `{"object":"page","entry":[{"id":"1","changes":[` + change + `]}]}`},
		{"no entry", `{"object":"whatsapp_business_account"}`},
		{"empty entry", `{"object":"whatsapp_business_account","entry":[]}`},
		{"entry not array", `{"object":"whatsapp_business_account","entry":{}}`},
		{"entry null element", `{"object":"whatsapp_business_account","entry":[null]}`},
		{"entry without id", `{"object":"whatsapp_business_account","entry":[{"changes":[` + change + `]}]}`},
		{"entry without changes", `{"object":"whatsapp_business_account","entry":[{"id":"1"}]}`},
		{"change without field", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{}}]}]}`},
		{"value not object", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":"x"}]}]}`},
		{"trailing garbage", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[` + change + `]}]} x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := webhooks.DecodeEnvelope([]byte(tc.body))
			if !errors.Is(err, webhooks.ErrNotEnvelope) || env != nil {
				t.Fatalf("got %+v, %v; want ErrNotEnvelope", env, err)
			}
		})
	}
}

func TestDecodeEnvelopeAcceptsNumericIDs(t *testing.T) {
	body := `{"object":"whatsapp_business_account","entry":[{"id":102290129340398,"time":"1739321024",
		"changes":[{"field":"account_review_update","value":{"decision":"APPROVED"}}]}]}`
	env, err := webhooks.DecodeEnvelope([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{string(env.Entry[0].ID), int64(env.Entry[0].Time), env.ChangeCount()}
	if diff := cmp.Diff([]any{"102290129340398", int64(1739321024), 1}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestDecodeValueFixtures(t *testing.T) {
	for name, raw := range fixtures(t) {
		env, err := webhooks.DecodeEnvelope(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range env.Entry {
			for _, c := range e.Changes {
				if _, err := webhooks.DecodeValue(c.Field, c.Value); err != nil {
					t.Errorf("%s: decode %s: %v", name, c.Field, err)
				}
			}
		}
	}
}

func TestDecodeValueDrift(t *testing.T) {
	tests := []struct {
		name, field, value, want string
		get                      func(v any) string
	}{
		{"capability limit as number", webhooks.FieldBusinessCapabilityUpdate, `{"max_daily_conversations_per_business":2000}`, "2000",
			func(v any) string {
				return string(v.(*webhooks.BusinessCapabilityUpdate).MaxDailyConversationsPerBusiness)
			}},
		{"capability limit as tier", webhooks.FieldPhoneNumberQualityUpdate, `{"max_daily_conversations_per_business":"TIER_2K"}`, "TIER_2K",
			func(v any) string {
				return string(v.(*webhooks.PhoneNumberQualityUpdate).MaxDailyConversationsPerBusiness)
			}},
		{"disable_date as string", webhooks.FieldMessageTemplateStatusUpdate, `{"event":"DISABLED","disable_info":{"disable_date":"1751247548"}}`, "1751247548",
			func(v any) string {
				return strconv.FormatInt(int64(v.(*webhooks.TemplateStatusUpdate).DisableInfo.DisableDate), 10)
			}},
		{"reason null", webhooks.FieldMessageTemplateStatusUpdate, `{"event":"PENDING_DELETION","reason":null}`, "",
			func(v any) string { return string(v.(*webhooks.TemplateStatusUpdate).Reason) }},
		{"unknown enum and keys kept", webhooks.FieldMessageTemplateStatusUpdate, `{"event":"paused","new_key":{"x":1}}`, "paused",
			func(v any) string { return v.(*webhooks.TemplateStatusUpdate).Event }},
		{"legacy system new_wa_id as number", webhooks.FieldMessages, `{"messages":[{"id":"w","type":"system","system":{"type":"customer_changed_number","new_wa_id":12195555358}}]}`, "12195555358",
			func(v any) string { return string(v.(*webhooks.MessagesValue).Messages[0].System.NewWaID) }},
		{"user_preferences integer timestamp", webhooks.FieldUserPreferences, `{"user_preferences":[{"value":"stop","timestamp":1731705721}]}`, "1731705721",
			func(v any) string {
				return strconv.FormatInt(int64(v.(*webhooks.UserPreferencesValue).UserPreferences[0].Timestamp), 10)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := webhooks.DecodeValue(tc.field, json.RawMessage(tc.value))
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(v); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := webhooks.DecodeValue("calls", json.RawMessage(`{}`)); !errors.Is(err, webhooks.ErrUnknownField) {
		t.Fatalf("unknown field: err = %v", err)
	}
}

// FuzzDecodeEnvelope feeds the decoder Meta's fixtures and mutations of
// them. It must never panic, and whatever it accepts must be a real
// envelope whose values the field decoders can be run on.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, raw := range fixtures(f) {
		f.Add(raw)
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"id":1,"changes":[{"field":"x","value":{}}]}]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := webhooks.DecodeEnvelope(raw)
		if err != nil {
			if env != nil || !errors.Is(err, webhooks.ErrNotEnvelope) {
				t.Fatalf("rejection returned %v, %v", env, err)
			}
			return
		}
		if !json.Valid(raw) || env.Object != webhooks.ObjectWABA || len(env.Entry) == 0 {
			t.Fatalf("accepted a non-envelope: %q", raw)
		}
		for _, e := range env.Entry {
			if e.ID == "" || e.Changes == nil {
				t.Fatalf("accepted an entry without id or changes: %q", raw)
			}
			for _, c := range e.Changes {
				if c.Field == "" || !json.Valid(c.Value) || c.Value[0] != '{' {
					t.Fatalf("accepted a malformed change: %q", raw)
				}
				_, _ = webhooks.DecodeValue(c.Field, c.Value)
			}
		}
	})
}
