package metasim

import (
	"encoding/json"
	"strings"
	"time"
)

// TemplateStatus is the value of a message_template_status_update.
type TemplateStatus struct {
	// Event is APPROVED, PAUSED, DISABLED, REJECTED, ... (an open set).
	Event    string
	ID       int64
	Name     string
	Language string
	// Reason defaults to NONE; for PENDING_DELETION an empty Reason is sent
	// as null, as Meta does for templates scheduled for deletion.
	Reason string
	// Category is MARKETING, UTILITY or AUTHENTICATION; older payloads had
	// none, so empty omits the key.
	Category      string
	RejectionInfo *RejectionInfo
	// OtherInfo explains pauses and unpauses (FIRST_PAUSE, SECOND_PAUSE,
	// UNPAUSE, ...).
	OtherInfo *OtherInfo
	// DisableDate is set when the template is disabled; zero omits
	// disable_info.
	DisableDate time.Time
}

// RejectionInfo explains a rejected template.
type RejectionInfo struct {
	Reason         string
	Recommendation string
}

// OtherInfo is the title and description Meta attaches to pause events.
type OtherInfo struct {
	Title       string
	Description string
}

type wireTemplateStatusValue struct {
	Event         string             `json:"event"`
	ID            json.RawMessage    `json:"message_template_id"`
	Name          string             `json:"message_template_name"`
	Language      string             `json:"message_template_language"`
	Reason        *string            `json:"reason"`
	Category      string             `json:"message_template_category,omitempty"`
	RejectionInfo *wireRejectionInfo `json:"rejection_info,omitempty"`
	DisableInfo   *wireDisableInfo   `json:"disable_info,omitempty"`
	OtherInfo     *wireOtherInfo     `json:"other_info,omitempty"`
}

type wireRejectionInfo struct {
	Reason         string `json:"reason"`
	Recommendation string `json:"recommendation"`
}

type wireDisableInfo struct {
	DisableDate int64 `json:"disable_date"`
}

type wireOtherInfo struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// TemplateStatusChange is a message_template_status_update change.
func TemplateStatusChange(s TemplateStatus) Change {
	v := wireTemplateStatusValue{
		Event: s.Event, ID: rawNumber(s.ID), Name: s.Name, Language: s.Language,
		Reason: templateReason(s), Category: s.Category,
	}
	if r := s.RejectionInfo; r != nil {
		v.RejectionInfo = &wireRejectionInfo{Reason: r.Reason, Recommendation: r.Recommendation}
	}
	if !s.DisableDate.IsZero() {
		v.DisableInfo = &wireDisableInfo{DisableDate: s.DisableDate.Unix()}
	}
	if o := s.OtherInfo; o != nil {
		v.OtherInfo = &wireOtherInfo{Title: o.Title, Description: o.Description}
	}
	return change("message_template_status_update", v)
}

// TemplateStatusBody is a webhook body with one message_template_status_update.
func TemplateStatusBody(at time.Time, wabaID string, s TemplateStatus) []byte {
	return wabaBody(at, wabaID, TemplateStatusChange(s))
}

func templateReason(s TemplateStatus) *string {
	if s.Reason != "" {
		return &s.Reason
	}
	if strings.EqualFold(s.Event, "PENDING_DELETION") {
		return nil
	}
	none := "NONE"
	return &none
}

// TemplateQuality is the value of a message_template_quality_update.
type TemplateQuality struct {
	ID       int64
	Name     string
	Language string
	// Previous and New are GREEN, YELLOW, RED or UNKNOWN.
	Previous string
	New      string
}

type wireTemplateQualityValue struct {
	Previous string          `json:"previous_quality_score"`
	New      string          `json:"new_quality_score"`
	ID       json.RawMessage `json:"message_template_id"`
	Name     string          `json:"message_template_name"`
	Language string          `json:"message_template_language"`
}

// TemplateQualityChange is a message_template_quality_update change.
func TemplateQualityChange(q TemplateQuality) Change {
	return change("message_template_quality_update", wireTemplateQualityValue{
		Previous: q.Previous, New: q.New, ID: rawNumber(q.ID), Name: q.Name, Language: q.Language,
	})
}

// TemplateQualityBody is a webhook body with one message_template_quality_update.
func TemplateQualityBody(at time.Time, wabaID string, q TemplateQuality) []byte {
	return wabaBody(at, wabaID, TemplateQualityChange(q))
}

// TemplateCategory is the value of a template_category_update. Meta sends two
// variants: the 24-hour notice (Correct and EffectiveAt set; New is then the
// template's current category) and the completed change (Previous and New).
type TemplateCategory struct {
	ID          int64
	Name        string
	Language    string
	Previous    string
	New         string
	Correct     string
	EffectiveAt time.Time
}

type wireTemplateCategoryValue struct {
	ID                      json.RawMessage `json:"message_template_id"`
	Name                    string          `json:"message_template_name"`
	Language                string          `json:"message_template_language"`
	PreviousCategory        string          `json:"previous_category,omitempty"`
	NewCategory             string          `json:"new_category"`
	CorrectCategory         string          `json:"correct_category,omitempty"`
	CategoryUpdateTimestamp int64           `json:"category_update_timestamp,omitempty"`
}

// TemplateCategoryChange is a template_category_update change.
func TemplateCategoryChange(c TemplateCategory) Change {
	v := wireTemplateCategoryValue{ID: rawNumber(c.ID), Name: c.Name, Language: c.Language, NewCategory: c.New}
	if c.Correct != "" {
		v.CorrectCategory = c.Correct
		v.CategoryUpdateTimestamp = c.EffectiveAt.Unix()
	} else {
		v.PreviousCategory = c.Previous
	}
	return change("template_category_update", v)
}

// TemplateCategoryBody is a webhook body with one template_category_update.
func TemplateCategoryBody(at time.Time, wabaID string, c TemplateCategory) []byte {
	return wabaBody(at, wabaID, TemplateCategoryChange(c))
}
