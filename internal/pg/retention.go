package pg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// RetainedTable is one table under retention. Partitioned tables are split
// by month on their partition column (created by create_month_partition, so
// named TABLE_pYYYYMM); months entirely past the retention are dropped whole.
// Column is the time column rows are aged by, for the per-tenant deletes.
type RetainedTable struct {
	Name        string
	Column      string
	Partitioned bool
	// Keep replaces the policy's Keep for this table when set: billing keeps
	// its ledger for longer than the event tables.
	Keep time.Duration
	// Keys names the table's key table: the narrow unpartitioned table
	// that pins each row's month in a date column named month. A month's
	// keys are deleted, in batches, before the month is dropped.
	Keys string
	// Tenants says whose rows are deleted row by row before their month is
	// dropped.
	Tenants TenantPurge
	// CreateOnly has months created ahead and nothing else: the table's
	// own retention drops them (the webhook archive keeps pending bodies).
	CreateOnly bool
}

// TenantPurge says which tenants' rows retention deletes row by row.
type TenantPurge int

const (
	// PurgeDefault deletes every tenant's old rows from an unpartitioned
	// table and, from a partitioned one, only those of tenants whose
	// retention is shorter than the table's (whole months go by drop).
	PurgeDefault TenantPurge = iota
	// PurgeEveryTenant deletes every tenant's rows past its cutoff, in the
	// months not dropped yet too: for a table whose roll-ups are purged by
	// day, so that both lose the same days.
	PurgeEveryTenant
	// PurgeNever leaves rows to the month drops whatever the tenant's
	// retention: records kept for the BSP rather than for the tenant.
	PurgeNever
)

func (t RetainedTable) keep(p RetentionPolicy) time.Duration {
	if t.Keep > 0 {
		return t.Keep
	}
	return p.Keep
}

// purges reports whether rows of tenant tc are deleted row by row.
func (t RetainedTable) purges(tc tenantCutoff) bool {
	switch t.Tenants {
	case PurgeEveryTenant:
		return true
	case PurgeNever:
		return false
	}
	return !t.Partitioned || tc.short
}

// RetentionPolicy says how far ahead months are created and how long rows
// are kept when the tenant asks for no less.
type RetentionPolicy struct {
	Tables []RetainedTable
	// Ahead is how many months after the current one exist at all times, so
	// inserts never land in the default partition.
	Ahead int
	// Keep is the longest any row is kept. A tenant whose retention_days is
	// shorter has its older rows deleted in batches of Batch.
	Keep  time.Duration
	Batch int
}

// RetentionReport counts what one maintenance run did.
type RetentionReport struct {
	Created int   `json:"created"`
	Dropped int   `json:"dropped"`
	Deleted int64 `json:"deleted"`
	// Keys counts the key-table rows deleted with the months dropped.
	Keys int64 `json:"keys"`
}

// neverRetained names tables whose rows are evidence and must outlive any
// retention setting: the consent ledger proves what a contact agreed to.
var neverRetained = map[string]bool{"consent_ledger": true}

// MaintainRetention creates the months ahead, drops whole months older than
// policy.Keep and deletes the rows of tenants with a shorter retention.
// Every step is idempotent; a run cut short is finished by the next one.
func (db *DB) MaintainRetention(ctx context.Context, now time.Time, p RetentionPolicy) (RetentionReport, error) {
	var r RetentionReport
	for _, t := range p.Tables {
		if neverRetained[t.Name] {
			return r, fmt.Errorf("pg: retention: %s is never purged", t.Name)
		}
	}
	for _, t := range p.Tables {
		if !t.Partitioned {
			continue
		}
		n, err := db.createMonths(ctx, t.Name, now, p.Ahead)
		r.Created += n
		if err != nil {
			return r, err
		}
		if t.CreateOnly {
			continue
		}
		if err := db.dropMonths(ctx, t, now.Add(-t.keep(p)), max(p.Batch, 1), &r); err != nil {
			return r, err
		}
	}
	n, err := db.deleteTenantRows(ctx, now, p)
	r.Deleted = n
	return r, err
}

func (db *DB) createMonths(ctx context.Context, table string, now time.Time, ahead int) (int, error) {
	first := MonthStart(now)
	created := 0
	for i := 0; i <= ahead; i++ {
		var ok bool
		if err := db.QueryRow(ctx, `SELECT create_month_partition($1::regclass, $2::date)`,
			table, first.AddDate(0, i, 0)).Scan(&ok); err != nil {
			return created, fmt.Errorf("pg: create partition of %s: %w", table, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// MonthPartitions lists table's monthly partitions with the month each holds.
func (db *DB) MonthPartitions(ctx context.Context, table string) (map[string]time.Time, error) {
	rows, err := db.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = $1::regclass`, table)
	if err != nil {
		return nil, fmt.Errorf("pg: list partitions of %s: %w", table, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pg: list partitions of %s: %w", table, err)
	}
	months := make(map[string]time.Time, len(names))
	for _, name := range names {
		suffix, ok := strings.CutPrefix(name, table+"_p")
		if !ok {
			continue
		}
		if m, err := time.Parse("200601", suffix); err == nil {
			months[name] = m
		}
	}
	return months, nil
}

// dropMonths drops t's partitions whose whole month ends at or before
// cutoff. Their keys go first: a key left behind would pin a late write to
// a month no longer there, while a row whose key has gone only waits for the
// drop that follows.
func (db *DB) dropMonths(ctx context.Context, t RetainedTable, cutoff time.Time, batch int, r *RetentionReport) error {
	months, err := db.MonthPartitions(ctx, t.Name)
	if err != nil {
		return err
	}
	for name, m := range months {
		if m.AddDate(0, 1, 0).After(cutoff) {
			continue
		}
		if t.Keys != "" {
			n, err := db.deleteKeys(ctx, t.Keys, m, batch)
			r.Keys += n
			if err != nil {
				return err
			}
		}
		if err := db.dropPartition(ctx, name); err != nil {
			return err
		}
		r.Dropped++
	}
	return nil
}

// dropPartition drops one month. Dropping a partition locks its parent
// exclusively; behind a long query that lock would queue every insert, so
// it gives up instead and leaves the month to the next run.
func (db *DB) dropPartition(ctx context.Context, name string) error {
	return db.InPartitionTx(ctx, name, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{name}.Sanitize())
		return err
	})
}

// InPartitionTx runs fn, which detaches or drops partition name, in a
// transaction that waits at most 5 s for the parent's exclusive lock.
func (db *DB) InPartitionTx(ctx context.Context, name string, fn func(pgx.Tx) error) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil {
		return fmt.Errorf("pg: drop partition %s: %w", name, err)
	}
	return nil
}

// deleteKeys deletes the keys pinned to month in batches, each its own
// statement, so no statement holds many locks.
func (db *DB) deleteKeys(ctx context.Context, keys string, month time.Time, batch int) (int64, error) {
	tbl := pgx.Identifier{keys}.Sanitize()
	q := `DELETE FROM ` + tbl + ` WHERE ctid = ANY (ARRAY(SELECT ctid FROM ` + tbl + ` WHERE month = $1 LIMIT $2))`
	return db.execBatches(ctx, keys, q, month, batch)
}

// execBatches runs a delete of at most batch rows (its last argument) until
// one deletes fewer, and returns how many went.
func (db *DB) execBatches(ctx context.Context, table, q string, args ...any) (int64, error) {
	batch := args[len(args)-1].(int)
	var total int64
	for {
		tag, err := db.Exec(ctx, q, args...)
		if err != nil {
			return total, fmt.Errorf("pg: retention delete from %s: %w", table, err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
	}
}

type tenantCutoff struct {
	id     uuid.UUID
	cutoff time.Time
	// short is set when the tenant keeps rows for less than the policy, so
	// months not yet dropped still hold rows it no longer keeps.
	short bool
}

// tenantCutoffs gives every tenant the time before which its rows go: its
// own retention_days, capped by keep.
func (db *DB) tenantCutoffs(ctx context.Context, now time.Time, keep time.Duration) ([]tenantCutoff, error) {
	rows, err := db.Query(ctx, `SELECT id, retention_days FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pg: retention tenants: %w", err)
	}
	globalCutoff := now.Add(-keep)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (tenantCutoff, error) {
		var t tenantCutoff
		var days int
		err := row.Scan(&t.id, &days)
		t.cutoff = now.AddDate(0, 0, -days)
		if t.short = t.cutoff.After(globalCutoff); !t.short {
			t.cutoff = globalCutoff
		}
		return t, err
	})
}

// deleteTenantRows deletes, table by table and leaf by leaf, the rows older
// than each tenant's cutoff, for the tenants each table's TenantPurge names
// (whole months past the table's retention are dropped instead). It deletes
// by physical row id in
// batches so no statement holds many locks or a long snapshot; leaves whose
// month starts after the cutoff are skipped.
func (db *DB) deleteTenantRows(ctx context.Context, now time.Time, p RetentionPolicy) (int64, error) {
	batch := max(p.Batch, 1)
	var deleted int64
	for _, t := range p.Tables {
		if t.Tenants == PurgeNever || t.CreateOnly {
			continue
		}
		tenants, err := db.tenantCutoffs(ctx, now, t.keep(p))
		if err != nil {
			return deleted, err
		}
		leaves, err := db.leaves(ctx, t)
		if err != nil {
			return deleted, err
		}
		for _, tc := range tenants {
			if !t.purges(tc) {
				continue
			}
			for leaf, month := range leaves {
				if !month.IsZero() && !month.Before(tc.cutoff) {
					continue
				}
				n, err := db.deleteBatches(ctx, leaf, t.Column, tc, batch)
				deleted += n
				if err != nil {
					return deleted, err
				}
			}
		}
	}
	return deleted, nil
}

// leaves maps the tables that hold t's rows to the month each holds (zero
// for the table itself or the default partition: any month).
func (db *DB) leaves(ctx context.Context, t RetainedTable) (map[string]time.Time, error) {
	if !t.Partitioned {
		return map[string]time.Time{t.Name: {}}, nil
	}
	leaves, err := db.MonthPartitions(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	leaves[t.Name+"_default"] = time.Time{}
	return leaves, nil
}

func (db *DB) deleteBatches(ctx context.Context, leaf, column string, tc tenantCutoff, batch int) (int64, error) {
	tbl, col := pgx.Identifier{leaf}.Sanitize(), pgx.Identifier{column}.Sanitize()
	q := `DELETE FROM ` + tbl + ` WHERE ctid = ANY (ARRAY(SELECT ctid FROM ` + tbl +
		` WHERE tenant_id = $1 AND ` + col + ` < $2 LIMIT $3))`
	return db.execBatches(ctx, leaf, q, tc.id, tc.cutoff, batch)
}

// MonthStart is the first instant of t's month in UTC: the month a row
// first seen at t is partitioned into.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
