package webhooks

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Bounds on one AdoptOrphans call, so that a WABA onboarded after a flood of
// its webhooks is drained over several runs instead of in one huge result.
const (
	adoptLimit    = 10_000
	maxBatchItems = 500
)

const waitingKeysSQL = `
SELECT DISTINCT waba_id, phone_number_id, display_digits FROM webhook_orphans WHERE adopted_at IS NULL`

// adoptSQL claims the waiting orphans of the resolved keys. SKIP LOCKED and
// the adopted_at check let two runs overlap without adopting anything twice.
const adoptSQL = `
WITH k AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[])
        AS k(waba_id, phone_number_id, display_digits, tenant_id)
), claimed AS (
    SELECT o.id, k.tenant_id FROM webhook_orphans o
    JOIN k ON k.waba_id = o.waba_id AND k.phone_number_id = o.phone_number_id AND k.display_digits = o.display_digits
    WHERE o.adopted_at IS NULL
    ORDER BY o.id LIMIT $5
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE webhook_orphans o SET adopted_at = now(), tenant_id = claimed.tenant_id
FROM claimed WHERE o.id = claimed.id
RETURNING o.archive_id, o.change_index, o.field, o.entry_id, o.entry_time, o.waba_id, o.phone_number_id,
    o.display_digits, o.value::text, o.received_at`

// AdoptOrphans finds waiting orphans whose WABA or number is now known and
// hands them, per tenant, to deliver (at most 500 changes per batch, and a
// bounded number per call: call again until it returns none). deliver runs
// inside the transaction that marks them adopted, so if it fails nothing is
// marked and the orphans wait for the next run; if the commit fails after it
// succeeded, they are delivered again, which is harmless because applying a
// change keeps its archive id and index and is a no-op the second time.
func (s *Service) AdoptOrphans(ctx context.Context, deliver func(context.Context, []TenantBatch) error) ([]TenantBatch, error) {
	keys, err := s.waitingKeys(ctx)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	l, err := s.resolver.lookup(ctx, keys, true)
	if err != nil {
		return nil, err
	}
	found := map[routeKey]target{}
	var wabas, phones, digits []string
	var tenants []uuid.UUID
	for _, k := range keys {
		if t, ok := l.resolve(k); ok {
			found[k] = t
			wabas, phones, digits = append(wabas, k.WABAID), append(phones, k.PhoneNumberID), append(digits, k.Digits)
			tenants = append(tenants, t.Tenant)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	var adopted []TenantBatch
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		changes, owners, err := claimOrphans(ctx, tx, found, wabas, phones, digits, tenants)
		if err != nil {
			return err
		}
		adopted = groupBatches(changes, owners)
		if err := recordAdoptedRoutes(ctx, tx, changes, owners); err != nil {
			return err
		}
		return deliver(ctx, adopted)
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: adopt orphans: %w", err)
	}
	n := 0
	for _, b := range adopted {
		n += len(b.Changes)
	}
	s.metrics.orphans.WithLabelValues("adopted").Add(float64(n))
	return adopted, nil
}

func (s *Service) waitingKeys(ctx context.Context) ([]routeKey, error) {
	rows, err := s.db.Query(ctx, waitingKeysSQL)
	if err != nil {
		return nil, fmt.Errorf("webhooks: orphan keys: %w", err)
	}
	var keys []routeKey
	var k routeKey
	_, err = pgx.ForEachRow(rows, []any{&k.WABAID, &k.PhoneNumberID, &k.Digits}, func() error {
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: orphan keys: %w", err)
	}
	return keys, nil
}

func claimOrphans(ctx context.Context, tx pgx.Tx, found map[routeKey]target, wabas, phones, digits []string, tenants []uuid.UUID) ([]Change, []uuid.UUID, error) {
	rows, err := tx.Query(ctx, adoptSQL, wabas, phones, digits, tenants, adoptLimit)
	if err != nil {
		return nil, nil, err
	}
	var changes []Change
	var owners []uuid.UUID
	var c Change
	var k routeKey
	var index int32
	var value string
	_, err = pgx.ForEachRow(rows, []any{&c.ArchiveID, &index, &c.Field, &c.EntryID, &c.EntryTime,
		&k.WABAID, &k.PhoneNumberID, &k.Digits, &value, &c.ReceivedAt}, func() error {
		t := found[k]
		c.Index, c.WABAID, c.PhoneNumberID = int(index), t.WABAID, t.PhoneID
		c.Value = json.RawMessage(value)
		changes, owners = append(changes, c), append(owners, t.Tenant)
		return nil
	})
	return changes, owners, err
}

// groupBatches groups adopted changes per tenant in body order, splitting
// large groups so that one apply stays a bounded transaction.
func groupBatches(changes []Change, owners []uuid.UUID) []TenantBatch {
	order := make([]int, len(changes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(changes[a].ArchiveID, changes[b].ArchiveID), cmp.Compare(changes[a].Index, changes[b].Index))
	})
	var out []TenantBatch
	open := map[uuid.UUID]int{}
	for _, i := range order {
		t := owners[i]
		j, ok := open[t]
		if !ok || len(out[j].Changes) >= maxBatchItems {
			j = len(out)
			open[t] = j
			out = append(out, TenantBatch{TenantID: t})
		}
		out[j].Changes = append(out[j].Changes, changes[i])
	}
	return out
}

func recordAdoptedRoutes(ctx context.Context, tx pgx.Tx, changes []Change, owners []uuid.UUID) error {
	if len(changes) == 0 {
		return nil
	}
	tenants := make([]uuid.UUID, len(changes))
	archives := make([]int64, len(changes))
	for i, c := range changes {
		tenants[i], archives[i] = owners[i], c.ArchiveID
	}
	_, err := tx.Exec(ctx, insertRoutesSQL, tenants, archives)
	return err
}
