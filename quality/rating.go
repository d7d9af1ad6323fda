package quality

import (
	"strconv"
	"strings"
)

// Quality ratings (phone numbers) and quality scores (templates) as Meta
// names them. Meta's enums are open: other values are stored as sent.
const (
	Green   = "GREEN"
	Yellow  = "YELLOW"
	Red     = "RED"
	Unknown = "UNKNOWN"
)

// Phone number statuses wabsp reasons about; others are stored as sent.
const (
	StatusConnected = "CONNECTED"
	StatusFlagged   = "FLAGGED"
)

// Template statuses that open alerts.
const (
	TemplateApproved = "APPROVED"
	TemplatePaused   = "PAUSED"
	TemplateDisabled = "DISABLED"
	TemplateRejected = "REJECTED"
)

// normRating upper-cases a rating and maps Meta's "NA" (some references'
// name for "not yet determined") to UNKNOWN.
func normRating(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "NA" {
		return Unknown
	}
	return s
}

// ratingRank orders ratings from worst to best; 0 means no rating (UNKNOWN
// or a value wabsp does not know), which never counts as the lowest.
func ratingRank(r string) int {
	switch r {
	case Red:
		return 1
	case Yellow:
		return 2
	case Green:
		return 3
	}
	return 0
}

// RatingLabel is how WhatsApp Manager shows a rating: High, Medium, Low.
func RatingLabel(r string) string {
	switch r {
	case Green:
		return "High"
	case Yellow:
		return "Medium"
	case Red:
		return "Low"
	}
	return "Unknown"
}

// worseRating returns the lower of two ratings; an unrated value loses to
// any rated one.
func worseRating(a, b string) string {
	ra, rb := ratingRank(a), ratingRank(b)
	switch {
	case ra == 0:
		return b
	case rb == 0:
		return a
	case rb < ra:
		return b
	}
	return a
}

// tierOrder lists messaging-limit tiers from lowest to highest. TIER_1K is
// the per-number era's step where the portfolio model has TIER_2K.
var tierOrder = []string{"TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"}

// tierRank orders tiers; 0 means not a known tier (TIER_NOT_SET, UNTIERED).
func tierRank(t string) int {
	for i, v := range tierOrder {
		if v == t {
			return i + 1
		}
	}
	return 0
}

// normTier turns the forms Meta uses for a messaging limit ("TIER_2K",
// 2000, "UNLIMITED", -1) into the TIER_* names.
func normTier(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "", "0":
		return ""
	case "UNLIMITED", "-1":
		return "TIER_UNLIMITED"
	}
	if n, err := strconv.Atoi(s); err == nil {
		switch {
		case n >= 100_000:
			return "TIER_100K"
		case n >= 10_000:
			return "TIER_10K"
		case n >= 2_000:
			return "TIER_2K"
		case n >= 1_000:
			return "TIER_1K"
		case n >= 250:
			return "TIER_250"
		default:
			return "TIER_50"
		}
	}
	return s
}

// lowerTier is the legacy one-level downgrade: the tier below t, or t when
// there is none.
func lowerTier(t string) string {
	r := tierRank(t)
	if r <= 1 {
		return t
	}
	// The per-number model had no TIER_2K step: TIER_10K fell to TIER_1K.
	below := tierOrder[r-2]
	if below == "TIER_2K" {
		below = "TIER_1K"
	}
	return below
}
