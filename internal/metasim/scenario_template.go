package metasim

import (
	"fmt"
	"time"
)

// TemplatePausedThenDisabled scripts Meta's three strikes for a template
// whose quality keeps falling: quality GREEN→YELLOW→RED, paused for 3 hours
// (FIRST_PAUSE), unpaused with its quality reset, RED again and paused for 6
// hours (SECOND_PAUSE), unpaused, RED a third time and DISABLED with
// disable_info. Unpausing is an APPROVED event with other_info UNPAUSE.
func TemplatePausedThenDisabled(t TemplateRef, opts StepOptions) Scenario {
	opts = opts.withDefaults()
	return materialize("template paused then disabled "+t.Name, templateSteps(t), opts.Graph, opts.Start, opts.Step)
}

func templateSteps(t TemplateRef) []step {
	quality := func(prev, next string) step {
		return step{
			label: fmt.Sprintf("template quality %s→%s", prev, next),
			body: func(at time.Time) []byte {
				return TemplateQualityBody(at, t.WABAID, TemplateQuality{
					ID: t.ID, Name: t.Name, Language: t.Language, Previous: prev, New: next,
				})
			},
			apply: func(g *Graph) error { return g.SetTemplateQuality(t.ID, next) },
		}
	}
	status := func(label, event, graphStatus string, info func(at time.Time) (*OtherInfo, time.Time)) step {
		return step{
			label: label,
			body: func(at time.Time) []byte {
				other, disabled := info(at)
				return TemplateStatusBody(at, t.WABAID, TemplateStatus{
					Event: event, ID: t.ID, Name: t.Name, Language: t.Language, Reason: "NONE",
					Category: t.Category, OtherInfo: other, DisableDate: disabled,
				})
			},
			apply: func(g *Graph) error { return g.SetTemplateStatus(t.ID, graphStatus, "") },
		}
	}
	unpause := status("template unpaused", "APPROVED", "APPROVED", unpauseInfo)
	// Unpausing resets the quality assessment, so the next drop starts from
	// UNKNOWN (quality pending).
	unpause.apply = func(g *Graph) error {
		if err := g.SetTemplateStatus(t.ID, "APPROVED", ""); err != nil {
			return err
		}
		return g.SetTemplateQuality(t.ID, "UNKNOWN")
	}
	return []step{
		quality("GREEN", "YELLOW"),
		quality("YELLOW", "RED"),
		status("template paused (first)", "PAUSED", "PAUSED", pauseInfo("FIRST_PAUSE", 3*time.Hour)),
		unpause,
		quality("UNKNOWN", "RED"),
		status("template paused (second)", "PAUSED", "PAUSED", pauseInfo("SECOND_PAUSE", 6*time.Hour)),
		unpause,
		quality("UNKNOWN", "RED"),
		status("template disabled", "DISABLED", "DISABLED", disableInfo),
	}
}

func pauseInfo(title string, d time.Duration) func(at time.Time) (*OtherInfo, time.Time) {
	return func(at time.Time) (*OtherInfo, time.Time) {
		return &OtherInfo{
			Title: title,
			Description: fmt.Sprintf("Your WhatsApp message template has been paused for %d hours until %s because of low quality.",
				int(d.Hours()), at.Add(d).UTC().Format("Jan 2, 2006 at 3:04 PM UTC")),
		}, time.Time{}
	}
}

func unpauseInfo(time.Time) (*OtherInfo, time.Time) {
	return &OtherInfo{
		Title:       "UNPAUSE",
		Description: "Your WhatsApp message template has been unpaused and can be sent again.",
	}, time.Time{}
}

func disableInfo(at time.Time) (*OtherInfo, time.Time) {
	return &OtherInfo{
		Title:       "DISABLED",
		Description: "Your WhatsApp message template has been disabled because it was paused repeatedly for low quality.",
	}, at
}
