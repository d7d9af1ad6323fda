package outbound

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wabsp/wabsp/internal/events"
)

// Event types this package adds to the outbox catalogue.
const (
	// TypeEndpointDisabled tells a tenant that one of its subscriptions
	// was disabled; its other subscriptions receive it.
	TypeEndpointDisabled = "webhook.endpoint.disabled"
	// TypeTest is the type of test messages. It is never fanned out from the
	// outbox: a test message goes to the one subscription it was sent for.
	TypeTest = "webhook.test"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

// EventType is one entry of the published event catalogue.
type EventType struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	// DataSchema is the JSON Schema (2020-12) of the message's data member.
	DataSchema json.RawMessage `json:"data_schema"`
}

// publishedTypes lists the catalogue in the order it is documented.
var publishedTypes = []string{
	events.QualityPhoneNumberChanged, events.QualityAlertOpened, events.QualityAlertResolved,
	events.TemplateStatusChanged, events.TemplateQualityChanged, events.TemplateCategoryChanged,
	events.AccountUpdated, events.OptinChanged, events.ContactIdentityChanged,
	events.BillingInvoiceFinalized, events.MetaForwarded, TypeEndpointDisabled, TypeTest,
}

var catalogue = mustLoadCatalogue()

func mustLoadCatalogue() []EventType {
	out := make([]EventType, 0, len(publishedTypes))
	for _, t := range publishedTypes {
		raw, err := schemaFiles.ReadFile("schemas/" + t + ".json")
		if err != nil {
			panic(fmt.Sprintf("outbound: no schema for %s: %v", t, err))
		}
		var s struct {
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &s); err != nil || s.Description == "" {
			panic(fmt.Sprintf("outbound: schema of %s has no description (%v)", t, err))
		}
		out = append(out, EventType{Type: t, Description: s.Description, DataSchema: json.RawMessage(raw)})
	}
	return out
}

// Catalogue returns every event type a subscription can receive, each with
// the JSON Schema of its data.
func Catalogue() []EventType { return slices.Clone(catalogue) }

// Known reports whether t is a published event type.
func Known(t string) bool { return slices.Contains(publishedTypes, t) }

// matches reports whether a subscription with these patterns wants events of
// type t. A pattern is an event type, "*" for everything, or a dotted prefix
// ending in ".*" ("quality.*" matches quality.alert.opened). Test messages
// are never matched: they are addressed to one subscription.
func matches(patterns []string, t string) bool {
	if t == TypeTest {
		return false
	}
	for _, p := range patterns {
		switch {
		case p == "*" || p == t:
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(t, p[:len(p)-1]):
			return true
		}
	}
	return false
}

// checkPattern validates one event-type pattern against the catalogue, so a
// typo is refused rather than silently matching nothing.
func checkPattern(p string) error {
	switch {
	case p == "*":
		return nil
	case p == TypeTest:
		return fmt.Errorf("%s is sent on request only and cannot be subscribed to", TypeTest)
	case strings.HasSuffix(p, ".*"):
		prefix := p[:len(p)-1]
		for _, t := range publishedTypes {
			if t != TypeTest && strings.HasPrefix(t, prefix) {
				return nil
			}
		}
		return fmt.Errorf("%q matches no event type", p)
	case Known(p):
		return nil
	}
	return fmt.Errorf("%q is not an event type", p)
}
