package insights

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/webhooks"
)

// Service is the insights domain. It is safe for concurrent use.
type Service struct {
	db  *pg.DB
	now func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the service read the time from now (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// NewService returns a Service storing in db.
func NewService(db *pg.DB, opts ...Option) *Service {
	s := &Service{db: db, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Handler returns the webhooks.Handler for the messages field. Register it
// beside webhooks.Service.Defaults(), which keeps the raw statuses and
// inbound messages this package derives its rows from.
func (s *Service) Handler() webhooks.Handler { return handler{s} }

// lockKey is the advisory lock serialising one tenant's insight writes: the
// fold reads rows, computes their new contribution and writes deltas, which
// is only correct when no other fold for the tenant runs in between.
func lockKey(tenantID uuid.UUID) int64 {
	h := fnv.New64a()
	h.Write([]byte("insights:"))
	h.Write(tenantID[:])
	return int64(h.Sum64())
}

func (s *Service) inTenant(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error {
	return s.db.InTenantTx(ctx, tenantID, fn)
}

// newID returns a time-ordered id, which keeps primary key indexes compact.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}
