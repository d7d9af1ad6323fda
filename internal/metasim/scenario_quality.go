package metasim

import "time"

// QualityDropAndRecovery scripts a phone number's quality falling from GREEN
// through YELLOW to RED and recovering, with the legacy FLAGGED and UNFLAGGED
// phone_number_quality_update events at the RED boundary (Meta's pre-October
// 2025 model, which wabsp tracks beside the current one). Meta sends no
// webhook when the rating moves between GREEN and YELLOW, so those steps only
// change the attached Graph, where polling sees them.
func QualityDropAndRecovery(n Number, opts StepOptions) Scenario {
	opts = opts.withDefaults()
	return materialize("quality drop and recovery "+n.Display, qualitySteps(n, opts.Limit), opts.Graph, opts.Start, opts.Step)
}

func qualitySteps(n Number, limit string) []step {
	setPhone := func(rating, status string) func(g *Graph) error {
		return func(g *Graph) error {
			if err := g.SetQuality(n.PhoneNumberID, rating); err != nil {
				return err
			}
			return g.SetStatus(n.PhoneNumberID, status)
		}
	}
	qualityBody := func(event string) func(at time.Time) []byte {
		return func(at time.Time) []byte {
			return QualityUpdateBody(at, n.WABAID, n.Display, event, limit, "")
		}
	}
	return []step{
		{label: "quality YELLOW", apply: setPhone("YELLOW", "CONNECTED")},
		{label: "quality RED, FLAGGED", body: qualityBody("FLAGGED"), apply: setPhone("RED", "FLAGGED")},
		{label: "quality YELLOW while flagged", apply: setPhone("YELLOW", "FLAGGED")},
		{label: "quality GREEN, UNFLAGGED", body: qualityBody("UNFLAGGED"), apply: setPhone("GREEN", "CONNECTED")},
	}
}
