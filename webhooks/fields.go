package webhooks

import (
	"encoding/json"
	"errors"
)

// The webhook fields wabsp decodes into typed values. Other fields are kept
// raw (see DecodeValue).
const (
	FieldMessages                     = "messages"
	FieldUserPreferences              = "user_preferences"
	FieldPhoneNumberQualityUpdate     = "phone_number_quality_update"
	FieldPhoneNumberNameUpdate        = "phone_number_name_update"
	FieldAccountUpdate                = "account_update"
	FieldAccountAlerts                = "account_alerts"
	FieldAccountReviewUpdate          = "account_review_update"
	FieldBusinessCapabilityUpdate     = "business_capability_update"
	FieldMessageTemplateStatusUpdate  = "message_template_status_update"
	FieldMessageTemplateQualityUpdate = "message_template_quality_update"
	FieldTemplateCategoryUpdate       = "template_category_update"
	FieldSecurity                     = "security"
)

// ErrUnknownField is returned by DecodeValue for fields it has no type for.
var ErrUnknownField = errors.New("webhooks: unknown field")

// DecodeValue decodes a change value into the typed struct of its field and
// returns a pointer to it (*MessagesValue for messages, and so on). Unknown
// keys are ignored and enum-like values are kept as sent. A field without a
// type yields ErrUnknownField; the caller keeps the raw value.
func DecodeValue(field string, raw json.RawMessage) (any, error) {
	var v any
	switch field {
	case FieldMessages:
		v = new(MessagesValue)
	case FieldUserPreferences:
		v = new(UserPreferencesValue)
	case FieldPhoneNumberQualityUpdate:
		v = new(PhoneNumberQualityUpdate)
	case FieldPhoneNumberNameUpdate:
		v = new(PhoneNumberNameUpdate)
	case FieldAccountUpdate:
		v = new(AccountUpdate)
	case FieldAccountAlerts:
		v = new(AccountAlert)
	case FieldAccountReviewUpdate:
		v = new(AccountReviewUpdate)
	case FieldBusinessCapabilityUpdate:
		v = new(BusinessCapabilityUpdate)
	case FieldMessageTemplateStatusUpdate:
		v = new(TemplateStatusUpdate)
	case FieldMessageTemplateQualityUpdate:
		v = new(TemplateQualityUpdate)
	case FieldTemplateCategoryUpdate:
		v = new(TemplateCategoryUpdate)
	case FieldSecurity:
		v = new(SecurityEvent)
	default:
		return nil, ErrUnknownField
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}

// PhoneNumberQualityUpdate is a phone_number_quality_update value. The number
// is named only by its display digits. Event is open: ONBOARDING,
// THROUGHPUT_UPGRADE today; FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE in older
// payloads.
type PhoneNumberQualityUpdate struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number"`
	Event              string     `json:"event"`
	CurrentLimit       string     `json:"current_limit"`
	OldLimit           string     `json:"old_limit"`
	// MaxDailyConversationsPerBusiness is "TIER_2K" or 2000 depending on the
	// payload version.
	MaxDailyConversationsPerBusiness FlexString `json:"max_daily_conversations_per_business"`
}

// PhoneNumberNameUpdate is a phone_number_name_update value (display name
// review). RejectionReason is "" when Meta sends null.
type PhoneNumberNameUpdate struct {
	DisplayPhoneNumber    FlexString `json:"display_phone_number"`
	Decision              string     `json:"decision"`
	RequestedVerifiedName string     `json:"requested_verified_name"`
	RejectionReason       FlexString `json:"rejection_reason"`
}

// SecurityEvent is a security value (PIN_CHANGED, PIN_RESET_REQUEST, ...).
type SecurityEvent struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number"`
	Event              string     `json:"event"`
	Requester          FlexString `json:"requester"`
}

// AccountReviewUpdate is an account_review_update value.
type AccountReviewUpdate struct {
	Decision string `json:"decision"`
}

// AccountAlert is an account_alerts value.
type AccountAlert struct {
	EntityType string     `json:"entity_type"`
	EntityID   FlexString `json:"entity_id"`
	AlertInfo  struct {
		AlertSeverity    string `json:"alert_severity"`
		AlertStatus      string `json:"alert_status"`
		AlertType        string `json:"alert_type"`
		AlertDescription string `json:"alert_description"`
	} `json:"alert_info"`
}

// BusinessCapabilityUpdate is a business_capability_update value. Keys come
// and go with API versions; absent ones decode to zero.
type BusinessCapabilityUpdate struct {
	// MaxDailyConversationPerPhone (singular, v23 and older): -1 is unlimited.
	MaxDailyConversationPerPhone     FlexInt    `json:"max_daily_conversation_per_phone"`
	MaxDailyConversationsPerBusiness FlexString `json:"max_daily_conversations_per_business"`
	MaxPhoneNumbersPerBusiness       FlexInt    `json:"max_phone_numbers_per_business"`
	MaxPhoneNumbersPerWABA           FlexInt    `json:"max_phone_numbers_per_waba"`
}
