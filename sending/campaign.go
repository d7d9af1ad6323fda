package sending

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

// MaxCampaignRecipients bounds one campaign request: larger lists are split
// into several campaigns under the same label.
const MaxCampaignRecipients = 10_000

// CampaignState is where a campaign's expansion into sends is.
type CampaignState string

// The stored states of a campaign.
const (
	// CampaignExpanding: recipients are still being turned into sends.
	CampaignExpanding CampaignState = "expanding"
	// CampaignExpanded: every recipient has its send; they go out paced.
	CampaignExpanded CampaignState = "expanded"
	// CampaignCancelled: no further recipient is handed to Meta.
	CampaignCancelled CampaignState = "cancelled"
)

// StateCancelled is a queued send of a cancelled campaign: it never went to
// Meta and never will.
const StateCancelled State = "cancelled"

// Outcome values of a recipient beyond the send states: not yet expanded,
// and what Meta's status webhooks reported after the send was accepted. A
// send being delivered counts as queued: to the tenant both are on their
// way.
const (
	OutcomePending   = "pending"
	OutcomeDelivered = "delivered"
	OutcomeRead      = "read"
)

// Outcomes are every value a recipient's outcome takes.
var Outcomes = []string{OutcomePending, string(StateQueued), string(StateSent),
	OutcomeDelivered, OutcomeRead, string(StateFailed), string(StateRefused), string(StateCancelled)}

// CampaignRecipient is one user of a campaign and the body parameters
// ({{1}}, {{2}}, ...) of the template for that user.
type CampaignRecipient struct {
	To         string   `json:"to"`
	Parameters []string `json:"parameters,omitempty"`
}

// NewCampaign is what a tenant asks for: one template from one number to
// every recipient. Label is what the sends, and so the insights and billing
// of their messages, are reported under; the campaign id when empty.
type NewCampaign struct {
	Name          string              `json:"name"`
	Label         string              `json:"label,omitempty"`
	PhoneNumberID string              `json:"phone_number_id"`
	Template      Template            `json:"template"`
	Recipients    []CampaignRecipient `json:"recipients"`
}

// Campaign is a stored campaign with its progress.
type Campaign struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	Name          string
	Label         string
	PhoneNumberID string
	Template      Template
	State         CampaignState
	Progress      Progress
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ExpandedAt    *time.Time
	CancelledAt   *time.Time
}

// Phase is the campaign's state as the tenant sees it: an expanded campaign
// is sending while any send is still on its way, then completed.
func (c Campaign) Phase() string {
	switch {
	case c.State != CampaignExpanded:
		return string(c.State)
	case c.Progress.Pending+c.Progress.Queued > 0:
		return "sending"
	}
	return "completed"
}

// Progress counts a campaign's recipients by outcome. Sent counts every
// send Meta accepted, Delivered and Read those its statuses reported since
// (Read within Delivered, a read message having been delivered).
type Progress struct {
	Total          int
	Pending        int
	Queued         int
	Sent           int
	Delivered      int
	Read           int
	Failed         int
	Refused        int
	Cancelled      int
	RefusedReasons map[Reason]int
}

// RecipientOutcome is how one recipient of a campaign fared.
type RecipientOutcome struct {
	Recipient  string
	Position   int
	Parameters []string
	Outcome    string
	SendID     *uuid.UUID
	Wamid      string
	Reasons    []Reason
	ErrorCode  int
}

// Validate checks the whole request before anything is stored, and names
// every bad recipient at once, so a list can be fixed in one pass rather
// than by trial. Duplicates are refused, not merged: the two entries may
// carry different parameters, and a user must not get the message twice.
func (c *NewCampaign) Validate() error {
	switch {
	case strings.TrimSpace(c.Name) == "":
		return apperr.InvalidField("name", "required")
	case len(c.Label) > 100:
		return apperr.InvalidField("label", "at most 100 characters")
	case !numberID.MatchString(c.PhoneNumberID):
		return apperr.InvalidField("phone_number_id", "must be Meta's phone number id")
	case len(c.Recipients) == 0:
		return apperr.InvalidField("recipients", "at least one recipient")
	case len(c.Recipients) > MaxCampaignRecipients:
		return apperr.InvalidField("recipients", fmt.Sprintf("at most %d recipients per campaign", MaxCampaignRecipients))
	}
	for _, p := range c.Template.Components {
		if p.Type == "body" && len(p.Parameters) > 0 {
			return apperr.InvalidField("template.components", "give body parameters per recipient")
		}
	}
	if err := templateMessage(c.Template, nil).Validate(); err != nil {
		return err
	}
	return c.validateRecipients()
}

func (c *NewCampaign) validateRecipients() error {
	bad := map[string]string{}
	seen := make(map[string]int, len(c.Recipients))
	for i := range c.Recipients {
		r := &c.Recipients[i]
		r.To = strings.TrimPrefix(r.To, "+")
		field := fmt.Sprintf("recipients[%d].to", i)
		if !waID.MatchString(r.To) {
			bad[field] = "must be an E.164 number"
			continue
		}
		if first, dup := seen[r.To]; dup {
			bad[field] = fmt.Sprintf("duplicate of recipients[%d]", first)
			continue
		}
		seen[r.To] = i
	}
	if len(bad) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Invalid, Fields: bad,
		Message: fmt.Sprintf("%d of %d recipients are not valid; nothing was stored", len(bad), len(c.Recipients))}
}

// templateMessage is a campaign's message for one recipient: the shared
// components, and a body component of the recipient's parameters.
func templateMessage(t Template, params []string) Message {
	out := Template{Name: t.Name, Language: t.Language, Components: append([]TemplatePart(nil), t.Components...)}
	if len(params) > 0 {
		body := TemplatePart{Type: "body"}
		for _, p := range params {
			raw, _ := json.Marshal(map[string]string{"type": "text", "text": p})
			body.Parameters = append(body.Parameters, raw)
		}
		out.Components = append(out.Components, body)
	}
	return Message{Type: TypeTemplate, Template: &out}
}
