package webhooks

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Handler persists a tenant's changes of one field inside the tenant-scoped
// transaction Apply opened. It must be idempotent: the same changes may be
// applied again after a crash or a redelivery. Domain packages implement it
// to take a field over from the default handlers.
type Handler interface {
	Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []Change) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []Change) error

// Apply calls f.
func (f HandlerFunc) Apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []Change) error {
	return f(ctx, tx, tenantID, changes)
}

// Register makes handlers the ones that apply field's changes, in order,
// instead of the default handler. A domain that only adds to what the default
// stores registers Defaults() alongside its own handler. Register belongs to
// wiring: call it before the first Apply.
func (s *Service) Register(field string, handlers ...Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[field] = append(s.handlers[field], handlers...)
}

// Defaults returns the handler used for fields no domain has registered: it
// writes message_statuses (message_state is a view over them), inbound_messages
// and tenant_events.
func (s *Service) Defaults() Handler { return s.defaults }

type dispatch struct {
	handlers []Handler
	changes  []Change
}

// plan groups changes by the handlers that own their field. Fields left to
// the default handler share one group, so its tables see one statement each
// per Apply.
func (s *Service) plan(changes []Change) []dispatch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var plan []dispatch
	byField := map[string]int{}
	var rest []Change
	for _, c := range changes {
		c = c.withDecoded()
		hs := s.handlers[c.Field]
		if len(hs) == 0 {
			rest = append(rest, c)
			continue
		}
		i, ok := byField[c.Field]
		if !ok {
			i = len(plan)
			byField[c.Field] = i
			plan = append(plan, dispatch{handlers: hs})
		}
		plan[i].changes = append(plan[i].changes, c)
	}
	if len(rest) > 0 {
		plan = append(plan, dispatch{handlers: []Handler{s.defaults}, changes: rest})
	}
	return plan
}

// Apply persists a tenant's changes in one tenant-scoped transaction
// (row-level security bound to tenantID), dispatching by field. Either every
// handler succeeds or nothing is written.
func (s *Service) Apply(ctx context.Context, tenantID uuid.UUID, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	plan := s.plan(changes)
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		for _, d := range plan {
			for _, h := range d.handlers {
				if err := h.Apply(ctx, tx, tenantID, d.changes); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhooks: apply %d changes for tenant %s: %w", len(changes), tenantID, err)
	}
	return nil
}
