package quality

import (
	"time"
)

// LegacyFlagWindow is how long a flagged number had, under the legacy rule,
// before Meta decided its limit.
const LegacyFlagWindow = 7 * 24 * time.Hour

// Outcomes of the legacy rule.
const (
	OutcomeSameTier  = "connected_same_tier"
	OutcomeLowerTier = "connected_lower_tier"
)

// RatingAt is a quality rating observed at a time.
type RatingAt struct {
	Rating string    `json:"rating"`
	Label  string    `json:"label"`
	At     time.Time `json:"at"`
}

// LegacyFlag applies the FLAGGED rule from Meta's documentation before
// October 2025 to a flagged number: flagged when its quality drops to low;
// if the quality is medium or high when seven days have passed, back to
// CONNECTED at the same tier, otherwise back to CONNECTED one tier lower.
// Meta retired the state on 2025-10-07 (limits now belong to the business
// portfolio and quality no longer lowers them), but tenants still read it in
// older material and legacy payloads still carry FLAGGED; see Portfolio for
// the current model.
type LegacyFlag struct {
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
	// DaysLeft counts whole or partial days until Deadline, 0 once passed.
	DaysLeft int `json:"days_left"`
	// QualitySince is the rating in effect when the number was flagged and
	// every change after it, oldest first.
	QualitySince   []RatingAt `json:"quality_since"`
	CurrentQuality string     `json:"current_quality"`
	// MediumOrHighSince is when the current run of medium or high ratings
	// began; nil while the rating is low or unknown.
	MediumOrHighSince *time.Time `json:"medium_or_high_since,omitempty"`
	// ProjectedOutcome is what the rule decides at Deadline if the rating
	// stays as it is now.
	ProjectedOutcome string `json:"projected_outcome"`
	CurrentTier      string `json:"current_tier,omitempty"`
	ProjectedTier    string `json:"projected_tier,omitempty"`
}

// legacyFlag evaluates the rule for a number flagged at since, given the
// rating history (oldest first, including the rating in effect at since),
// the number's legacy tier and the time now. It returns nil for a number
// that is not flagged.
func legacyFlag(status string, since *time.Time, ratings []RatingAt, tier string, now time.Time) *LegacyFlag {
	if status != StatusFlagged || since == nil {
		return nil
	}
	f := &LegacyFlag{Since: since.UTC(), Deadline: since.Add(LegacyFlagWindow).UTC(), CurrentTier: tier, QualitySince: []RatingAt{}}
	if left := f.Deadline.Sub(now); left > 0 {
		f.DaysLeft = int((left + 24*time.Hour - 1) / (24 * time.Hour))
	}
	for _, r := range ratings {
		f.QualitySince = append(f.QualitySince, r)
		f.CurrentQuality = r.Rating
		if ratingRank(r.Rating) >= ratingRank(Yellow) {
			if f.MediumOrHighSince == nil {
				at := r.At
				if at.Before(f.Since) {
					at = f.Since
				}
				f.MediumOrHighSince = &at
			}
		} else {
			f.MediumOrHighSince = nil
		}
	}
	if f.MediumOrHighSince != nil {
		f.ProjectedOutcome, f.ProjectedTier = OutcomeSameTier, tier
	} else {
		f.ProjectedOutcome, f.ProjectedTier = OutcomeLowerTier, lowerTier(tier)
	}
	return f
}

// ratingsSince trims a rating history (oldest first) to the rating in
// effect at since and every change after it.
func ratingsSince(all []RatingAt, since time.Time) []RatingAt {
	start := 0
	for i, r := range all {
		if !r.At.After(since) {
			start = i
		}
	}
	if len(all) == 0 {
		return nil
	}
	if all[start].At.After(since) {
		return all
	}
	return all[start:]
}
