package outbound

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Subscription is an endpoint that receives events. Its secret never leaves
// the service except once, when it is created or rotated.
type Subscription struct {
	ID          uuid.UUID `json:"id"`
	TenantID    uuid.UUID `json:"tenant_id,omitzero"`
	PartnerID   uuid.UUID `json:"partner_id,omitzero"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	EventTypes  []string  `json:"event_types"`
	Active      bool      `json:"active"`
	Ordered     bool      `json:"ordered"`
	MaxInFlight int       `json:"max_in_flight"`
	// DisabledReason is "gone", "failing" or "manual" while inactive.
	DisabledReason string     `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	LastSuccessAt  *time.Time `json:"last_success_at,omitempty"`
	LastFailureAt  *time.Time `json:"last_failure_at,omitempty"`
	// PreviousSecretExpiresAt is when the secret replaced by the last
	// rotation stops signing; nil when no rotation is in its overlap.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// NewSubscription is the input of Create. MaxInFlight 0 means 4.
type NewSubscription struct {
	URL         string
	Description string
	EventTypes  []string
	Ordered     bool
	MaxInFlight int
}

// SubscriptionPatch changes the non-nil fields. Setting Active re-enables a
// disabled subscription (clearing its failure state) or disables it by hand.
type SubscriptionPatch struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	Ordered     *bool
	MaxInFlight *int
	Active      *bool
}

// Limits of a subscription's settings.
const (
	DefaultMaxInFlight = 4
	MaxMaxInFlight     = 64
	maxDescription     = 500
	maxURL             = 2048
	maxPatterns        = 64
	// MaxSecretOverlap bounds how long a rotated-out secret keeps signing.
	MaxSecretOverlap = 7 * 24 * time.Hour
	// DefaultSecretOverlap is the overlap when a rotation names none.
	DefaultSecretOverlap = 24 * time.Hour
)

// fieldErrors collects per-field problems into one Invalid error.
type fieldErrors map[string]string

func (f fieldErrors) add(field, problem string) {
	if _, dup := f[field]; !dup {
		f[field] = problem
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	msg := make([]string, len(keys))
	for i, k := range keys {
		msg[i] = k + ": " + f[k]
	}
	return &apperr.Error{Code: apperr.Invalid, Message: strings.Join(msg, "; "), Fields: f}
}

func (s *Service) validate(f fieldErrors, n *NewSubscription) {
	n.URL = strings.TrimSpace(n.URL)
	s.checkURL(f, n.URL)
	if len(n.Description) > maxDescription {
		f.add("description", "must be at most 500 characters")
	}
	n.EventTypes = checkPatterns(f, n.EventTypes)
	if n.MaxInFlight == 0 {
		n.MaxInFlight = DefaultMaxInFlight
	}
	if n.MaxInFlight < 1 || n.MaxInFlight > MaxMaxInFlight {
		f.add("max_in_flight", "must be between 1 and 64")
	}
}

// checkURL refuses what can never be delivered to: non-HTTPS outside
// development, credentials in the URL, and literal addresses the SSRF policy
// blocks. Host names are checked again at every connection, since what they
// resolve to can change.
func (s *Service) checkURL(f fieldErrors, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil || u.Host == "" || u.Hostname() == "":
		f.add("url", "must be an absolute URL")
		return
	case len(raw) > maxURL:
		f.add("url", "must be at most 2048 characters")
	case u.Scheme != "https" && !(s.opt.AllowHTTP && u.Scheme == "http"):
		f.add("url", "must use https")
	case u.User != nil:
		f.add("url", "must not contain credentials; the signature authenticates us")
	case u.Fragment != "":
		f.add("url", "must not have a fragment")
	}
	if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !s.opt.Addresses.Allowed(ip) {
		f.add("url", "points at an address deliveries may not reach")
	}
}

// checkPatterns validates and normalises event-type patterns (trimmed,
// sorted, without duplicates).
func checkPatterns(f fieldErrors, patterns []string) []string {
	if len(patterns) == 0 {
		f.add("event_types", "must name at least one event type or pattern")
		return nil
	}
	if len(patterns) > maxPatterns {
		f.add("event_types", "must have at most 64 entries")
		return nil
	}
	out := make([]string, 0, len(patterns))
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if err := checkPattern(p); err != nil {
			f.add("event_types", err.Error())
			return nil
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (s *Service) validatePatch(f fieldErrors, p *SubscriptionPatch) {
	if p.URL != nil {
		*p.URL = strings.TrimSpace(*p.URL)
		s.checkURL(f, *p.URL)
	}
	if p.Description != nil && len(*p.Description) > maxDescription {
		f.add("description", "must be at most 500 characters")
	}
	if p.EventTypes != nil {
		norm := checkPatterns(f, *p.EventTypes)
		p.EventTypes = &norm
	}
	if p.MaxInFlight != nil && (*p.MaxInFlight < 1 || *p.MaxInFlight > MaxMaxInFlight) {
		f.add("max_in_flight", "must be between 1 and 64")
	}
}
