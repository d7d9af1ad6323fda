package webhooks

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
)

// DecodedMessages is a messages value as the handlers read it. Statuses
// dominate Meta's traffic and every domain reads them, so Apply decodes each
// messages value once and the handlers share the result (Change.Messages)
// instead of each decoding the same bytes again.
type DecodedMessages struct {
	Metadata Metadata
	Contacts []Contact
	Messages []Message
	Statuses []StatusEvent
	// Errors are the value-level error objects, raw.
	Errors []json.RawMessage
	// Bad are elements of an unexpected shape. They are left out of the
	// lists above so that one odd element does not spoil the thousand beside
	// it; the default handler files them.
	Bad []json.RawMessage
	// Err is set when the value as a whole is not a messages value.
	Err error
}

// StatusEvent is one statuses element with what the handlers read of it.
// Pricing and Errors stay raw for storage and are also decoded once here.
type StatusEvent struct {
	ID                    string          `json:"id"`
	Status                string          `json:"status"`
	Timestamp             FlexInt         `json:"timestamp"`
	RecipientID           FlexString      `json:"recipient_id"`
	RecipientUserID       string          `json:"recipient_user_id"`
	BizOpaqueCallbackData string          `json:"biz_opaque_callback_data"`
	Conversation          *Conversation   `json:"conversation"`
	Pricing               json.RawMessage `json:"pricing"`
	Errors                json.RawMessage `json:"errors"`

	// Priced is the decoded pricing object; nil when there is none or
	// PricingOdd says it has a shape Pricing does not fit.
	Priced     *Pricing `json:"-"`
	PricingOdd bool     `json:"-"`
	// PricingPlain says Priced holds every key of the pricing object, so the
	// raw bytes add nothing to the columns decoded from it.
	PricingPlain bool `json:"-"`
	// ErrorCode and ErrorTitle are the first error's, when its code is a
	// positive 32-bit number.
	ErrorCode  int32  `json:"-"`
	ErrorTitle string `json:"-"`
}

// Messages returns the change's messages value decoded: the copy Apply
// decoded for every handler to share, or, outside Apply, a fresh decode.
// Callers must not modify it.
func (c Change) Messages() *DecodedMessages {
	if c.decoded != nil {
		return c.decoded
	}
	return DecodeMessages(c.Value)
}

// withDecoded returns c carrying its decoded value when it is a messages change.
func (c Change) withDecoded() Change {
	if c.Field == FieldMessages && c.decoded == nil {
		c.decoded = DecodeMessages(c.Value)
	}
	return c
}

// messagesIn decodes a whole value in one pass, the common case.
type messagesIn struct {
	Metadata Metadata          `json:"metadata"`
	Contacts []Contact         `json:"contacts"`
	Messages []Message         `json:"messages"`
	Statuses []StatusEvent     `json:"statuses"`
	Errors   []json.RawMessage `json:"errors"`
}

// messagesParts splits a value into raw elements, the fallback when one
// element has an unexpected shape.
type messagesParts struct {
	Metadata json.RawMessage   `json:"metadata"`
	Contacts []json.RawMessage `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
	Errors   []json.RawMessage `json:"errors"`
}

// DecodeMessages decodes a messages value, element by element when the
// whole does not decode in one pass.
func DecodeMessages(value []byte) *DecodedMessages {
	var v messagesIn
	if json.Unmarshal(value, &v) == nil {
		d := &DecodedMessages{Metadata: v.Metadata, Contacts: v.Contacts, Messages: v.Messages, Statuses: v.Statuses, Errors: v.Errors}
		d.decodeStatusParts()
		return d
	}
	var parts messagesParts
	if err := json.Unmarshal(value, &parts); err != nil {
		return &DecodedMessages{Err: err}
	}
	d := &DecodedMessages{Errors: parts.Errors}
	if parts.Metadata != nil {
		_ = json.Unmarshal(parts.Metadata, &d.Metadata) // routing already had its say
	}
	for _, raw := range parts.Contacts {
		var ct Contact
		if json.Unmarshal(raw, &ct) == nil { // contacts only enrich inbound rows
			d.Contacts = append(d.Contacts, ct)
		}
	}
	for _, raw := range parts.Statuses {
		var st StatusEvent
		if json.Unmarshal(raw, &st) != nil {
			d.Bad = append(d.Bad, raw)
			continue
		}
		d.Statuses = append(d.Statuses, st)
	}
	for _, raw := range parts.Messages {
		var m Message
		if json.Unmarshal(raw, &m) != nil {
			d.Bad = append(d.Bad, raw)
			continue
		}
		d.Messages = append(d.Messages, m)
	}
	d.decodeStatusParts()
	return d
}

// decodeStatusParts decodes each status's pricing and first error.
func (d *DecodedMessages) decodeStatusParts() {
	for i := range d.Statuses {
		st := &d.Statuses[i]
		if present(st.Pricing) {
			st.decodePricing()
		}
		if present(st.Errors) {
			var errs []struct {
				Code  FlexInt `json:"code"`
				Title string  `json:"title"`
			}
			_ = json.Unmarshal(st.Errors, &errs) // the raw errors are kept either way
			if len(errs) > 0 && errs[0].Code > 0 && errs[0].Code <= math.MaxInt32 {
				st.ErrorCode, st.ErrorTitle = int32(errs[0].Code), errs[0].Title
			}
		}
	}
}

// plainPricing decodes pricing without keeping another copy of its bytes.
type plainPricing Pricing

// decodePricing decodes the pricing object. When every key is one Pricing
// knows and its text survives the columns unchanged, the columns hold all
// of it and PricingPlain lets the raw copy go unstored.
func (st *StatusEvent) decodePricing() {
	var p Pricing
	if json.Unmarshal(st.Pricing, (*plainPricing)(&p)) != nil {
		st.PricingOdd = true
		return
	}
	st.Priced, st.PricingPlain = &p, onlyPricingKeys(st.Pricing) && p.textIsClean()
}

// pricingKeys are the keys of a pricing object Pricing decodes, exactly as
// Meta spells them.
var pricingKeys = []string{`"billable"`, `"pricing_model"`, `"type"`, `"category"`}

// onlyPricingKeys reports whether raw, a valid JSON object, is flat and has
// no keys but pricingKeys. It reads the bytes without decoding them again:
// a key with an escape in it, a nested value or any other key says no.
func onlyPricingKeys(raw []byte) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != '}'; i = skipSpace(raw, i+1) {
		end := bytes.IndexByte(raw[i+1:], '"') + i + 2
		if raw[i] != '"' || end <= i+1 || !slices.Contains(pricingKeys, string(raw[i:end])) {
			return false
		}
		if i = skipSpace(raw, end); i >= len(raw) || raw[i] != ':' {
			return false
		}
		if i = skipScalar(raw, skipSpace(raw, i+1)); i < 0 {
			return false
		}
		if i = skipSpace(raw, i); i < len(raw) && raw[i] == '}' {
			return true
		}
		if i >= len(raw) || raw[i] != ',' {
			return false
		}
	}
	return i < len(raw)
}

// skipScalar returns the index after the string, number, true, false or
// null at raw[i], or -1 for an object or array.
func skipScalar(raw []byte, i int) int {
	if i >= len(raw) || raw[i] == '{' || raw[i] == '[' {
		return -1
	}
	if raw[i] != '"' {
		for i < len(raw) && raw[i] != ',' && raw[i] != '}' && !isSpace(raw[i]) {
			i++
		}
		return i
	}
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// textIsClean reports whether the text columns store p's strings unchanged.
func (p *Pricing) textIsClean() bool {
	return clean(p.PricingModel) == p.PricingModel && clean(p.Type) == p.Type && clean(p.Category) == p.Category
}

// present reports whether a raw JSON value is there and not null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}
