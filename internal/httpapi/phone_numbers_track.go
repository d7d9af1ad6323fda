package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
)

// NumberTracker lists a number in quality monitoring as soon as it is
// registered (implemented by *quality.Service).
type NumberTracker interface {
	TrackRegistered(ctx context.Context, tenantID uuid.UUID, n quality.RegisteredNumber, at time.Time) (quality.Number, error)
}

// NumberPolls asks for a poll of a WABA's numbers now rather than at the
// next scheduled one (implemented by workers.QualityPolls).
type NumberPolls interface {
	PollNumbers(ctx context.Context, tenantID, wabaRef uuid.UUID) error
}

// numberTracker is q as a NumberTracker, nil when quality is not wired.
func numberTracker(q *quality.Service) NumberTracker {
	if q == nil {
		return nil
	}
	return q
}

// trackRegistered lists a number just registered in quality monitoring,
// with its values unknown, and asks for a poll of its WABA so Meta's rating
// and status follow within moments. The number is registered either way: a
// failure here is logged, and the next poll of the WABA creates the row.
func (s *Server) trackRegistered(ctx context.Context, p tenants.PhoneNumber) {
	if s.tracker == nil {
		return
	}
	w, err := s.tenants.GetWABA(ctx, p.TenantID, p.WABARef)
	if err != nil {
		s.log.Error("registered number not tracked in quality; the next poll adds it", "phone_number_id", p.PhoneNumberID,
			"err", err, "request_id", requestIDFrom(ctx))
		return
	}
	_, err = s.tracker.TrackRegistered(ctx, p.TenantID, quality.RegisteredNumber{WABAID: w.WABAID,
		PhoneNumberID: p.PhoneNumberID, DisplayPhoneNumber: p.DisplayPhoneNumber, VerifiedName: p.VerifiedName}, p.CreatedAt)
	if err != nil {
		s.log.Error("registered number not tracked in quality; the next poll adds it", "phone_number_id", p.PhoneNumberID,
			"err", err, "request_id", requestIDFrom(ctx))
	}
	if s.numberPolls == nil || !w.HasAccessToken {
		return
	}
	if err := s.numberPolls.PollNumbers(ctx, p.TenantID, p.WABARef); err != nil {
		s.log.Warn("poll of a registered number not queued; the scheduler polls it", "phone_number_id", p.PhoneNumberID,
			"err", err, "request_id", requestIDFrom(ctx))
	}
}
