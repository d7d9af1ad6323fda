package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/wabsp/wabsp/internal/metasim"
)

// TestStatusRewritesAreHeapOnly applies a thousand messages' sent, delivered
// and read statuses in turn and reads PostgreSQL's write-ahead log for how
// the billing ledger and the insights rows were rewritten. A rewrite that
// changes no indexed column and finds room in its page is a heap-only
// update, which adds no index entry; the tables leave that room (00032), so
// nearly every rewrite must be one. Without it, half of the ledger's and
// nearly all of the insights rows' rewrites added an entry to every index.
func TestStatusRewritesAreHeapOnly(t *testing.T) {
	a := newApplyBench(t)
	ctx := context.Background()
	if _, err := a.sys.db.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_walinspect`); err != nil {
		t.Fatal(err)
	}
	const bodies = 20
	kind := func(status string) {
		in := make([][]metasim.Status, bodies)
		for i := range in {
			in[i] = a.statuses(fmt.Sprintf("wamid.rewrite.%d", i), status, i)
		}
		if err := a.sys.webhooks.Apply(ctx, a.tenant, a.route(t, in)); err != nil {
			t.Fatal(err)
		}
	}
	kind("sent")
	start := a.walPosition(t)
	kind("delivered")
	kind("read")
	end := a.walPosition(t)

	messages := bodies * applyBenchPerBody
	for _, table := range []string{"billing_ledger", "insight_messages"} {
		t.Run(table, func(t *testing.T) {
			rewrites, heapOnly := a.rewritesIn(t, table, start, end)
			if rewrites < 2*messages {
				t.Fatalf("%d rewrites of %d messages' rows, want at least 2 each", rewrites, messages)
			}
			if share := float64(heapOnly) / float64(rewrites); share < 0.85 {
				t.Errorf("%d of %d rewrites heap-only (%.0f%%), want at least 85%%", heapOnly, rewrites, share*100)
			}
		})
	}
}

// rewritesIn counts the updates the log holds between start and end for the
// partitions of table in this database, and how many were heap-only.
func (a *applyBench) rewritesIn(t *testing.T, table string, start, end int64) (rewrites, heapOnly int) {
	// A block reference names its relation as "rel tablespace/database/filenode".
	err := a.sys.db.QueryRow(context.Background(), `
WITH parts AS (
    SELECT format('/%s/%s ', d.oid, c.relfilenode) AS ref
    FROM pg_class c, pg_database d
    WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)
      AND d.datname = current_database()
)
SELECT count(*), count(*) FILTER (WHERE w.record_type LIKE 'HOT_UPDATE%')
FROM pg_get_wal_records_info('0/0'::pg_lsn + $2::numeric, '0/0'::pg_lsn + $3::numeric) w
WHERE w.resource_manager = 'Heap' AND w.record_type ~ '^(HOT_)?UPDATE'
  AND EXISTS (SELECT 1 FROM parts p WHERE position(p.ref IN w.block_ref || ' ') > 0)`,
		table, start, end).Scan(&rewrites, &heapOnly)
	if err != nil {
		t.Fatal(fmt.Errorf("read the log for %s: %w", table, err))
	}
	return rewrites, heapOnly
}
