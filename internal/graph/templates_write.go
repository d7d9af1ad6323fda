package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// TemplateSubmission is Meta's answer to a template creation: the new
// template's id, its first status (usually PENDING) and the category Meta
// assigned, which may differ from the one submitted.
type TemplateSubmission struct {
	ID       FlexID `json:"id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

// CreateTemplate submits a template (POST /{waba}/message_templates). draft
// is the JSON body in Meta's shape: name, language, category, components.
func (c *Client) CreateTemplate(ctx context.Context, token, wabaID string, draft json.RawMessage) (TemplateSubmission, error) {
	var out TemplateSubmission
	err := c.do(ctx, request{method: http.MethodPost, key: wabaID, path: []string{wabaID, "message_templates"},
		token: token, body: draft}, &out)
	if err != nil {
		return TemplateSubmission{}, err
	}
	if out.ID == "" {
		return TemplateSubmission{}, fmt.Errorf("graph: template creation on %s answered without an id", wabaID)
	}
	return out, nil
}

// EditTemplate changes a template's components and, for templates not yet
// approved, its category (POST /{template_id}). The call is charged to the
// WABA's budget.
func (c *Client) EditTemplate(ctx context.Context, token, wabaID, templateID string, edit json.RawMessage) error {
	var out struct {
		Success bool `json:"success"`
	}
	if err := c.do(ctx, request{method: http.MethodPost, key: wabaID, path: []string{templateID}, token: token, body: edit}, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("graph: edit of template %s was not confirmed", templateID)
	}
	return nil
}

// DeleteTemplate deletes a template (DELETE /{waba}/message_templates).
// With templateID it deletes that one language (hsm_id); without, every
// language of the name.
func (c *Client) DeleteTemplate(ctx context.Context, token, wabaID, name, templateID string) error {
	q := url.Values{"name": {name}}
	if templateID != "" {
		q.Set("hsm_id", templateID)
	}
	var out struct {
		Success bool `json:"success"`
	}
	if err := c.do(ctx, request{method: http.MethodDelete, key: wabaID, path: []string{wabaID, "message_templates"}, query: q, token: token}, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("graph: deletion of template %s was not confirmed", name)
	}
	return nil
}
