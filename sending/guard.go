package sending

import (
	"strconv"
	"strings"

	"github.com/wabsp/wabsp/optins"
)

// Reason is a machine-readable reason a send is refused. The opt-in reasons
// of optins.Reason are passed through under their own names.
type Reason string

// The reasons the send guards add to optins' eligibility reasons.
const (
	// ReasonTemplateUnknown: no template of that name and language is known
	// for the number's WABA.
	ReasonTemplateUnknown Reason = "template_unknown"
	// ReasonTemplateNotApproved: the template is pending, rejected or in
	// another state Meta does not send.
	ReasonTemplateNotApproved Reason = "template_not_approved"
	// ReasonTemplatePaused: Meta paused the template for low quality.
	ReasonTemplatePaused Reason = "template_paused"
	// ReasonTemplateDisabled: Meta disabled the template after repeated
	// pauses.
	ReasonTemplateDisabled Reason = "template_disabled"
	// ReasonTemplateParams: the message's body parameters do not match the
	// template's variables (Meta would fail it with 132000).
	ReasonTemplateParams Reason = "template_parameters_mismatch"
	// ReasonNumberNotConnected: the number's status is not CONNECTED (or
	// FLAGGED, which still sends); Meta would refuse or the sends would hurt
	// a restricted number further.
	ReasonNumberNotConnected Reason = "number_not_connected"
	// ReasonMessagingLimit: business-initiated conversations to this many
	// unique users in the rolling 24 hours already reach the portfolio's
	// messaging limit.
	ReasonMessagingLimit Reason = "messaging_limit_reached"
)

// NumberState is the quality state of the sending number.
type NumberState struct {
	Status string
	// MessagingLimit is the portfolio's limit as Meta names it
	// (TIER_250, TIER_1K, ..., TIER_UNLIMITED); "" when unknown.
	MessagingLimit string
	// Throughput is the number's level (STANDARD, HIGH); "" when unknown.
	Throughput string
}

// TemplateState is what wabsp knows of a template; Known is false when no
// template of the name and language was seen.
type TemplateState struct {
	Known    bool
	Status   string
	Category string
	// BodyVariables is the count of {{n}} variables of the body, -1 when
	// the components are not known (the check is then left to Meta).
	BodyVariables int
}

// Facts are what the guards read before one send.
type Facts struct {
	Eligibility optins.Eligibility
	Number      NumberState
	Template    TemplateState
	// RecentRecipients is the count of unique users the portfolio sent
	// business-initiated messages to in the last 24 hours, this one not
	// included; NewRecipient says this user is not among them.
	RecentRecipients int
	NewRecipient     bool
}

// Decide answers whether msg may be sent, with every reason that applies;
// an empty list means it may.
func Decide(msg Message, f Facts) []Reason {
	out := []Reason{}
	for _, r := range f.Eligibility.Reasons {
		out = append(out, Reason(r))
	}
	out = append(out, numberReasons(f.Number)...)
	if msg.Type == TypeTemplate {
		out = append(out, templateReasons(msg.Template, f.Template)...)
		if f.NewRecipient && overLimit(f.Number.MessagingLimit, f.RecentRecipients) {
			out = append(out, ReasonMessagingLimit)
		}
	}
	return out
}

func numberReasons(n NumberState) []Reason {
	switch strings.ToUpper(n.Status) {
	case "CONNECTED", "FLAGGED":
		return nil
	}
	return []Reason{ReasonNumberNotConnected}
}

func templateReasons(msg *Template, t TemplateState) []Reason {
	if !t.Known {
		return []Reason{ReasonTemplateUnknown}
	}
	var out []Reason
	switch strings.ToUpper(t.Status) {
	case "APPROVED":
	case "PAUSED":
		out = append(out, ReasonTemplatePaused)
	case "DISABLED":
		out = append(out, ReasonTemplateDisabled)
	default:
		out = append(out, ReasonTemplateNotApproved)
	}
	if t.BodyVariables >= 0 && msg != nil && msg.ParamCount("body") != t.BodyVariables {
		out = append(out, ReasonTemplateParams)
	}
	return out
}

// overLimit reports whether one more unique recipient would pass the
// portfolio's messaging limit. An unknown or unlimited limit never refuses:
// Meta enforces it too, and wabsp must not invent a tighter one.
func overLimit(limit string, recent int) bool {
	n, ok := LimitOf(limit)
	return ok && recent >= n
}

// LimitOf converts Meta's messaging limit tier to a count of unique users
// per rolling 24 hours; ok is false for unlimited or unknown tiers.
func LimitOf(tier string) (n int, ok bool) {
	s := strings.TrimPrefix(strings.ToUpper(tier), "TIER_")
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		s, mult = strings.TrimSuffix(s, "K"), 1000
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1_000_000
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v * mult, true
}

// DefaultThroughput is Meta's default messages per second per number.
const DefaultThroughput = 80

// HighThroughput is the rate of a number Meta raised to the HIGH level.
const HighThroughput = 1000

// ThroughputOf is the messages per second a number may send at its level.
func ThroughputOf(level string) int {
	if strings.EqualFold(level, "HIGH") {
		return HighThroughput
	}
	return DefaultThroughput
}
