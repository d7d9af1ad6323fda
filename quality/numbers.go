package quality

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
)

// Attr is one tracked attribute: its value and the Meta time of the
// observation behind it (nil before the first one).
type Attr struct {
	Value string     `json:"value"`
	At    *time.Time `json:"at,omitempty"`
}

// Number is the quality state of one phone number.
type Number struct {
	ID       uuid.UUID `json:"id"`
	TenantID uuid.UUID `json:"tenant_id"`
	WABAID   string    `json:"waba_id"`
	// PhoneNumberID is "" while only webhooks naming the number by its
	// digits have been seen.
	PhoneNumberID      string `json:"phone_number_id"`
	DisplayDigits      string `json:"display_digits"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      Attr   `json:"quality_rating"`
	Status             Attr   `json:"status"`
	NameStatus         Attr   `json:"name_status"`
	Throughput         Attr   `json:"throughput"`
	// LegacyTier is the deprecated per-number messaging_limit_tier (or the
	// current_limit of legacy quality events).
	LegacyTier Attr `json:"legacy_tier"`
	// MessagingLimit is the business portfolio's limit as reported for this
	// number (whatsapp_business_manager_messaging_limit).
	MessagingLimit Attr       `json:"messaging_limit"`
	FlaggedSince   *time.Time `json:"flagged_since,omitempty"`
	DiscoveredVia  string     `json:"discovered_via"`
	// Onboarded is false for a number Meta reported that no WABA of the
	// tenant has registered yet: it needs onboarding.
	Onboarded   bool       `json:"onboarded"`
	FirstSeenAt time.Time  `json:"first_seen_at"`
	PolledAt    *time.Time `json:"polled_at,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Label names the number for alerts and logs.
func (n Number) Label() string {
	name := "+" + n.DisplayDigits
	if n.VerifiedName != "" {
		name += " (" + n.VerifiedName + ")"
	}
	return name
}

// numberIdentity is what an observation knows about which number it is.
type numberIdentity struct {
	wabaID, digits, phoneID, display, name string
}

// ensureNumber finds or creates the number's row and fills in identity
// fields the observation knows and the row lacks.
func ensureNumber(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id numberIdentity, via string, seen time.Time) (uuid.UUID, error) {
	var ref uuid.UUID
	err := tx.QueryRow(ctx, `
		INSERT INTO quality_numbers (id, tenant_id, waba_id, display_digits, phone_number_id, display_phone_number,
			verified_name, discovered_via, first_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (tenant_id, waba_id, display_digits) DO UPDATE SET
			phone_number_id = CASE WHEN EXCLUDED.phone_number_id <> '' THEN EXCLUDED.phone_number_id ELSE quality_numbers.phone_number_id END,
			display_phone_number = CASE WHEN EXCLUDED.display_phone_number <> '' THEN EXCLUDED.display_phone_number ELSE quality_numbers.display_phone_number END,
			verified_name = CASE WHEN EXCLUDED.verified_name <> '' THEN EXCLUDED.verified_name ELSE quality_numbers.verified_name END
		RETURNING id`,
		newID(), tenantID, id.wabaID, id.digits, id.phoneID, id.display, id.name, via, seen).Scan(&ref)
	if err != nil {
		return uuid.Nil, fmt.Errorf("quality: upsert number %s/%s: %w", id.wabaID, id.digits, err)
	}
	return ref, nil
}

// applyNumber folds observations into one number and runs their effects:
// the FLAGGED clock, domain events, alerts and metrics.
// It returns how many attributes changed. A number Meta names without any
// digits cannot be told apart from the WABA's others and is skipped (the raw
// change stays in tenant_events).
func (s *Service) applyNumber(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id numberIdentity, o origin, list []obs) (int, error) {
	if id.digits == "" || id.wabaID == "" {
		s.log.Warn("quality: number observation without display digits or WABA", "event_id", o.eventID)
		return 0, nil
	}
	ref, err := ensureNumber(ctx, tx, tenantID, id, o.source, o.receivedAt)
	if err != nil {
		return 0, err
	}
	r, err := numbersTable.load(ctx, tx, tenantID, ref.String())
	if err != nil {
		return 0, err
	}
	changes, err := r.apply(ctx, tx, tenantID, o, list)
	if err != nil {
		return 0, err
	}
	if err := r.save(ctx, tx, tenantID); err != nil {
		return 0, err
	}
	if o.source == SourcePoll {
		if _, err := tx.Exec(ctx, `UPDATE quality_numbers SET polled_at = $3 WHERE tenant_id = $1 AND id = $2`,
			tenantID, ref, o.receivedAt); err != nil {
			return 0, fmt.Errorf("quality: mark number polled: %w", err)
		}
	}
	if len(changes) == 0 {
		return 0, nil
	}
	if err := trackFlagged(ctx, tx, tenantID, ref, changes); err != nil {
		return 0, err
	}
	n, err := getNumber(ctx, tx, tenantID, ref)
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		s.count(KindNumber, o, c)
		if err := emitNumberChange(ctx, tx, n, o, c); err != nil {
			return 0, err
		}
	}
	err = s.syncAlerts(ctx, tx, tenantID, subjectOf(n), numberAlerts(n), downChecks(changes, "legacy_tier", AlertLegacyTierDown), latest(changes))
	return len(changes), err
}

// trackFlagged starts the legacy seven-day clock when the status turns
// FLAGGED and stops it when it turns anything else.
func trackFlagged(ctx context.Context, tx pgx.Tx, tenantID, ref uuid.UUID, changes []applied) error {
	for _, c := range changes {
		if c.attr != "status" {
			continue
		}
		var since *time.Time
		if c.value == StatusFlagged {
			since = &c.at
		}
		if _, err := tx.Exec(ctx, `UPDATE quality_numbers SET flagged_since = $3 WHERE tenant_id = $1 AND id = $2`,
			tenantID, ref, since); err != nil {
			return fmt.Errorf("quality: flagged_since: %w", err)
		}
	}
	return nil
}

func emitNumberChange(ctx context.Context, tx pgx.Tx, n Number, o origin, c applied) error {
	subject := n.PhoneNumberID
	if subject == "" {
		subject = n.DisplayDigits
	}
	data := map[string]any{
		"number_id": n.ID, "waba_id": n.WABAID, "phone_number_id": n.PhoneNumberID,
		"display_phone_number": "+" + n.DisplayDigits, "attribute": c.attr, "old_value": c.old, "value": c.value,
		"event_time": c.at.UTC(), "source": o.source,
	}
	if c.attr == "quality_rating" {
		data["label"] = RatingLabel(c.value)
	}
	_, err := events.Emit(ctx, tx, events.Event{
		TenantID: n.TenantID, Type: events.QualityPhoneNumberChanged, Subject: subject, OccurredAt: c.at,
		DedupeKey: changeKey(KindNumber, n.ID.String(), c), Data: data,
	})
	return err
}

// changeKey makes a change's event idempotent across re-applies.
func changeKey(kind, subject string, c applied) string {
	return fmt.Sprintf("quality:%s:%s:%s:%s:%d", kind, subject, c.attr, c.value, c.at.UnixNano())
}

func (s *Service) count(kind string, o origin, c applied) {
	s.metrics.changes.WithLabelValues(kind, o.source).Inc()
	if o.source == SourcePoll && !c.first {
		s.metrics.missed.WithLabelValues(kind, c.attr).Inc()
	}
}

// latest is the newest time among changes: when their alerts open or close.
func latest(changes []applied) time.Time {
	var t time.Time
	for _, c := range changes {
		if c.at.After(t) {
			t = c.at
		}
	}
	return t
}

const numberCols = `n.id, n.tenant_id, n.waba_id, n.phone_number_id, n.display_digits, n.display_phone_number, n.verified_name,
	n.quality_rating, n.quality_rating_at, n.status, n.status_at, n.name_status, n.name_status_at,
	n.throughput, n.throughput_at, n.legacy_tier, n.legacy_tier_at, n.messaging_limit, n.messaging_limit_at,
	n.flagged_since, n.discovered_via,
	EXISTS (SELECT 1 FROM phone_numbers p WHERE p.tenant_id = n.tenant_id AND p.display_digits = n.display_digits),
	n.first_seen_at, n.polled_at, n.updated_at`

func scanNumber(row pgx.Row) (Number, error) {
	var n Number
	err := row.Scan(&n.ID, &n.TenantID, &n.WABAID, &n.PhoneNumberID, &n.DisplayDigits, &n.DisplayPhoneNumber, &n.VerifiedName,
		&n.QualityRating.Value, &n.QualityRating.At, &n.Status.Value, &n.Status.At, &n.NameStatus.Value, &n.NameStatus.At,
		&n.Throughput.Value, &n.Throughput.At, &n.LegacyTier.Value, &n.LegacyTier.At, &n.MessagingLimit.Value, &n.MessagingLimit.At,
		&n.FlaggedSince, &n.DiscoveredVia, &n.Onboarded, &n.FirstSeenAt, &n.PolledAt, &n.UpdatedAt)
	// Quality webhooks name a number by its digits only; until a poll brings
	// Graph's formatted number, the digits are its E.164 display.
	if n.DisplayPhoneNumber == "" && n.DisplayDigits != "" {
		n.DisplayPhoneNumber = "+" + n.DisplayDigits
	}
	return n, err
}

func getNumber(ctx context.Context, tx pgx.Tx, tenantID, ref uuid.UUID) (Number, error) {
	n, err := scanNumber(tx.QueryRow(ctx, `SELECT `+numberCols+` FROM quality_numbers n WHERE n.tenant_id = $1 AND n.id = $2`, tenantID, ref))
	if err != nil {
		return Number{}, fmt.Errorf("quality: read number %s: %w", ref, err)
	}
	return n, nil
}

// newID returns a time-ordered id, which keeps primary key indexes compact.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}
