package metasim

import (
	"strconv"
	"strings"
)

// fieldSet describes what a Graph node type can return for fields=.
type fieldSet[T any] struct {
	nodeType string
	defaults []string
	fields   map[string]func(T) any
}

// render returns the requested fields of v (the defaults when fields= is
// empty). Graph always adds the id, and rejects fields the node lacks.
func (fs fieldSet[T]) render(v T, raw string) (map[string]any, *graphError) {
	names := parseFields(raw)
	if len(names) == 0 {
		names = fs.defaults
	}
	out := make(map[string]any, len(names)+1)
	for _, name := range names {
		get, ok := fs.fields[name]
		if !ok {
			return nil, errField(name, fs.nodeType)
		}
		out[name] = get(v)
	}
	out["id"] = fs.fields["id"](v)
	return out, nil
}

// parseFields splits a fields= value at top-level commas and drops nested
// selections ("throughput{level}" selects throughput).
func parseFields(raw string) []string {
	var (
		names []string
		depth int
		cur   strings.Builder
	)
	flush := func() {
		if name := strings.TrimSpace(cur.String()); name != "" {
			names = append(names, name)
		}
		cur.Reset()
	}
	for _, r := range raw {
		switch {
		case r == '{':
			depth++
		case r == '}':
			depth--
		case r == ',' && depth == 0:
			flush()
		case depth == 0:
			cur.WriteRune(r)
		}
	}
	flush()
	return names
}

var phoneFields = fieldSet[*PhoneNumber]{
	nodeType: "WhatsAppBusinessPhoneNumber",
	defaults: []string{"verified_name", "code_verification_status", "display_phone_number", "quality_rating", "id"},
	fields: map[string]func(*PhoneNumber) any{
		"id":                       func(p *PhoneNumber) any { return p.ID },
		"display_phone_number":     func(p *PhoneNumber) any { return p.DisplayPhoneNumber },
		"verified_name":            func(p *PhoneNumber) any { return p.VerifiedName },
		"quality_rating":           func(p *PhoneNumber) any { return p.QualityRating },
		"status":                   func(p *PhoneNumber) any { return p.Status },
		"name_status":              func(p *PhoneNumber) any { return p.NameStatus },
		"code_verification_status": func(p *PhoneNumber) any { return p.CodeVerificationStatus },
		"throughput":               func(p *PhoneNumber) any { return map[string]string{"level": p.ThroughputLevel} },
		"messaging_limit_tier":     func(p *PhoneNumber) any { return p.MessagingLimitTier },
		"whatsapp_business_manager_messaging_limit": func(p *PhoneNumber) any { return p.MessagingLimit },
		"platform_type": func(p *PhoneNumber) any { return p.PlatformType },
		"account_mode":  func(p *PhoneNumber) any { return p.AccountMode },
	},
}

var templateFields = fieldSet[*Template]{
	nodeType: "WhatsAppBusinessHSM",
	defaults: []string{"name", "components", "language", "status", "category", "id"},
	fields: map[string]func(*Template) any{
		"id":       func(t *Template) any { return strconv.FormatInt(t.ID, 10) },
		"name":     func(t *Template) any { return t.Name },
		"language": func(t *Template) any { return t.Language },
		"status":   func(t *Template) any { return t.Status },
		"category": func(t *Template) any { return t.Category },
		// An object, not a string: a trap for clients, reproduced on purpose.
		"quality_score": func(t *Template) any {
			return map[string]any{"score": t.QualityScore, "date": t.QualityDate.Unix()}
		},
		"rejected_reason": func(t *Template) any { return orDefault(t.RejectedReason, "NONE") },
		"components":      func(t *Template) any { return t.Components },
	},
}

var wabaFields = fieldSet[*WABA]{
	nodeType: "WhatsAppBusinessAccount",
	defaults: []string{"id", "name"},
	fields: map[string]func(*WABA) any{
		"id":          func(w *WABA) any { return w.ID },
		"name":        func(w *WABA) any { return w.Name },
		"currency":    func(w *WABA) any { return w.Currency },
		"timezone_id": func(w *WABA) any { return w.TimezoneID },
	},
}

func parseTemplateID(s string) (int64, error) {
	return strconv.ParseInt(s, 10, 64)
}
