package metasim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// shape reduces a decoded JSON value to its structure: the same keys, with
// every leaf replaced by its JSON type, and arrays by the shape of their
// first element.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = shape(e)
		}
		return m
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	default:
		return "unexpected"
	}
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestBuildersMatchFixtureShapes(t *testing.T) {
	at := time.Date(2026, 7, 14, 9, 30, 0, 0, time.UTC)
	const (
		waba    = "200000000000001"
		phoneID = "300000000000001"
		display = "15550001111"
		wamid   = "wamid.HBgLMTU1NTAwMDExMTEVAgASGBQzQUFBQUFBQUFBQUFBQUFBQUFBQQA="
	)
	marketing := &Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
	tests := []struct {
		name    string
		fixture string
		body    []byte
	}{
		{"inbound text", "messages-1", InboundTextBody(waba, phoneID, display,
			InboundText{From: "6281234567890", Name: "Dewi", WAMID: wamid, Timestamp: at, Body: "halo"})},
		{"status delivered CBP", "messages-2", StatusesBody(waba, phoneID, display, []Status{{
			WAMID: wamid, Status: "delivered", Timestamp: at, RecipientID: "6281234567890",
			Conversation: &Conversation{ID: "c1", OriginType: "service"},
			Pricing:      &Pricing{Billable: true, Model: "CBP", Category: "service"},
		}})},
		{"status sent with conversation", "messages-3", StatusesBody(waba, phoneID, display, []Status{{
			WAMID: wamid, Status: "sent", Timestamp: at, RecipientID: "6281234567890",
			Conversation: &Conversation{ID: "c1", Expiration: at.Add(24 * time.Hour), OriginType: "marketing"},
			Pricing:      marketing,
		}})},
		{"status without pricing", "messages-4", StatusesBody(waba, phoneID, display, []Status{{
			WAMID: wamid, Status: "sent", Timestamp: at, RecipientID: "6281234567890",
		}})},
		{"status failed", "messages-5", StatusesBody(waba, phoneID, display, []Status{{
			WAMID: wamid, Status: "failed", Timestamp: at, RecipientID: "6281234567890",
			Errors: []MessageError{HealthyEcosystemError},
		}})},
		{"changed number", "messages-7", SystemChangedNumberBody(waba, phoneID, display, NumberChange{
			OldWAID: "6281234567890", NewWAID: "6289876543210", Name: "Dewi", WAMID: wamid, Timestamp: at,
		})},
		{"button tap", "messages-8", InboundButtonBody(waba, phoneID, display, ButtonTap{
			From: "6281234567890", Name: "Dewi", WAMID: wamid, Timestamp: at,
			Payload: "STOP_PROMOTIONS", Text: "Stop promotions", ContextID: wamid,
		})},
		{"user preferences", "user_preferences-1", UserPreferencesBody(waba, phoneID, display,
			UserPreference{WAID: "6281234567890", Value: "stop", Timestamp: at})},
		{"quality throughput upgrade", "phone_number_quality_update-1",
			QualityUpdateBody(at, waba, display, "THROUGHPUT_UPGRADE", "TIER_UNLIMITED", "")},
		{"quality flagged", "phone_number_quality_update-2",
			QualityUpdateBody(at, waba, display, "FLAGGED", "TIER_2K", "")},
		{"name update", "phone_number_name_update-1",
			NameUpdateBody(at, waba, display, "APPROVED", "Toko Dewi", "")},
		{"business capability", "business_capability_update-1", BusinessCapabilityBody(at, waba,
			BusinessCapability{MaxDailyConversationsPerBusiness: "10000", MaxPhoneNumbersPerWABA: 20})},
		{"account deleted", "account_update-1", AccountUpdateBody(at, waba, "ACCOUNT_DELETED", nil)},
		{"account restriction", "account_update-2", AccountUpdateBody(at, waba, "ACCOUNT_RESTRICTION", map[string]any{
			"restriction_info": []map[string]any{{"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": at.Unix()}},
		})},
		{"partner added", "account_update-8", AccountUpdateBody(at, "900000000000001", "PARTNER_ADDED", map[string]any{
			"waba_info": map[string]any{
				"waba_id": waba, "owner_business_id": "800000000000001", "solution_id": "700000000000001",
				"solution_partner_business_ids": []string{"900000000000001"},
			},
		})},
		{"partner added after signup", "account_update-18", AccountUpdateBody(at, "900000000000001", "PARTNER_ADDED", map[string]any{
			"waba_info": map[string]any{"waba_id": waba, "owner_business_id": "800000000000001"},
		})},
		{"account alert", "account_alerts-1", AccountAlertsBody(at, waba, AccountAlert{
			EntityType: "BUSINESS", EntityID: "800000000000001", Severity: "WARNING", Status: "ACTIVE",
			Type: "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", Description: "Limits cannot be increased.",
		})},
		{"template approved", "message_template_status_update-1", TemplateStatusBody(at, waba, TemplateStatus{
			Event: "APPROVED", ID: 1689556908129999, Name: "order_update", Language: "id", Category: "UTILITY",
		})},
		{"template rejected", "message_template_status_update-2", TemplateStatusBody(at, waba, TemplateStatus{
			Event: "REJECTED", ID: 1689556908129999, Name: "promo", Language: "en", Reason: "INVALID_FORMAT",
			Category: "MARKETING", RejectionInfo: &RejectionInfo{Reason: "Adjacent parameters.", Recommendation: "Separate them."},
		})},
		{"template approved, older shape", "message_template_status_update-3", TemplateStatusBody(at, waba, TemplateStatus{
			Event: "APPROVED", ID: 64244916695, Name: "summer", Language: "en_US",
		})},
		{"template quality", "message_template_quality_update-1", TemplateQualityBody(at, waba, TemplateQuality{
			ID: 806312974732579, Name: "welcome", Language: "en-US", Previous: "YELLOW", New: "RED",
		})},
		{"template category notice", "template_category_update-1", TemplateCategoryBody(at, waba, TemplateCategory{
			ID: 278077987957091, Name: "welcome", Language: "en-US", New: "UTILITY", Correct: "MARKETING",
			EffectiveAt: at.Add(24 * time.Hour),
		})},
		{"template category changed", "template_category_update-2", TemplateCategoryBody(at, waba, TemplateCategory{
			ID: 278077987957091, Name: "welcome", Language: "en-US", Previous: "UTILITY", New: "MARKETING",
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixture, err := os.ReadFile(filepath.Join("testdata", tt.fixture+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(shape(decode(t, fixture)), shape(decode(t, tt.body))); diff != "" {
				t.Errorf("shape differs from %s (-fixture +builder):\n%s", tt.fixture, diff)
			}
		})
	}
}

func TestTemplateIDsAreJSONNumbers(t *testing.T) {
	// Meta sends template ids unquoted; receivers that expect strings break.
	const id = int64(1689556908129835)
	body := TemplateStatusBody(time.Unix(0, 0), "1", TemplateStatus{Event: "PAUSED", ID: id, Name: "n", Language: "en"})
	if !bytes.Contains(body, []byte(`"message_template_id":1689556908129835`)) {
		t.Errorf("template id not an exact JSON number in %s", body)
	}
}

func TestTemplateReason(t *testing.T) {
	tests := []struct {
		name   string
		status TemplateStatus
		want   any
	}{
		{"default is NONE", TemplateStatus{Event: "APPROVED"}, "NONE"},
		{"explicit reason", TemplateStatus{Event: "REJECTED", Reason: "PROMOTIONAL"}, "PROMOTIONAL"},
		{"null when pending deletion", TemplateStatus{Event: "PENDING_DELETION"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				Entry []struct {
					Changes []struct {
						Value map[string]any `json:"value"`
					} `json:"changes"`
				} `json:"entry"`
			}
			if err := json.Unmarshal(TemplateStatusBody(time.Unix(0, 0), "1", tt.status), &v); err != nil {
				t.Fatal(err)
			}
			value := v.Entry[0].Changes[0].Value
			got, present := value["reason"]
			if !present {
				t.Fatal("reason key missing")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reason (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodyBatchesEntriesAndChanges(t *testing.T) {
	at := time.Date(2026, 7, 14, 9, 30, 0, 0, time.UTC)
	body := Body(
		Entry{ID: "waba-a", Changes: []Change{
			StatusesChange("p1", "15550001111", []Status{{WAMID: "w1", Status: "sent", Timestamp: at, RecipientID: "1"}}),
			InboundTextChange("p2", "15550002222", InboundText{From: "1", WAMID: "w2", Timestamp: at, Body: "hi"}),
		}},
		Entry{ID: "waba-b", Time: at, Changes: []Change{QualityUpdateChange("15550003333", "FLAGGED", "TIER_2K", "")}},
	)
	var env struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string `json:"id"`
			Time    *int64 `json:"time"`
			Changes []struct {
				Field string `json:"field"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		ID     string
		Time   int64
		Fields []string
	}
	var got []entry
	for _, e := range env.Entry {
		ge := entry{ID: e.ID}
		if e.Time != nil {
			ge.Time = *e.Time
		}
		for _, c := range e.Changes {
			ge.Fields = append(ge.Fields, c.Field)
		}
		got = append(got, ge)
	}
	want := []entry{
		{ID: "waba-a", Fields: []string{"messages", "messages"}},
		{ID: "waba-b", Time: at.Unix(), Fields: []string{"phone_number_quality_update"}},
	}
	if env.Object != Object {
		t.Errorf("object = %q, want %q", env.Object, Object)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestBusinessCapabilityLimitTypes(t *testing.T) {
	tests := []struct {
		name  string
		limit string
		want  any
	}{
		{"digits become a number", "2000", float64(2000)},
		{"names stay strings", "UNLIMITED", "UNLIMITED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v map[string]any
			if err := json.Unmarshal(BusinessCapabilityChange(BusinessCapability{MaxDailyConversationsPerBusiness: tt.limit}).Value, &v); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, v["max_daily_conversations_per_business"]); diff != "" {
				t.Errorf("limit (-want +got):\n%s", diff)
			}
		})
	}
}
