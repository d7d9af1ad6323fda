package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// Config tunes the service. The zero value is usable.
type Config struct {
	// Fallback prices what no rule covers (default DefaultFallback).
	Fallback Fallback
	// CloseGrace is how long after a month ends (tenant time) its invoice
	// stays a draft, so that late delivery webhooks still reach it. Meta
	// retries for up to seven days; the default is three.
	CloseGrace time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives reports of fallback pricing and missing rates.
	Log *slog.Logger
	// ReadDB, when set, serves usage reads (typically a read replica, so
	// they may lag the ledger by its delay); nil reads from the primary.
	ReadDB *pg.DB
}

// Service is the billing domain. It is safe for concurrent use.
type Service struct {
	db     *pg.DB
	reader *pg.DB
	cfg    Config

	mu      sync.Mutex
	markets *marketTable
}

// NewService returns a Service on db.
func NewService(db *pg.DB, cfg Config) *Service {
	if cfg.Fallback.Category == "" {
		cfg.Fallback = DefaultFallback
	}
	if cfg.CloseGrace <= 0 {
		cfg.CloseGrace = 72 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	reader := cfg.ReadDB
	if reader == nil {
		reader = db
	}
	return &Service{db: db, reader: reader, cfg: cfg}
}

// marketTable returns the calling-code table, loading it on first use. The
// table changes only when seed data changes, which reloads it.
func (s *Service) marketTable(ctx context.Context) (*marketTable, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.markets != nil {
		return s.markets, nil
	}
	t, err := loadMarkets(ctx, s.db)
	if err != nil {
		return nil, err
	}
	s.markets = t
	return t, nil
}

func (s *Service) forgetMarkets() {
	s.mu.Lock()
	s.markets = nil
	s.mu.Unlock()
}

// Actor is who makes an admin write, as the audit log records it.
type Actor struct {
	// ID is the API client's id; uuid.Nil for wabsp's own writes.
	ID        uuid.UUID
	Role      string
	RequestID string
}

// SystemActor is the actor of writes wabsp makes on its own (seeding, the
// scheduled finalisation); reason says why.
func SystemActor(reason string) Actor { return Actor{Role: "system", RequestID: reason} }

// audit records an admin write in the shared audit log, in the write's
// transaction.
func audit(ctx context.Context, tx pgx.Tx, a Actor, tenantID uuid.UUID, action, resourceType, resourceID string, after any) error {
	b, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("billing: audit: %w", err)
	}
	role := a.Role
	if role == "" {
		role = "system"
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO audit_log (actor_id, actor_role, tenant_id, action, resource_type, resource_id, after, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		nullUUID(a.ID), role, nullUUID(tenantID), action, resourceType, resourceID, b, nullString(a.RequestID))
	if err != nil {
		return fmt.Errorf("billing: audit: %w", err)
	}
	return nil
}

func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// lockKey is the advisory lock serialising one tenant's ledger writes. The
// roll-ups are read-modify-write per ledger row, so two transactions moving
// the same message must not interleave; concurrent applies of one tenant
// would queue on the same hot roll-up rows anyway.
func lockKey(tenantID uuid.UUID) int64 {
	h := fnv.New64a()
	h.Write([]byte("billing.ledger"))
	h.Write(tenantID[:])
	return int64(h.Sum64())
}

// tenantZone reads the tenant's time zone inside tx.
func tenantZone(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (*time.Location, error) {
	var tz string
	err := tx.QueryRow(ctx, `SELECT time_zone FROM tenants WHERE id = $1`, tenantID).Scan(&tz)
	if err != nil {
		return nil, pg.Translate(err, "tenant")
	}
	return location(tz), nil
}

// newID returns a time-ordered id.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}
