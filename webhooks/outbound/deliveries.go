package outbound

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusDead      = "dead"
)

// Delivery is one message to one subscription and where it stands.
type Delivery struct {
	ID             int64     `json:"id"`
	TenantID       uuid.UUID `json:"tenant_id"`
	SubscriptionID uuid.UUID `json:"subscription_id"`
	// EventID is the outbox event delivered; nil for test messages.
	EventID   *int64 `json:"event_id,omitempty"`
	MessageID string `json:"message_id"`
	EventType string `json:"event_type"`
	// Origin is "event", "replay" or "test".
	Origin         string     `json:"origin"`
	ReplayOf       *int64     `json:"replay_of,omitempty"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
	ExpiresAt      time.Time  `json:"expires_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at,omitempty"`
	LastStatusCode *int       `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	DeadReason     string     `json:"dead_reason,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	// AttemptLog is filled by GetDelivery only.
	AttemptLog []Attempt `json:"attempt_log,omitempty"`
}

// Attempt is one try of a delivery.
type Attempt struct {
	Attempt     int       `json:"attempt"`
	AttemptedAt time.Time `json:"attempted_at"`
	LatencyMS   int       `json:"latency_ms"`
	// StatusCode is nil when no response came (timeout, refused, blocked).
	StatusCode *int   `json:"status_code,omitempty"`
	Error      string `json:"error,omitempty"`
	// ResponseBody is the first KiB of the response.
	ResponseBody string `json:"response_body"`
}

// DeliveryFilter narrows a delivery log; zero fields do not filter.
type DeliveryFilter struct {
	SubscriptionID uuid.UUID
	Status         string
	EventType      string
	// From and To bound created_at: From inclusive, To exclusive.
	From, To time.Time
}

const deliveryColumns = `d.id, d.tenant_id, d.subscription_id, d.event_id, d.message_id, d.event_type, d.origin,
	d.replay_of, d.status, d.attempts, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END, d.expires_at,
	d.last_attempt_at, d.last_status_code, d.last_error, d.dead_reason, d.delivered_at, d.created_at`

func scanDelivery(row pgx.Row) (Delivery, error) {
	var d Delivery
	var lastErr, dead *string
	var code *int32
	err := row.Scan(&d.ID, &d.TenantID, &d.SubscriptionID, &d.EventID, &d.MessageID, &d.EventType, &d.Origin,
		&d.ReplayOf, &d.Status, &d.Attempts, &d.NextAttemptAt, &d.ExpiresAt, &d.LastAttemptAt, &code, &lastErr,
		&dead, &d.DeliveredAt, &d.CreatedAt)
	if code != nil {
		c := int(*code)
		d.LastStatusCode = &c
	}
	if lastErr != nil {
		d.LastError = *lastErr
	}
	if dead != nil {
		d.DeadReason = *dead
	}
	return d, err
}

// ListDeliveries returns the delivery log of o's subscriptions, newest
// first. With Status "dead" it is the dead-letter list.
func (s *Service) ListDeliveries(ctx context.Context, o Owner, f DeliveryFilter, p Page) (List[Delivery], error) {
	switch f.Status {
	case "", StatusPending, StatusDelivered, StatusDead:
	default:
		return List[Delivery]{}, apperr.InvalidField("status", "must be pending, delivered or dead")
	}
	at, id, ok, err := paging.DecodeCursor(p.Cursor)
	if err != nil {
		return List[Delivery]{}, err
	}
	cond, arg := ownerFilter(o, "1")
	w := []string{cond}
	args := []any{arg}
	add := func(expr string, v any) {
		args = append(args, v)
		w = append(w, strings.ReplaceAll(expr, "?", "$"+strconv.Itoa(len(args))))
	}
	if o.TenantID != uuid.Nil {
		add("d.tenant_id = ?", o.TenantID)
	}
	if f.SubscriptionID != uuid.Nil {
		add("d.subscription_id = ?", f.SubscriptionID)
	}
	if f.Status != "" {
		add("d.status = ?", f.Status)
	}
	if f.EventType != "" {
		add("d.event_type = ?", f.EventType)
	}
	if !f.From.IsZero() {
		add("d.created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("d.created_at < ?", f.To)
	}
	if ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return List[Delivery]{}, errBadCursor
		}
		args = append(args, at, n)
		w = append(w, "(d.created_at, d.id) < ($"+strconv.Itoa(len(args)-1)+", $"+strconv.Itoa(len(args))+")")
	}
	size := p.Size()
	args = append(args, size+1)
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries d
		JOIN webhook_subscriptions s ON s.id = d.subscription_id
		WHERE ` + strings.Join(w, " AND ") + ` ORDER BY d.created_at DESC, d.id DESC LIMIT $` + strconv.Itoa(len(args))
	var rows []Delivery
	err = s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, func(row pgx.CollectableRow) (Delivery, error) { return scanDelivery(row) })
		return err
	})
	if err != nil {
		return List[Delivery]{}, pg.Translate(err, "deliveries")
	}
	return paging.Paginate(rows, size, func(d Delivery) (time.Time, string) {
		return d.CreatedAt, strconv.FormatInt(d.ID, 10)
	}), nil
}

var errDeliveryNotFound = apperr.New(apperr.NotFound, "delivery not found")

// GetDelivery returns one delivery of o's subscriptions with every attempt.
func (s *Service) GetDelivery(ctx context.Context, o Owner, id int64) (Delivery, error) {
	var d Delivery
	err := s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		var err error
		if d, err = getDelivery(ctx, tx, o, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT attempt, attempted_at, latency_ms, status_code, coalesce(error, ''), response_body
			FROM webhook_attempts WHERE delivery_id = $1 AND tenant_id = $2 ORDER BY attempt`, id, d.TenantID)
		if err != nil {
			return err
		}
		d.AttemptLog, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attempt, error) {
			var a Attempt
			var code *int32
			err := row.Scan(&a.Attempt, &a.AttemptedAt, &a.LatencyMS, &code, &a.Error, &a.ResponseBody)
			if code != nil {
				c := int(*code)
				a.StatusCode = &c
			}
			return a, err
		})
		return err
	})
	if err != nil {
		return Delivery{}, pg.Translate(err, "delivery")
	}
	if d.AttemptLog == nil {
		d.AttemptLog = []Attempt{}
	}
	return d, nil
}

func getDelivery(ctx context.Context, tx pgx.Tx, o Owner, id int64) (Delivery, error) {
	cond, arg := ownerFilter(o, "2")
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries d
		JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1 AND ` + cond
	args := []any{id, arg}
	if o.TenantID != uuid.Nil {
		q += ` AND d.tenant_id = $2`
	}
	d, err := scanDelivery(tx.QueryRow(ctx, q, args...))
	if isNoRows(err) {
		return Delivery{}, errDeliveryNotFound
	}
	return d, err
}
