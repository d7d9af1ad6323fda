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
	db *pg.DB
	// reader serves the range reads (funnels, hours, response times,
	// results); db unless WithReadDB names a replica.
	reader *pg.DB
	now    func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the service read the time from now (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// WithReadDB sends the range reads to db, typically a read replica. They
// may then lag the writes by the replica's delay; writes and the reads
// that precede a write stay on the primary.
func WithReadDB(db *pg.DB) Option {
	return func(s *Service) {
		if db != nil {
			s.reader = db
		}
	}
}

// NewService returns a Service storing in db.
func NewService(db *pg.DB, opts ...Option) *Service {
	s := &Service{db: db, reader: db, now: time.Now}
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

// readTenant is inTenant for reads that may be served by the replica.
func (s *Service) readTenant(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error {
	return s.reader.InTenantTx(ctx, tenantID, fn)
}

// newID returns a time-ordered id, which keeps primary key indexes compact.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}
