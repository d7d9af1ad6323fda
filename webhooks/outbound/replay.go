package outbound

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// MaxReplayEvents bounds one range replay; a wider range is refused rather
// than flooding the endpoint.
const MaxReplayEvents = 10000

var errInactive = apperr.New(apperr.FailedPrecondition, "subscription is disabled; enable it first")

// activeSubscription locks one of o's subscriptions and fails unless it is
// active. It returns the subscription's patterns.
func activeSubscription(ctx context.Context, tx pgx.Tx, o Owner, id uuid.UUID) ([]string, error) {
	cond, arg := ownerFilter(o, "2")
	var active bool
	var patterns []string
	err := tx.QueryRow(ctx, `SELECT s.active, s.event_types FROM webhook_subscriptions s
		WHERE s.id = $1 AND `+cond+` FOR SHARE`, id, arg).Scan(&active, &patterns)
	if isNoRows(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if !active {
		return nil, errInactive
	}
	return patterns, nil
}

// SendTest queues a webhook.test message to one of o's subscriptions. A
// partner's subscription belongs to no single tenant, so its test message
// carries the nil tenant id.
func (s *Service) SendTest(ctx context.Context, o Owner, subID uuid.UUID) (Delivery, error) {
	data, err := json.Marshal(map[string]string{
		"subscription_id": subID.String(),
		"message":         "Test message from wabsp. Verify its signature with the subscription's secret.",
	})
	if err != nil {
		return Delivery{}, err
	}
	var d Delivery
	err = s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		if _, err := activeSubscription(ctx, tx, o, subID); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO webhook_deliveries (tenant_id, subscription_id, message_id, event_type, origin, payload, expires_at)
			VALUES ($1, $2, $3, $4, 'test', $5, now() + make_interval(secs => $6)) RETURNING id`,
			o.TenantID, subID, "test_"+newID().String(), TypeTest, data, s.opt.Retry.Horizon.Seconds()).Scan(&id)
		if err != nil {
			return err
		}
		d, err = getDelivery(ctx, tx, o, id)
		return err
	})
	if err != nil {
		return Delivery{}, pg.Translate(err, "test message")
	}
	s.wake(ctx, subID)
	return d, nil
}

// Replay queues one delivery of o's again, as a new delivery with the same
// webhook-id and body and a fresh retry horizon. With an idempotency key, a
// repeat of the request returns the first replay instead of queueing
// another.
func (s *Service) Replay(ctx context.Context, o Owner, deliveryID int64, idempotencyKey string) (Delivery, error) {
	var d Delivery
	err := s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		id, err := idempotent(ctx, tx, o, "replay_delivery", idempotencyKey, deliveryID, func() (int64, error) {
			return s.replayOne(ctx, tx, o, deliveryID)
		})
		if err != nil {
			return err
		}
		d, err = getDelivery(ctx, tx, o, id)
		return err
	})
	if err != nil {
		return Delivery{}, pg.Translate(err, "delivery")
	}
	s.wake(ctx, d.SubscriptionID)
	return d, nil
}

func (s *Service) replayOne(ctx context.Context, tx pgx.Tx, o Owner, deliveryID int64) (int64, error) {
	orig, err := getDelivery(ctx, tx, o, deliveryID)
	if err != nil {
		return 0, err
	}
	if _, err := activeSubscription(ctx, tx, o, orig.SubscriptionID); err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `
			INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, message_id, event_type, origin,
				replay_of, payload, expires_at)
			SELECT tenant_id, subscription_id, event_id, message_id, event_type,
				CASE WHEN origin = 'test' THEN 'test' ELSE 'replay' END, id, payload, now() + make_interval(secs => $3)
		FROM webhook_deliveries WHERE id = $1 AND tenant_id = $2 RETURNING id`,
		orig.ID, orig.TenantID, s.opt.Retry.Horizon.Seconds()).Scan(&id)
	return id, err
}

// ReplayRange queues again, to one of o's subscriptions, every outbox event
// recorded in [from, to) that the subscription matches, whether or not it
// was delivered before. It returns how many deliveries it queued; with an
// idempotency key, a repeat of the request returns the first count and
// queues nothing.
func (s *Service) ReplayRange(ctx context.Context, o Owner, subID uuid.UUID, from, to time.Time, idempotencyKey string) (int, error) {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return 0, apperr.InvalidField("from", "must be before to, both given")
	}
	var n int
	err := s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		var err error
		request := map[string]any{"subscription_id": subID, "from": from.UTC(), "to": to.UTC()}
		n, err = idempotent(ctx, tx, o, "replay_range", idempotencyKey, request, func() (int, error) {
			return s.replayRange(ctx, tx, o, subID, from, to)
		})
		return err
	})
	if err != nil {
		return 0, pg.Translate(err, "replay")
	}
	if n > 0 {
		s.wake(ctx, subID)
	}
	return n, nil
}

func (s *Service) replayRange(ctx context.Context, tx pgx.Tx, o Owner, subID uuid.UUID, from, to time.Time) (int, error) {
	patterns, err := activeSubscription(ctx, tx, o, subID)
	if err != nil {
		return 0, err
	}
	exact, prefixes, all := splitPatterns(patterns)
	scope, scopeArg := "e.tenant_id = $1", any(o.TenantID)
	if o.TenantID == uuid.Nil {
		scope, scopeArg = "e.tenant_id IN (SELECT tenant_id FROM partner_tenants WHERE partner_id = $1)", o.PartnerID
	}
	where := scope + ` AND e.created_at >= $2 AND e.created_at < $3 AND e.type <> 'webhook.test'
		AND ($4 OR e.type = ANY($5) OR EXISTS (SELECT 1 FROM unnest($6::text[]) p WHERE starts_with(e.type, p)))`
	args := []any{scopeArg, from, to, all, exact, prefixes}
	var count int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM domain_events e WHERE `+where, args...).Scan(&count); err != nil {
		return 0, err
	}
	if count > MaxReplayEvents {
		return 0, apperr.New(apperr.Invalid, "the range holds %d events, more than %d; replay it in smaller ranges",
			count, MaxReplayEvents)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, message_id, event_type, origin, expires_at)
		SELECT e.tenant_id, $7, e.id, 'evt_' || e.id, e.type, 'replay', now() + make_interval(secs => $8)
		FROM domain_events e WHERE `+where+` ORDER BY e.id`,
		append(args, subID, s.opt.Retry.Horizon.Seconds())...)
	return int(tag.RowsAffected()), err
}

// splitPatterns turns patterns into SQL-friendly parts: exact types, type
// prefixes (from "x.*") and whether "*" is among them.
func splitPatterns(patterns []string) (exact, prefixes []string, all bool) {
	exact, prefixes = []string{}, []string{}
	for _, p := range patterns {
		switch {
		case p == "*":
			all = true
		case strings.HasSuffix(p, ".*"):
			prefixes = append(prefixes, p[:len(p)-1])
		default:
			exact = append(exact, p)
		}
	}
	return exact, prefixes, all
}
