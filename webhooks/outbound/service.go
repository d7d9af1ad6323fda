package outbound

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
)

// Waker is told which subscriptions have deliveries ready now (a test
// message, a replay), so their delivery runs start at once rather than at the
// next sweep. The workers package implements it.
type Waker interface {
	Wake(ctx context.Context, subscriptionIDs ...uuid.UUID) error
}

// Options configures a Service. Zero values take the defaults noted.
type Options struct {
	// AllowHTTP accepts plain http:// endpoint URLs (development only).
	AllowHTTP bool
	// Addresses is the SSRF policy for deliveries.
	Addresses AddressPolicy
	// Retry is the backoff schedule (default DefaultRetry).
	Retry RetryPolicy
	// FailureWindow is how long an endpoint may fail without a success
	// before it is disabled (default 24h).
	FailureWindow time.Duration
	// AttemptTimeout bounds one HTTP attempt, connect to last byte read
	// (default 10s).
	AttemptTimeout time.Duration
	// BatchSize is how many deliveries one round of Deliver takes (default 100).
	BatchSize int
	// Client replaces the guarded HTTP client; tests use it to count requests.
	Client *http.Client
	Log    *slog.Logger
}

// Service manages subscriptions and delivers to them. It is safe for
// concurrent use.
type Service struct {
	db     *pg.DB
	box    *secretbox.Keyring
	opt    Options
	client *http.Client
	log    *slog.Logger
	waker  Waker
	// ordered remembers which subscriptions are ordered (uuid.UUID → bool),
	// so a run can read its endpoint and first batch in one round trip.
	ordered sync.Map
}

// NewService returns a Service storing in db. box seals endpoint secrets;
// without it subscriptions cannot be created.
func NewService(db *pg.DB, box *secretbox.Keyring, o Options) *Service {
	if o.Retry == (RetryPolicy{}) {
		o.Retry = DefaultRetry
	}
	if o.FailureWindow <= 0 {
		o.FailureWindow = 24 * time.Hour
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	client := o.Client
	if client == nil {
		client = NewHTTPClient(o.Addresses, ClientOptions{ConnectTimeout: min(o.AttemptTimeout, 5*time.Second)})
	}
	return &Service{db: db, box: box, opt: o, client: client, log: o.Log}
}

// SetWaker installs w. Call it during wiring, before the first request.
func (s *Service) SetWaker(w Waker) { s.waker = w }

// wake tells the waker about ids; a failure only delays the deliveries until
// the next sweep, so it is logged rather than returned.
func (s *Service) wake(ctx context.Context, ids ...uuid.UUID) {
	if s.waker == nil || len(ids) == 0 {
		return
	}
	if err := s.waker.Wake(ctx, ids...); err != nil {
		s.log.Warn("waking delivery runs failed; the sweep will start them", "subscriptions", len(ids), "err", err)
	}
}

// Owner is who a subscription belongs to: exactly one of a tenant or a
// partner. A partner's subscription receives the events of all its tenants.
type Owner struct {
	TenantID  uuid.UUID
	PartnerID uuid.UUID
}

// TenantOwner is the owner for a tenant's own subscriptions.
func TenantOwner(id uuid.UUID) Owner { return Owner{TenantID: id} }

// PartnerOwner is the owner for a partner's subscriptions.
func PartnerOwner(id uuid.UUID) Owner { return Owner{PartnerID: id} }

func (o Owner) valid() bool { return (o.TenantID == uuid.Nil) != (o.PartnerID == uuid.Nil) }

// ownerTx runs fn for o: a tenant's work under row-level security, a
// partner's as the owning role (its rows filter on partner_id instead).
func (s *Service) ownerTx(ctx context.Context, o Owner, fn func(pgx.Tx) error) error {
	if !o.valid() {
		return apperr.New(apperr.Internal, "subscription owner must be one tenant or one partner")
	}
	if o.TenantID != uuid.Nil {
		return s.db.InTenantTx(ctx, o.TenantID, fn)
	}
	return s.db.InTx(ctx, fn)
}

// ownerFilter returns the SQL condition selecting o's subscriptions in
// alias s, with o's id as the argument at position n.
func ownerFilter(o Owner, n string) (string, any) {
	if o.TenantID != uuid.Nil {
		return "s.tenant_id = $" + n, o.TenantID
	}
	return "s.partner_id = $" + n, o.PartnerID
}

var errNoCipher = apperr.New(apperr.FailedPrecondition,
	"subscriptions cannot be created: encryption at rest for their secrets is not configured")

var errNotFound = apperr.New(apperr.NotFound, "subscription not found")

// newID returns a time-ordered id, which keeps primary key indexes compact.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// isNoRows reports pgx.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
