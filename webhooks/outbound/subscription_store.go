package outbound

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

const subColumns = `s.id, s.tenant_id, s.partner_id, s.url, s.description, s.event_types, s.active,
	s.ordered, s.max_in_flight, s.disabled_reason, s.disabled_at, s.failing_since, s.last_success_at,
	s.last_failure_at, CASE WHEN s.previous_expires_at > now() THEN s.previous_expires_at END,
	s.created_at, s.updated_at`

// scanSubscription reads subColumns and then any extra columns into extra.
func scanSubscription(row pgx.Row, extra ...any) (Subscription, error) {
	var sub Subscription
	var tenant, partner *uuid.UUID
	var reason *string
	err := row.Scan(append([]any{&sub.ID, &tenant, &partner, &sub.URL, &sub.Description, &sub.EventTypes, &sub.Active,
		&sub.Ordered, &sub.MaxInFlight, &reason, &sub.DisabledAt, &sub.FailingSince, &sub.LastSuccessAt,
		&sub.LastFailureAt, &sub.PreviousSecretExpiresAt, &sub.CreatedAt, &sub.UpdatedAt}, extra...)...)
	if tenant != nil {
		sub.TenantID = *tenant
	}
	if partner != nil {
		sub.PartnerID = *partner
	}
	if reason != nil {
		sub.DisabledReason = *reason
	}
	return sub, err
}

// Create stores a subscription for o and returns it with its secret, shown
// this once. With an idempotency key, a repeat of the same request returns
// the subscription the first one created, with its secret again: the
// caller may never have seen the first answer.
func (s *Service) Create(ctx context.Context, o Owner, n NewSubscription, idempotencyKey string) (Subscription, string, error) {
	if s.box == nil {
		return Subscription{}, "", errNoCipher
	}
	f := fieldErrors{}
	s.validate(f, &n)
	if err := f.err(); err != nil {
		return Subscription{}, "", err
	}
	id := newID()
	secret := newSecret()
	enc, kid, err := s.box.Encrypt([]byte(secret), id[:])
	if err != nil {
		return Subscription{}, "", err
	}
	var sub Subscription
	err = s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		created, err := idempotent(ctx, tx, o, "create_subscription", idempotencyKey, n, func() (uuid.UUID, error) {
			_, err := tx.Exec(ctx, `
				INSERT INTO webhook_subscriptions (id, tenant_id, partner_id, url, description, event_types,
					ordered, max_in_flight, secret_enc, secret_kid)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				id, nullUUID(o.TenantID), nullUUID(o.PartnerID), n.URL, n.Description, n.EventTypes,
				n.Ordered, n.MaxInFlight, enc, kid)
			return id, err
		})
		if err != nil {
			return err
		}
		cond, arg := ownerFilter(o, "2")
		row := tx.QueryRow(ctx, `SELECT `+subColumns+`, s.secret_enc, s.secret_kid
			FROM webhook_subscriptions s WHERE s.id = $1 AND `+cond, created, arg)
		var storedEnc []byte
		var storedKid string
		sub, err = scanSubscription(row, &storedEnc, &storedKid)
		if err != nil || created == id {
			return err
		}
		plain, err := s.box.Decrypt(storedEnc, storedKid, created[:])
		secret = string(plain)
		return err
	})
	if isNoRows(err) {
		return Subscription{}, "", errNotFound
	}
	if err != nil {
		return Subscription{}, "", pg.Translate(err, "subscription")
	}
	return sub, secret, nil
}

// Get returns one of o's subscriptions.
func (s *Service) Get(ctx context.Context, o Owner, id uuid.UUID) (Subscription, error) {
	var sub Subscription
	err := s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		cond, arg := ownerFilter(o, "2")
		var err error
		sub, err = scanSubscription(tx.QueryRow(ctx,
			`SELECT `+subColumns+` FROM webhook_subscriptions s WHERE s.id = $1 AND `+cond, id, arg))
		return err
	})
	if isNoRows(err) {
		return Subscription{}, errNotFound
	}
	return sub, pg.Translate(err, "subscription")
}

// List returns o's subscriptions, newest first.
func (s *Service) List(ctx context.Context, o Owner, p Page) (List[Subscription], error) {
	at, id, ok, err := paging.DecodeCursor(p.Cursor)
	if err != nil {
		return List[Subscription]{}, err
	}
	var afterAt, afterID any
	if ok {
		u, err := uuid.Parse(id)
		if err != nil {
			return List[Subscription]{}, errBadCursor
		}
		afterAt, afterID = at, u
	}
	size := p.Size()
	var rows []Subscription
	err = s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		cond, arg := ownerFilter(o, "1")
		r, err := tx.Query(ctx, `SELECT `+subColumns+` FROM webhook_subscriptions s
			WHERE `+cond+` AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2, $3::uuid))
			ORDER BY s.created_at DESC, s.id DESC LIMIT $4`, arg, afterAt, afterID, size+1)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, func(row pgx.CollectableRow) (Subscription, error) { return scanSubscription(row) })
		return err
	})
	if err != nil {
		return List[Subscription]{}, pg.Translate(err, "subscriptions")
	}
	return paging.Paginate(rows, size, func(x Subscription) (time.Time, string) { return x.CreatedAt, x.ID.String() }), nil
}

// Update applies p to one of o's subscriptions.
func (s *Service) Update(ctx context.Context, o Owner, id uuid.UUID, p SubscriptionPatch) (Subscription, error) {
	f := fieldErrors{}
	s.validatePatch(f, &p)
	if err := f.err(); err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err := s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		cond, arg := ownerFilter(o, "2")
		var err error
		// SET expressions see the row as it was, so "active" below is the
		// state before this update.
		sub, err = scanSubscription(tx.QueryRow(ctx, `
			UPDATE webhook_subscriptions s SET
				url = coalesce($3, url), description = coalesce($4, description),
				event_types = coalesce($5, event_types), ordered = coalesce($6, ordered),
				max_in_flight = coalesce($7, max_in_flight), active = coalesce($8, active),
				disabled_reason = CASE WHEN $8 IS NULL THEN disabled_reason WHEN $8 THEN NULL
					WHEN active THEN 'manual' ELSE disabled_reason END,
				disabled_at = CASE WHEN $8 IS NULL THEN disabled_at WHEN $8 THEN NULL
					WHEN active THEN now() ELSE disabled_at END,
				failing_since = CASE WHEN $8 AND NOT active THEN NULL ELSE failing_since END,
				updated_at = now()
			WHERE s.id = $1 AND `+cond+` RETURNING `+subColumns,
			id, arg, p.URL, p.Description, p.EventTypes, p.Ordered, p.MaxInFlight, p.Active))
		return err
	})
	if isNoRows(err) {
		return Subscription{}, errNotFound
	}
	return sub, pg.Translate(err, "subscription")
}

// Delete removes one of o's subscriptions with its delivery log.
func (s *Service) Delete(ctx context.Context, o Owner, id uuid.UUID) error {
	return s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		cond, arg := ownerFilter(o, "2")
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_subscriptions s WHERE s.id = $1 AND `+cond, id, arg)
		if err != nil {
			return pg.Translate(err, "subscription")
		}
		if tag.RowsAffected() == 0 {
			return errNotFound
		}
		return nil
	})
}

// RotateSecret gives a subscription a new secret, returned this once. The
// old secret keeps signing beside the new one for overlap (at most
// MaxSecretOverlap), so receivers can switch without missing a message; an
// overlap of 0 retires it at once, for a secret that leaked.
func (s *Service) RotateSecret(ctx context.Context, o Owner, id uuid.UUID, overlap time.Duration) (Subscription, string, error) {
	if s.box == nil {
		return Subscription{}, "", errNoCipher
	}
	if overlap < 0 || overlap > MaxSecretOverlap {
		return Subscription{}, "", apperr.InvalidField("overlap", "must be between 0 and 7 days")
	}
	secret := newSecret()
	enc, kid, err := s.box.Encrypt([]byte(secret), id[:])
	if err != nil {
		return Subscription{}, "", err
	}
	var sub Subscription
	err = s.ownerTx(ctx, o, func(tx pgx.Tx) error {
		cond, arg := ownerFilter(o, "2")
		var err error
		sub, err = scanSubscription(tx.QueryRow(ctx, `
			UPDATE webhook_subscriptions s SET
				previous_secret_enc = secret_enc, previous_secret_kid = secret_kid,
				previous_expires_at = now() + make_interval(secs => $3),
				secret_enc = $4, secret_kid = $5, updated_at = now()
			WHERE s.id = $1 AND `+cond+` RETURNING `+subColumns,
			id, arg, overlap.Seconds(), enc, kid))
		return err
	})
	if isNoRows(err) {
		return Subscription{}, "", errNotFound
	}
	if err != nil {
		return Subscription{}, "", pg.Translate(err, "subscription")
	}
	return sub, secret, nil
}

// nullUUID maps uuid.Nil to SQL NULL.
func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// endpoint is what a delivery run needs of a subscription.
type endpoint struct {
	id        uuid.UUID
	tenantID  uuid.UUID
	partnerID uuid.UUID
	url       string
	active    bool
	ordered   bool
	inFlight  int
	retryAt   *time.Time
	keys      [][]byte
}

const endpointSQL = `
	SELECT id, tenant_id, partner_id, url, active, ordered, max_in_flight, retry_at, secret_enc, secret_kid,
		CASE WHEN previous_expires_at > now() THEN previous_secret_enc END,
		CASE WHEN previous_expires_at > now() THEN previous_secret_kid END
	FROM webhook_subscriptions WHERE id = $1`

// loadEndpoint reads a subscription with its signing keys opened.
func (s *Service) loadEndpoint(ctx context.Context, id uuid.UUID) (endpoint, error) {
	return s.scanEndpoint(s.db.QueryRow(ctx, endpointSQL, id))
}

// scanEndpoint reads an endpointSQL row and opens its signing keys: the
// current secret and, during a rotation's overlap, the previous one.
func (s *Service) scanEndpoint(row pgx.Row) (endpoint, error) {
	var e endpoint
	var tenant, partner *uuid.UUID
	var enc, prevEnc []byte
	var kid string
	var prevKid *string
	err := row.Scan(&e.id, &tenant, &partner, &e.url, &e.active, &e.ordered, &e.inFlight, &e.retryAt, &enc, &kid,
		&prevEnc, &prevKid)
	if err != nil {
		return e, err
	}
	if tenant != nil {
		e.tenantID = *tenant
	}
	if partner != nil {
		e.partnerID = *partner
	}
	if s.box == nil {
		return e, errNoCipher
	}
	key, err := s.openKey(enc, kid, e.id)
	if err != nil {
		return e, err
	}
	e.keys = append(e.keys, key)
	if prevKid != nil {
		if prev, err := s.openKey(prevEnc, *prevKid, e.id); err == nil {
			e.keys = append(e.keys, prev)
		} else {
			s.log.Warn("previous subscription secret does not open; signing with the current one only",
				"subscription_id", e.id, "err", err)
		}
	}
	return e, nil
}

func (s *Service) openKey(enc []byte, kid string, id uuid.UUID) ([]byte, error) {
	plain, err := s.box.Decrypt(enc, kid, id[:])
	if err != nil {
		return nil, fmt.Errorf("outbound: open secret of %s: %w", id, err)
	}
	return secretKey(string(plain))
}
