package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Sent is Meta's answer to an accepted send.
type Sent struct {
	// WAMID is the message id statuses, billing and insights join on.
	WAMID string
	// WaID is the recipient's WhatsApp id as Meta resolved it.
	WaID string
	// Status is messages[0].message_status ("accepted", or "held_for_quality_assessment").
	Status string
}

type sendAnswer struct {
	Contacts []struct {
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID     string `json:"id"`
		Status string `json:"message_status"`
	} `json:"messages"`
}

// SendMessage posts body, a Cloud API message object with
// messaging_product, to and type, to /{phone_number_id}/messages. A refusal
// is an *Error carrying Meta's code, which the caller classifies; sends are
// paced by the number's throughput, not the WABA's call budget, so the
// budget is neither consulted nor charged.
func (c *Client) SendMessage(ctx context.Context, token, phoneNumberID string, body []byte) (Sent, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + c.version + "/" + strings.Join(escapeAll([]string{phoneNumberID, "messages"}), "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Sent{}, fmt.Errorf("graph: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Sent{}, fmt.Errorf("graph: send from %s: %w", phoneNumberID, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Sent{}, fmt.Errorf("graph: read send answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Sent{}, c.fail(request{method: http.MethodPost, key: phoneNumberID, path: []string{phoneNumberID, "messages"}},
			resp.StatusCode, raw, 0)
	}
	var a sendAnswer
	if err := json.Unmarshal(raw, &a); err != nil || len(a.Messages) == 0 || a.Messages[0].ID == "" {
		return Sent{}, fmt.Errorf("graph: send from %s: answer without a message id", phoneNumberID)
	}
	s := Sent{WAMID: a.Messages[0].ID, Status: a.Messages[0].Status}
	if len(a.Contacts) > 0 {
		s.WaID = a.Contacts[0].WaID
	}
	return s, nil
}
