package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// doomedFrom selects a batch of bodies retention removes from the table
// named by %s: poison ones and routed ones. Bodies not yet routed are kept
// whatever their age.
const doomedFrom = `
    SELECT a.id, a.body_sha256 FROM %s a
    WHERE %s AND (a.error IS NOT NULL OR EXISTS (SELECT 1 FROM webhook_routed r WHERE r.archive_id = a.id))
    ORDER BY a.id LIMIT $2`

// sideRows deletes what refers to the doomed bodies; none of it carries a
// foreign key (a trigger per row on the intake's busiest inserts).
const sideRows = `
), routes AS (
    DELETE FROM webhook_routes WHERE archive_id IN (SELECT id FROM doomed)
), routed AS (
    DELETE FROM webhook_routed WHERE archive_id IN (SELECT id FROM doomed)
), orphans AS (
    DELETE FROM webhook_orphans WHERE archive_id IN (SELECT id FROM doomed)
), digests AS (
    DELETE FROM webhook_archive_digests WHERE body_sha256 IN (SELECT body_sha256 FROM doomed)
)`

// purgeSQL deletes one batch of bodies received before $1 with everything
// that refers to them.
var purgeSQL = `WITH doomed AS (` + fmt.Sprintf(doomedFrom, "webhook_archive", "a.received_at < $1") + sideRows + `
DELETE FROM webhook_archive WHERE received_at < $1 AND id IN (SELECT id FROM doomed)`

// monthSideRowsSQL clears, in one month's partition, one batch (by id after
// $1) of what refers to the bodies leaving with the month, and keeps the
// bodies: they go with the partition.
const monthSideRowsSQL = `WITH doomed AS (%s%s
SELECT count(*), coalesce(max(id), 0) FROM doomed`

// PurgeArchive removes archived bodies received before olderThan and returns
// how many went. Months wholly before it are dropped; the rest are deleted
// batch rows per statement, so retention never holds long locks. Bodies not
// yet routed are kept whatever their age; the orphans, route records and
// digests of the others go with them.
func (s *Service) PurgeArchive(ctx context.Context, olderThan time.Time, batch int) (int64, error) {
	batch = clamp(batch, 1000, 100_000)
	total, err := s.dropArchiveMonths(ctx, olderThan, batch)
	if err != nil {
		return total, err
	}
	for {
		tag, err := s.db.Exec(ctx, purgeSQL, olderThan, batch)
		if err != nil {
			return total, fmt.Errorf("webhooks: purge archive: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// dropArchiveMonths drops the archive's months that end at or before
// olderThan. Their bodies' side rows go first, in batches; the bodies still
// pending then are exactly those whose digest is left, and they are carried
// into the default partition before the month is dropped. A run cut short
// is finished by the next: cleared bodies have no digest to be carried by.
func (s *Service) dropArchiveMonths(ctx context.Context, olderThan time.Time, batch int) (int64, error) {
	months, err := s.db.MonthPartitions(ctx, "webhook_archive")
	if err != nil {
		return 0, err
	}
	var total int64
	for name, m := range months {
		if m.AddDate(0, 1, 0).After(olderThan) {
			continue
		}
		leaf := pgx.Identifier{name}.Sanitize()
		q := fmt.Sprintf(monthSideRowsSQL, fmt.Sprintf(doomedFrom, leaf, "a.id > $1"), sideRows)
		for after := int64(0); ; {
			var n int64
			if err := s.db.QueryRow(ctx, q, after, batch).Scan(&n, &after); err != nil {
				return total, fmt.Errorf("webhooks: purge archive month %s: %w", name, err)
			}
			total += n
			if n < int64(batch) {
				break
			}
		}
		err := s.db.InPartitionTx(ctx, name, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `ALTER TABLE webhook_archive DETACH PARTITION `+leaf); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_archive OVERRIDING SYSTEM VALUE SELECT a.* FROM `+leaf+` a
				WHERE EXISTS (SELECT 1 FROM webhook_archive_digests d WHERE d.body_sha256 = a.body_sha256 AND d.archive_id = a.id)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `DROP TABLE `+leaf)
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
