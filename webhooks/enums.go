package webhooks

// The values Meta documents today (REFERENCE.md §2). They are not
// validation: a value outside its set is stored like any other and only
// counted in wabsp_webhook_unknown_total, which is how drift is noticed.
var (
	knownStatuses         = set("sent", "delivered", "read", "played", "failed")
	knownMessageTypes     = set("text", "reaction", "image", "sticker", "video", "audio", "document", "location", "contacts", "button", "interactive", "order", "system", "unsupported", "edit", "revoke", "request_welcome")
	knownSystemTypes      = set("user_changed_number", "customer_changed_number", "customer_identity_changed", "user_changed_user_id")
	knownPricingModels    = set("CBP", "PMP")
	knownPricingTypes     = set("regular", "free_customer_service", "free_entry_point")
	knownPricingCategory  = set("authentication", "authentication-international", "marketing", "marketing_lite", "referral_conversion", "service", "utility")
	knownConversationType = set("authentication", "authentication_international", "marketing", "marketing_lite", "referral_conversion", "service", "utility")

	knownPreferenceValues     = set("stop", "resume")
	knownPreferenceCategories = set("marketing_messages")

	knownQualityEvents   = set("ONBOARDING", "THROUGHPUT_UPGRADE", "FLAGGED", "UNFLAGGED", "UPGRADE", "DOWNGRADE")
	knownNameDecisions   = set("APPROVED", "DEFERRED", "PENDING", "REJECTED")
	knownSecurityEvents  = set("PIN_CHANGED", "PIN_RESET_REQUEST", "PIN_REQUEST_SUCCESS")
	knownReviewDecisions = set("APPROVED", "REJECTED", "PENDING", "DEFERRED")
	knownAlertTypes      = set("INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", "INCREASED_CAPABILITIES_ELIGIBILITY_FAILED", "INCREASED_CAPABILITIES_ELIGIBILITY_NEED_MORE_INFO", "OBA_APPROVED", "OBA_REJECTED", "PROFILE_PICTURE_LOST")
	knownAlertEntities   = set("BUSINESS", "PHONE_NUMBER", "CURRENT_STATUS_ID")
	knownAccountEvents   = set("ACCOUNT_DELETED", "ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "AD_ACCOUNT_LINKED",
		"AUTH_INTL_PRICE_ELIGIBILITY_UPDATE", "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE", "DISABLED_UPDATE",
		"MM_LITE_TERMS_SIGNED", "PARTNER_ADDED", "PARTNER_APP_INSTALLED", "PARTNER_APP_UNINSTALLED",
		"PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE", "PARTNER_REMOVED", "VOLUME_BASED_PRICING_TIER_UPDATE",
		"ACCOUNT_OFFBOARDED", "ACCOUNT_RECONNECTED", "VERIFIED_ACCOUNT")
	knownTemplateEvents = set("APPROVED", "ARCHIVED", "UNARCHIVED", "DELETED", "DISABLED", "FLAGGED", "IN_APPEAL",
		"LIMIT_EXCEEDED", "LOCKED", "PAUSED", "PENDING", "REINSTATED", "PENDING_DELETION", "REJECTED")
	knownQualityScores      = set("GREEN", "YELLOW", "RED", "UNKNOWN")
	knownTemplateCategories = set("MARKETING", "UTILITY", "AUTHENTICATION")
)

func set(values ...string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}
