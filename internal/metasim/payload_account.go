package metasim

import (
	"encoding/json"
	"maps"
	"strconv"
	"time"
)

type wireQualityValue struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	Event              string `json:"event"`
	OldLimit           string `json:"old_limit,omitempty"`
	CurrentLimit       string `json:"current_limit,omitempty"`
}

// QualityUpdateChange is a phone_number_quality_update change. Meta names the
// number only by its digits-only display number. Empty limits are omitted:
// old_limit only accompanies limit changes, and both are being retired.
func QualityUpdateChange(displayDigits, event, currentLimit, oldLimit string) Change {
	return change("phone_number_quality_update", wireQualityValue{
		DisplayPhoneNumber: displayDigits, Event: event, OldLimit: oldLimit, CurrentLimit: currentLimit,
	})
}

// QualityUpdateBody is a webhook body with one phone_number_quality_update
// change, dated at.
func QualityUpdateBody(at time.Time, wabaID, displayDigits, event, currentLimit, oldLimit string) []byte {
	return wabaBody(at, wabaID, QualityUpdateChange(displayDigits, event, currentLimit, oldLimit))
}

type wireNameValue struct {
	DisplayPhoneNumber    string  `json:"display_phone_number"`
	Decision              string  `json:"decision"`
	RequestedVerifiedName string  `json:"requested_verified_name"`
	RejectionReason       *string `json:"rejection_reason"`
}

// NameUpdateChange is a phone_number_name_update change; an empty
// rejectionReason is sent as JSON null, as Meta does for approvals.
func NameUpdateChange(displayDigits, decision, requestedName, rejectionReason string) Change {
	v := wireNameValue{DisplayPhoneNumber: displayDigits, Decision: decision, RequestedVerifiedName: requestedName}
	if rejectionReason != "" {
		v.RejectionReason = &rejectionReason
	}
	return change("phone_number_name_update", v)
}

// NameUpdateBody is a webhook body with one phone_number_name_update change.
func NameUpdateBody(at time.Time, wabaID, displayDigits, decision, requestedName, rejectionReason string) []byte {
	return wabaBody(at, wabaID, NameUpdateChange(displayDigits, decision, requestedName, rejectionReason))
}

// BusinessCapability is the value of a business_capability_update. Zero
// fields are omitted, since Meta sends only the capabilities that apply.
type BusinessCapability struct {
	// MaxDailyConversationsPerBusiness is the portfolio messaging limit.
	// Digits are sent as a JSON number (2000), anything else as a string
	// ("UNLIMITED"), because Meta documents both.
	MaxDailyConversationsPerBusiness string
	MaxPhoneNumbersPerWABA           int
	MaxPhoneNumbersPerBusiness       int
	// MaxDailyConversationPerPhone is the retired per-number limit (-1 means
	// unlimited).
	MaxDailyConversationPerPhone int
}

// BusinessCapabilityChange is a business_capability_update change.
func BusinessCapabilityChange(c BusinessCapability) Change {
	v := map[string]any{}
	if s := c.MaxDailyConversationsPerBusiness; s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			v["max_daily_conversations_per_business"] = n
		} else {
			v["max_daily_conversations_per_business"] = s
		}
	}
	putInt(v, "max_phone_numbers_per_waba", c.MaxPhoneNumbersPerWABA)
	putInt(v, "max_phone_numbers_per_business", c.MaxPhoneNumbersPerBusiness)
	putInt(v, "max_daily_conversation_per_phone", c.MaxDailyConversationPerPhone)
	return change("business_capability_update", v)
}

// BusinessCapabilityBody is a webhook body with one business_capability_update.
func BusinessCapabilityBody(at time.Time, wabaID string, c BusinessCapability) []byte {
	return wabaBody(at, wabaID, BusinessCapabilityChange(c))
}

func putInt(m map[string]any, key string, n int) {
	if n != 0 {
		m[key] = n
	}
}

// AccountUpdateChange is an account_update change: event plus the keys that
// event carries (restriction_info, ban_info, waba_info, violation_info, ...),
// passed through as given because their shapes vary per event.
func AccountUpdateChange(event string, extra map[string]any) Change {
	v := make(map[string]any, len(extra)+1)
	maps.Copy(v, extra)
	v["event"] = event
	return change("account_update", v)
}

// AccountUpdateBody is a webhook body with one account_update change. entryID
// is the WABA id, except for partner events, where Meta puts the partner's
// business portfolio id there and the WABA in waba_info.
func AccountUpdateBody(at time.Time, entryID, event string, extra map[string]any) []byte {
	return wabaBody(at, entryID, AccountUpdateChange(event, extra))
}

// AccountAlert is the value of an account_alerts change.
type AccountAlert struct {
	EntityType  string // BUSINESS, PHONE_NUMBER, ...
	EntityID    string
	Severity    string // CRITICAL, WARNING, INFORMATIONAL
	Status      string // ACTIVE, NONE
	Type        string // e.g. INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED
	Description string
}

type wireAlertValue struct {
	EntityType string        `json:"entity_type"`
	EntityID   string        `json:"entity_id"`
	AlertInfo  wireAlertInfo `json:"alert_info"`
}

type wireAlertInfo struct {
	Severity    string `json:"alert_severity"`
	Status      string `json:"alert_status"`
	Type        string `json:"alert_type"`
	Description string `json:"alert_description"`
}

// AccountAlertsChange is an account_alerts change.
func AccountAlertsChange(a AccountAlert) Change {
	return change("account_alerts", wireAlertValue{
		EntityType: a.EntityType, EntityID: a.EntityID,
		AlertInfo: wireAlertInfo{Severity: a.Severity, Status: a.Status, Type: a.Type, Description: a.Description},
	})
}

// AccountAlertsBody is a webhook body with one account_alerts change.
func AccountAlertsBody(at time.Time, wabaID string, a AccountAlert) []byte {
	return wabaBody(at, wabaID, AccountAlertsChange(a))
}

// rawNumber renders n as a JSON number literal, which is how Meta sends
// template ids in webhooks (too large for float64 to be trusted, so receivers
// must decode them as json.Number or int64).
func rawNumber(n int64) json.RawMessage {
	return json.RawMessage(strconv.FormatInt(n, 10))
}
