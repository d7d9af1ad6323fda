package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// PhoneNumber is a phone number as GET /{waba}/phone_numbers returns it.
type PhoneNumber struct {
	ID                     string `json:"id"`
	DisplayPhoneNumber     string `json:"display_phone_number"`
	VerifiedName           string `json:"verified_name"`
	QualityRating          string `json:"quality_rating"`
	Status                 string `json:"status"`
	NameStatus             string `json:"name_status"`
	CodeVerificationStatus string `json:"code_verification_status"`
	// MessagingLimitTier is the deprecated per-number tier.
	MessagingLimitTier string `json:"messaging_limit_tier"`
	// MessagingLimit is the business portfolio's limit.
	MessagingLimit string `json:"whatsapp_business_manager_messaging_limit"`
	Throughput     struct {
		Level string `json:"level"`
	} `json:"throughput"`
}

// phoneFields are the fields quality polling reads.
const phoneFields = "id,display_phone_number,verified_name,quality_rating,status,name_status,code_verification_status," +
	"messaging_limit_tier,whatsapp_business_manager_messaging_limit,throughput"

// Template is a message template as GET /{waba}/message_templates returns
// it.
type Template struct {
	ID             FlexID       `json:"id"`
	Name           string       `json:"name"`
	Language       string       `json:"language"`
	Status         string       `json:"status"`
	Category       string       `json:"category"`
	QualityScore   QualityScore `json:"quality_score"`
	RejectedReason string       `json:"rejected_reason"`
}

const templateFields = "id,name,language,status,category,quality_score,rejected_reason"

// QualityScore is a template's quality_score: an object {score, date} on
// the Graph node, though integrators also see a bare string; both decode.
type QualityScore struct {
	Score string
	// Date is unix seconds, 0 when absent.
	Date int64
}

// UnmarshalJSON accepts {"score":..,"date":..}, a string, or null.
func (q *QualityScore) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, &q.Score)
	}
	var v struct {
		Score string          `json:"score"`
		Date  json.RawMessage `json:"date"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	q.Score = v.Score
	if len(v.Date) > 0 && string(v.Date) != "null" {
		var id FlexID
		if err := json.Unmarshal(v.Date, &id); err != nil {
			return err
		}
		n, err := strconv.ParseInt(string(id), 10, 64)
		if err != nil {
			return fmt.Errorf("graph: quality_score date %q: %w", id, err)
		}
		q.Date = n
	}
	return nil
}

// FlexID is an id Graph sends as a string or a number; the digits are kept
// as text so a 16-digit id never passes through float64.
type FlexID string

// UnmarshalJSON accepts a JSON string or number.
func (f *FlexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = FlexID(n.String())
	return nil
}

// pageSize is the largest page Graph serves for these edges.
const pageSize = 100

// maxPages bounds a listing: Graph may return empty pages with a next link,
// and a listing that never ends must not spend the whole budget.
const maxPages = 50

// PhoneNumbers lists a WABA's phone numbers, following the cursors to the
// last page.
func (c *Client) PhoneNumbers(ctx context.Context, token, wabaID string) ([]PhoneNumber, error) {
	return list[PhoneNumber](ctx, c, token, wabaID, "phone_numbers", phoneFields)
}

// Templates lists a WABA's message templates, following the cursors to the
// last page.
func (c *Client) Templates(ctx context.Context, token, wabaID string) ([]Template, error) {
	return list[Template](ctx, c, token, wabaID, "message_templates", templateFields)
}

type page[T any] struct {
	Data   []T `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// list pages through an edge. It follows the after cursor rather than the
// next URL, so the token and host never come from a response; a page with
// no next link is the last, however many items it has.
func list[T any](ctx context.Context, c *Client, token, wabaID, edge, fields string) ([]T, error) {
	var out []T
	after := ""
	for range maxPages {
		q := url.Values{"fields": {fields}, "limit": {strconv.Itoa(pageSize)}}
		if after != "" {
			q.Set("after", after)
		}
		var p page[T]
		if err := c.do(ctx, request{method: http.MethodGet, key: wabaID, path: []string{wabaID, edge}, query: q, token: token}, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.Paging.Next == "" || p.Paging.Cursors.After == "" {
			return out, nil
		}
		after = p.Paging.Cursors.After
	}
	return nil, fmt.Errorf("graph: %s of %s did not end after %d pages", edge, wabaID, maxPages)
}

// Subscribe subscribes wabsp's app to the WABA's webhooks (POST
// /{waba}/subscribed_apps). Subscribing again is harmless, and removes an
// override callback.
func (c *Client) Subscribe(ctx context.Context, token, wabaID string) error {
	return c.SubscribeApp(ctx, token, wabaID, "", "")
}
