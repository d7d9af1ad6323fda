package metasim

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnknown reports a mutator or lookup naming an object the Graph lacks.
var ErrUnknown = errors.New("metasim: unknown object")

// ErrExists reports adding an object whose identity is already taken.
var ErrExists = errors.New("metasim: object already exists")

// WABA is a WhatsApp Business Account as the Graph serves it.
type WABA struct {
	ID   string
	Name string
	// Currency is the billing currency (ISO 4217); default USD.
	Currency string
	// TimezoneID is Meta's numeric time zone id (timezone_id); default "1".
	TimezoneID string
	// AccessToken must accompany every call about this WABA or its objects.
	// WABAs of one BSP usually share a system-user token.
	AccessToken string
}

// PhoneNumber is a business phone number as the Graph serves it. Empty fields
// get the defaults of a healthy, connected Cloud API number.
type PhoneNumber struct {
	ID     string
	WABAID string
	// DisplayPhoneNumber is formatted like Graph returns it ("+1 631-555-5555");
	// digits alone are formatted on AddPhoneNumber.
	DisplayPhoneNumber     string
	VerifiedName           string
	QualityRating          string // GREEN, YELLOW, RED, UNKNOWN
	Status                 string // CONNECTED, FLAGGED, RESTRICTED, ...
	NameStatus             string
	CodeVerificationStatus string
	ThroughputLevel        string // throughput.level: STANDARD, HIGH, ...
	// MessagingLimitTier is the deprecated per-number tier.
	MessagingLimitTier string
	// MessagingLimit is whatsapp_business_manager_messaging_limit, the
	// portfolio limit that replaced the tier.
	MessagingLimit string
	PlatformType   string // CLOUD_API, ON_PREMISE, NOT_APPLICABLE
	AccountMode    string // LIVE, SANDBOX
}

// Number is the identity webhooks give this phone number.
func (p PhoneNumber) Number() Number {
	return Number{WABAID: p.WABAID, PhoneNumberID: p.ID, Display: Digits(p.DisplayPhoneNumber)}
}

// Template is a message template as the Graph serves it.
type Template struct {
	ID       int64
	WABAID   string
	Name     string
	Language string
	Status   string // APPROVED, PAUSED, DISABLED, REJECTED, PENDING, ...
	Category string // MARKETING, UTILITY, AUTHENTICATION
	// QualityScore and QualityDate make up the quality_score object.
	QualityScore   string
	QualityDate    time.Time
	RejectedReason string
	Components     []TemplateComponent
}

// Ref is the identity webhooks give this template.
func (t Template) Ref() TemplateRef {
	return TemplateRef{WABAID: t.WABAID, ID: t.ID, Name: t.Name, Language: t.Language, Category: t.Category}
}

// TemplateComponent is one component of a template (minimal: header, body,
// footer or buttons text).
type TemplateComponent struct {
	Type   string `json:"type"`
	Format string `json:"format,omitempty"`
	Text   string `json:"text,omitempty"`
}

// Subscription is an app subscribed to a WABA's webhooks.
type Subscription struct {
	AppID   string
	AppName string
	AppLink string
	// OverrideCallbackURI and VerifyToken are set when the WABA's webhooks are
	// redirected to an alternate callback.
	OverrideCallbackURI string
	VerifyToken         string
}

type wabaState struct {
	WABA
	phones    []*phoneState
	templates []*templateState
	sub       *Subscription
	// calls holds the times of this WABA's calls within the rate-limit window.
	calls []time.Time
}

type phoneState struct {
	PhoneNumber
	seq int64
}

type templateState struct {
	Template
	seq int64
}

// AddWABA registers a WABA.
func (g *Graph) AddWABA(w WABA) error {
	if w.ID == "" || w.AccessToken == "" {
		return fmt.Errorf("metasim: WABA needs an id and an access token")
	}
	w.Currency = orDefault(w.Currency, "USD")
	w.TimezoneID = orDefault(w.TimezoneID, "1")
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.wabas[w.ID]; ok {
		return fmt.Errorf("%w: WABA %s", ErrExists, w.ID)
	}
	g.wabas[w.ID] = &wabaState{WABA: w}
	g.wabaOrder = append(g.wabaOrder, w.ID)
	return nil
}

// AddPhoneNumber registers a phone number under p.WABAID and returns it with
// its id (generated when empty) and defaults filled in.
func (g *Graph) AddPhoneNumber(p PhoneNumber) (PhoneNumber, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ws, ok := g.wabas[p.WABAID]
	if !ok {
		return PhoneNumber{}, fmt.Errorf("%w: WABA %q", ErrUnknown, p.WABAID)
	}
	g.seq++
	if p.ID == "" {
		p.ID = fmt.Sprintf("1%014d", g.seq)
	}
	if _, ok := g.phones[p.ID]; ok {
		return PhoneNumber{}, fmt.Errorf("%w: phone number %s", ErrExists, p.ID)
	}
	p = phoneDefaults(p)
	ps := &phoneState{PhoneNumber: p, seq: g.seq}
	g.phones[p.ID] = ps
	ws.phones = append(ws.phones, ps)
	return p, nil
}

func phoneDefaults(p PhoneNumber) PhoneNumber {
	p.DisplayPhoneNumber = FormatDisplay(p.DisplayPhoneNumber)
	p.VerifiedName = orDefault(p.VerifiedName, "Business "+p.ID)
	p.QualityRating = orDefault(p.QualityRating, "GREEN")
	p.Status = orDefault(p.Status, "CONNECTED")
	p.NameStatus = orDefault(p.NameStatus, "APPROVED")
	p.CodeVerificationStatus = orDefault(p.CodeVerificationStatus, "VERIFIED")
	p.ThroughputLevel = orDefault(p.ThroughputLevel, "STANDARD")
	p.MessagingLimitTier = orDefault(p.MessagingLimitTier, "TIER_10K")
	p.MessagingLimit = orDefault(p.MessagingLimit, "TIER_10K")
	p.PlatformType = orDefault(p.PlatformType, "CLOUD_API")
	p.AccountMode = orDefault(p.AccountMode, "LIVE")
	return p
}

// AddTemplate registers a template under t.WABAID and returns it with its id
// (generated when zero) and defaults filled in. Like Meta, a WABA holds one
// template per (name, language).
func (g *Graph) AddTemplate(t Template) (Template, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ws, ok := g.wabas[t.WABAID]
	if !ok {
		return Template{}, fmt.Errorf("%w: WABA %q", ErrUnknown, t.WABAID)
	}
	for _, other := range ws.templates {
		if other.Name == t.Name && other.Language == t.Language {
			return Template{}, fmt.Errorf("%w: template %s/%s", ErrExists, t.Name, t.Language)
		}
	}
	g.seq++
	if t.ID == 0 {
		t.ID = 1_000_000_000_000_000 + g.seq
	}
	if _, ok := g.templates[t.ID]; ok {
		return Template{}, fmt.Errorf("%w: template %d", ErrExists, t.ID)
	}
	t = g.templateDefaults(t)
	ts := &templateState{Template: t, seq: g.seq}
	g.templates[t.ID] = ts
	ws.templates = append(ws.templates, ts)
	return t, nil
}

func (g *Graph) templateDefaults(t Template) Template {
	t.Language = orDefault(t.Language, "en_US")
	t.Status = orDefault(t.Status, "APPROVED")
	t.Category = orDefault(t.Category, "UTILITY")
	t.QualityScore = orDefault(t.QualityScore, "UNKNOWN")
	if t.QualityDate.IsZero() {
		t.QualityDate = g.now()
	}
	if t.Components == nil {
		t.Components = []TemplateComponent{{Type: "BODY", Text: "Hello {{1}}, this is " + t.Name + "."}}
	}
	return t
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SetQuality sets a phone number's quality_rating.
func (g *Graph) SetQuality(phoneID, rating string) error {
	return g.updatePhone(phoneID, func(p *PhoneNumber) { p.QualityRating = rating })
}

// SetStatus sets a phone number's status (CONNECTED, FLAGGED, ...).
func (g *Graph) SetStatus(phoneID, status string) error {
	return g.updatePhone(phoneID, func(p *PhoneNumber) { p.Status = status })
}

// SetMessagingLimit sets whatsapp_business_manager_messaging_limit.
func (g *Graph) SetMessagingLimit(phoneID, limit string) error {
	return g.updatePhone(phoneID, func(p *PhoneNumber) { p.MessagingLimit = limit })
}

// SetMessagingLimitTier sets the deprecated messaging_limit_tier.
func (g *Graph) SetMessagingLimitTier(phoneID, tier string) error {
	return g.updatePhone(phoneID, func(p *PhoneNumber) { p.MessagingLimitTier = tier })
}

// SetThroughput sets throughput.level.
func (g *Graph) SetThroughput(phoneID, level string) error {
	return g.updatePhone(phoneID, func(p *PhoneNumber) { p.ThroughputLevel = level })
}

// SetNameStatus sets name_status.
func (g *Graph) SetNameStatus(phoneID, status string) error {
	return g.updatePhone(phoneID, func(p *PhoneNumber) { p.NameStatus = status })
}

func (g *Graph) updatePhone(id string, fn func(*PhoneNumber)) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps, ok := g.phones[id]
	if !ok {
		return fmt.Errorf("%w: phone number %q", ErrUnknown, id)
	}
	fn(&ps.PhoneNumber)
	return nil
}

// SetTemplateStatus sets a template's status and rejected_reason.
func (g *Graph) SetTemplateStatus(id int64, status, rejectedReason string) error {
	return g.updateTemplate(id, func(t *Template) {
		t.Status = status
		t.RejectedReason = rejectedReason
	})
}

// SetTemplateQuality sets a template's quality score, dated now.
func (g *Graph) SetTemplateQuality(id int64, score string) error {
	return g.updateTemplate(id, func(t *Template) {
		t.QualityScore = score
		t.QualityDate = g.now()
	})
}

// SetTemplateCategory sets a template's category.
func (g *Graph) SetTemplateCategory(id int64, category string) error {
	return g.updateTemplate(id, func(t *Template) { t.Category = category })
}

func (g *Graph) updateTemplate(id int64, fn func(*Template)) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	ts, ok := g.templates[id]
	if !ok {
		return fmt.Errorf("%w: template %d", ErrUnknown, id)
	}
	fn(&ts.Template)
	return nil
}
