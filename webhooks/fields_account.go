package webhooks

// AccountUpdate is an account_update value. Which optional block is present
// depends on Event; Meta adds events and keys over time, so none is required.
type AccountUpdate struct {
	Event string `json:"event"`
	// PhoneNumber appears in some shapes (coexistence PARTNER_REMOVED).
	PhoneNumber FlexString `json:"phone_number"`
	Country     string     `json:"country"`
	// WABAInfo names the client WABA in partner events, whose entry.id is a
	// business portfolio rather than the WABA.
	WABAInfo                         *WABAInfo                         `json:"waba_info"`
	RestrictionInfo                  []Restriction                     `json:"restriction_info"`
	ViolationInfo                    *ViolationInfo                    `json:"violation_info"`
	BanInfo                          *BanInfo                          `json:"ban_info"`
	DisconnectionInfo                *DisconnectionInfo                `json:"disconnection_info"`
	PartnerClientCertificationInfo   *PartnerClientCertificationInfo   `json:"partner_client_certification_info"`
	AuthInternationalRateEligibility *AuthInternationalRateEligibility `json:"auth_international_rate_eligibility"`
	VolumeTierInfo                   *VolumeTierInfo                   `json:"volume_tier_info"`
}

// WABAInfo identifies the WABA an account_update is about.
type WABAInfo struct {
	WABAID                     FlexString   `json:"waba_id"`
	OwnerBusinessID            FlexString   `json:"owner_business_id"`
	PartnerAppID               FlexString   `json:"partner_app_id"`
	SolutionID                 FlexString   `json:"solution_id"`
	SolutionPartnerBusinessIDs []FlexString `json:"solution_partner_business_ids"`
	AdAccountLinked            FlexString   `json:"ad_account_linked"`
}

// Restriction is one restriction_info element of ACCOUNT_RESTRICTION.
type Restriction struct {
	RestrictionType string  `json:"restriction_type"`
	Expiration      FlexInt `json:"expiration"`
}

// ViolationInfo accompanies ACCOUNT_VIOLATION.
type ViolationInfo struct {
	ViolationType string `json:"violation_type"`
}

// BanInfo accompanies DISABLED_UPDATE. WABABanDate is free text
// ("April 17, 2025").
type BanInfo struct {
	WABABanState string     `json:"waba_ban_state"`
	WABABanDate  FlexString `json:"waba_ban_date"`
}

// DisconnectionInfo accompanies PARTNER_REMOVED for coexistence numbers.
type DisconnectionInfo struct {
	Reason      string `json:"reason"`
	InitiatedBy string `json:"initiated_by"`
}

// PartnerClientCertificationInfo accompanies
// PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE.
type PartnerClientCertificationInfo struct {
	ClientBusinessID FlexString `json:"client_business_id"`
	Status           string     `json:"status"`
	RejectionReasons []string   `json:"rejection_reasons"`
}

// AuthInternationalRateEligibility accompanies
// AUTH_INTL_PRICE_ELIGIBILITY_UPDATE.
type AuthInternationalRateEligibility struct {
	StartTime          FlexInt `json:"start_time"`
	ExceptionCountries []struct {
		CountryCode string  `json:"country_code"`
		StartTime   FlexInt `json:"start_time"`
	} `json:"exception_countries"`
}

// VolumeTierInfo accompanies VOLUME_BASED_PRICING_TIER_UPDATE, which Meta may
// send more than once per switch (the smallest TierUpdateTime wins).
type VolumeTierInfo struct {
	TierUpdateTime  FlexInt `json:"tier_update_time"`
	PricingCategory string  `json:"pricing_category"`
	Tier            string  `json:"tier"`
	EffectiveMonth  string  `json:"effective_month"`
	Region          string  `json:"region"`
}

// TemplateStatusUpdate is a message_template_status_update value. Event and
// Reason are open (pause events have been seen in lower case); Reason is ""
// when Meta sends null (scheduled deletion). Category is absent in older
// payloads.
type TemplateStatusUpdate struct {
	Event         string     `json:"event"`
	TemplateID    FlexString `json:"message_template_id"`
	Name          string     `json:"message_template_name"`
	Language      string     `json:"message_template_language"`
	Reason        FlexString `json:"reason"`
	Category      string     `json:"message_template_category"`
	RejectionInfo *struct {
		Reason         string `json:"reason"`
		Recommendation string `json:"recommendation"`
	} `json:"rejection_info"`
	DisableInfo *struct {
		DisableDate FlexInt `json:"disable_date"`
	} `json:"disable_info"`
	OtherInfo *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"other_info"`
}

// TemplateQualityUpdate is a message_template_quality_update value.
type TemplateQualityUpdate struct {
	PreviousQualityScore string     `json:"previous_quality_score"`
	NewQualityScore      string     `json:"new_quality_score"`
	TemplateID           FlexString `json:"message_template_id"`
	Name                 string     `json:"message_template_name"`
	Language             string     `json:"message_template_language"`
}

// TemplateCategoryUpdate is a template_category_update value. It comes in two
// shapes: a 24-hour notice, where CorrectCategory is what the template will
// become and NewCategory is (despite its name) its current category; and the
// completed change with PreviousCategory and NewCategory.
type TemplateCategoryUpdate struct {
	TemplateID              FlexString `json:"message_template_id"`
	Name                    string     `json:"message_template_name"`
	Language                string     `json:"message_template_language"`
	NewCategory             string     `json:"new_category"`
	CorrectCategory         string     `json:"correct_category"`
	PreviousCategory        string     `json:"previous_category"`
	CategoryUpdateTimestamp FlexInt    `json:"category_update_timestamp"`
}

// Impending reports whether u is the 24-hour notice rather than the change.
func (u *TemplateCategoryUpdate) Impending() bool { return u.CorrectCategory != "" }
