package billing

import "strings"

// Categories as wabsp stores them: Meta's pricing.category values, with the
// conversation-origin spelling authentication_international folded into the
// hyphenated one pricing uses.
const (
	CategoryMarketing      = "marketing"
	CategoryMarketingLite  = "marketing_lite"
	CategoryUtility        = "utility"
	CategoryAuthentication = "authentication"
	CategoryAuthIntl       = "authentication-international"
	CategoryService        = "service"
	CategoryReferral       = "referral_conversion"
)

// Pricing types of Meta's status webhooks.
const (
	TypeRegular             = "regular"
	TypeFreeCustomerService = "free_customer_service"
	TypeFreeEntryPoint      = "free_entry_point"
)

// Classes split usage the way a BSP explains a bill: session messages
// (service replies in the customer service window), template messages, and
// messages inside a free entry point window; unpriced messages carried no
// pricing object (v24+ shapes, failures) and other ones a category no rule
// names.
const (
	ClassSession        = "session"
	ClassTemplate       = "template"
	ClassFreeEntryPoint = "free_entry_point"
	ClassUnpriced       = "unpriced"
	ClassOther          = "other"
)

// categoryRule says which rate-card column prices a category and which
// class it belongs to. A category with no column (referral conversions are
// free by definition) is priced by the fallback if Meta ever charges it.
type categoryRule struct {
	rateCategory string
	class        string
}

// categoryRules is the whole mapping; nothing about dates lives here. What
// Meta charges when is decided by the pricing type on each status and by the
// rate cards in force (the service column exists from the 2026-10-01 card).
var categoryRules = map[string]categoryRule{
	CategoryMarketing:      {CategoryMarketing, ClassTemplate},
	CategoryMarketingLite:  {CategoryMarketing, ClassTemplate}, // no column of its own; Meta bills it as marketing
	CategoryUtility:        {CategoryUtility, ClassTemplate},
	CategoryAuthentication: {CategoryAuthentication, ClassTemplate},
	CategoryAuthIntl:       {CategoryAuthIntl, ClassTemplate},
	CategoryService:        {CategoryService, ClassSession},
	CategoryReferral:       {"", ClassOther},
}

// typeRule says whether delivered messages of a pricing type are charged.
type typeRule struct{ charged bool }

var typeRules = map[string]typeRule{
	TypeRegular:             {charged: true},
	TypeFreeCustomerService: {charged: false},
	TypeFreeEntryPoint:      {charged: false},
}

// RateCategories are the columns a rate card may have.
var RateCategories = []string{CategoryMarketing, CategoryUtility, CategoryAuthentication, CategoryAuthIntl, CategoryService}

// tierGroup reports whether a rate category may have volume tiers, and
// which monthly count it shares: authentication-international continues the
// authentication count.
func tierGroup(rateCategory string) (string, bool) {
	switch rateCategory {
	case CategoryUtility:
		return CategoryUtility, true
	case CategoryAuthentication, CategoryAuthIntl:
		return CategoryAuthentication, true
	}
	return rateCategory, false
}

// NormalizeCategory folds Meta's spellings of a category into one: lower
// case, and authentication_international (conversation origins, analytics)
// to authentication-international (pricing objects).
func NormalizeCategory(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if c == "authentication_international" {
		return CategoryAuthIntl
	}
	return c
}

// NormalizeType lower-cases a pricing type (analytics spell them upper case).
func NormalizeType(t string) string { return strings.ToLower(strings.TrimSpace(t)) }

// Fallback decides what happens to pricing wabsp has no rule for. Such
// messages are billed this way and flagged, so usage reports can show them.
type Fallback struct {
	// Category is the rate-card column that prices an unknown category.
	Category string
	// ChargeUnknownType charges delivered messages of an unknown pricing type
	// when their status does not say billable either way.
	ChargeUnknownType bool
}

// DefaultFallback prices unknown categories as marketing, the dearest
// column, and charges unknown types: an underestimate would be invisible
// until Meta's invoice arrives, an overestimate shows up in reconciliation.
var DefaultFallback = Fallback{Category: CategoryMarketing, ChargeUnknownType: true}

// pricing is what a message's pricing object decides.
type pricing struct {
	category, rateCategory, pricingType string
	chargeable, fallback                bool
}

// classifyPricing applies the rules to a pricing object. billable is Meta's
// deprecated flag, nil when absent; it only decides when the type does not.
func (f Fallback) classifyPricing(category, pricingType string, billable *bool) pricing {
	p := pricing{category: NormalizeCategory(category), pricingType: NormalizeType(pricingType)}
	if rule, ok := categoryRules[p.category]; ok {
		p.rateCategory = rule.rateCategory
	} else if p.category != "" {
		p.rateCategory, p.fallback = f.Category, true
	}
	switch rule, known := typeRules[p.pricingType]; {
	case known:
		p.chargeable = rule.charged
	case p.pricingType == "":
		// Conversation-era statuses carry no type; billable was their answer.
		p.chargeable = billable != nil && *billable
	default:
		p.fallback = true
		p.chargeable = f.ChargeUnknownType
		if billable != nil {
			p.chargeable = *billable
		}
	}
	if p.chargeable && p.rateCategory == "" {
		p.rateCategory, p.fallback = f.Category, true
	}
	return p
}

// ClassOf returns the class of a message from its stored category and type.
func ClassOf(category, pricingType string) string {
	if pricingType == TypeFreeEntryPoint {
		return ClassFreeEntryPoint
	}
	if category == "" {
		return ClassUnpriced
	}
	if rule, ok := categoryRules[category]; ok {
		return rule.class
	}
	return ClassOther
}
