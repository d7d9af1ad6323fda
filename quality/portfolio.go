package quality

// Portfolio describes a WABA's business-portfolio messaging limit under the
// model Meta runs since 2025-10-07: the limit (unique users reached outside
// a customer service window in a moving 24 hours) belongs to the portfolio
// and is shared by all its numbers; it only goes up, by a scaling path to
// 2,000 and automatic scaling after that; quality no longer lowers it but
// gates automatic scaling. It is computed from what wabsp stores, beside the
// legacy rule (LegacyFlag), never instead of it.
type Portfolio struct {
	WABAID string `json:"waba_id"`
	// Limit is the current level (TIER_250 ... TIER_UNLIMITED), "" when Meta
	// has not reported one yet.
	Limit string `json:"limit"`
	// NextLimit is the level scaling leads to, "" at the top or when the
	// current level is unknown.
	NextLimit string `json:"next_limit,omitempty"`
	// Path is how the next level is reached.
	Path string `json:"path,omitempty"`
	// QualityEligible is true when none of the WABA's numbers or templates
	// is rated low, which automatic scaling requires.
	QualityEligible bool `json:"quality_eligible"`
	// Blockers name the numbers and templates rated low.
	Blockers []string `json:"blockers"`
}

// Paths to the next portfolio level (Meta's "Messaging limits" page).
const (
	pathTo2K = "business verification, partner-led business verification, or 2,000 messages delivered " +
		"outside a customer service window to unique users within 30 days using high-quality templates"
	pathAutomatic = "automatic: high-quality messaging across all numbers and templates and at least half of " +
		"the current limit used in the last 7 days; Meta raises the limit within 6 hours"
)

// portfolioLevels is the current model's ladder (no TIER_1K step).
var portfolioLevels = []string{"TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"}

// portfolioOf evaluates the current model for one WABA from its limit and
// the labels of its numbers and templates rated low.
func portfolioOf(wabaID, limit string, lowRated []string) Portfolio {
	p := Portfolio{WABAID: wabaID, Limit: limit, QualityEligible: len(lowRated) == 0, Blockers: lowRated}
	if p.Blockers == nil {
		p.Blockers = []string{}
	}
	for i, l := range portfolioLevels {
		if l != limit || i == len(portfolioLevels)-1 {
			continue
		}
		p.NextLimit = portfolioLevels[i+1]
		p.Path = pathAutomatic
		if l == "TIER_250" {
			p.Path = pathTo2K
		}
	}
	if limit == "TIER_50" {
		p.NextLimit, p.Path = "TIER_250", pathTo2K
	}
	return p
}
