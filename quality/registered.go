package quality

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// SourceRegistered is the discovered_via of a number whose row was made when
// the tenant registered it, before Meta reported anything about it.
const SourceRegistered = "registered"

// RegisteredNumber is a phone number as the tenant registered it: the Meta
// id of its WABA, Meta's phone_number_id and the display number.
type RegisteredNumber struct {
	WABAID             string
	PhoneNumberID      string
	DisplayPhoneNumber string
	VerifiedName       string
}

// TrackRegistered makes quality monitoring list a number as soon as it is
// registered, rather than only once a webhook or a poll names it. Its
// attributes stay unknown until Meta reports them. A number quality already
// knows keeps everything it has, its origin included: only identity fields
// it lacks are filled in, so registering again changes nothing and the seed
// never overwrites what Meta said. at is the registration time.
func (s *Service) TrackRegistered(ctx context.Context, tenantID uuid.UUID, n RegisteredNumber, at time.Time) (Number, error) {
	digits := digitsOf(n.DisplayPhoneNumber)
	if n.WABAID == "" || digits == "" {
		return Number{}, apperr.New(apperr.Invalid, "a registered number needs its WABA id and display number")
	}
	var out Number
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO quality_numbers (id, tenant_id, waba_id, display_digits, phone_number_id, display_phone_number,
				verified_name, discovered_via, first_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (tenant_id, waba_id, display_digits) DO UPDATE SET
				phone_number_id = CASE WHEN quality_numbers.phone_number_id = '' THEN EXCLUDED.phone_number_id ELSE quality_numbers.phone_number_id END,
				display_phone_number = CASE WHEN quality_numbers.display_phone_number = '' THEN EXCLUDED.display_phone_number ELSE quality_numbers.display_phone_number END,
				verified_name = CASE WHEN quality_numbers.verified_name = '' THEN EXCLUDED.verified_name ELSE quality_numbers.verified_name END,
				updated_at = now()
			WHERE (quality_numbers.phone_number_id = '' AND EXCLUDED.phone_number_id <> '')
			   OR (quality_numbers.display_phone_number = '' AND EXCLUDED.display_phone_number <> '')
			   OR (quality_numbers.verified_name = '' AND EXCLUDED.verified_name <> '')`,
			newID(), tenantID, n.WABAID, digits, n.PhoneNumberID, n.DisplayPhoneNumber, n.VerifiedName,
			SourceRegistered, at); err != nil {
			return fmt.Errorf("quality: track registered number %s/%s: %w", n.WABAID, digits, err)
		}
		var err error
		out, err = scanNumber(tx.QueryRow(ctx, `SELECT `+numberCols+` FROM quality_numbers n
			WHERE n.tenant_id = $1 AND n.waba_id = $2 AND n.display_digits = $3`, tenantID, n.WABAID, digits))
		if err != nil {
			return fmt.Errorf("quality: read registered number %s/%s: %w", n.WABAID, digits, err)
		}
		return nil
	})
	return out, err
}
