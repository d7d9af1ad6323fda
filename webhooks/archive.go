package webhooks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Body is one webhook POST body as the HTTP intake received it.
type Body struct {
	Raw        []byte
	ReceivedAt time.Time
	// AppID is the Meta app whose secret verified the signature.
	AppID string
}

// Archived is a body stored in webhook_archive and not yet routed.
type Archived struct {
	ID         int64
	ReceivedAt time.Time
	AppID      string
	Raw        []byte

	// env is the envelope Archive already decoded, so Route need not decode
	// again; nil for bodies read back from the archive.
	env *Envelope
}

// Archive statuses.
const (
	StatusPending = "pending"
	StatusRouted  = "routed"
	StatusPoison  = "poison"
	// StatusOrphan is a filter, not a stored status: bodies with changes
	// still waiting for an owner.
	StatusOrphan = "orphan"
)

// archiveSQL stores a batch in one statement: a body is archived only when
// its digest is new, and the digest row points at the archive row's month.
// Rows arrive sorted by hash so that concurrent batches sharing bodies take
// the digest key in the same order and cannot deadlock; a batch that meets
// a digest another one is inserting waits for it, and archivedBefore then
// reads the winner.
const archiveSQL = `
WITH u AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('webhook_archive', 'id')) AS id, u.*
    FROM unnest($1::bytea[], $2::timestamptz[], $3::text[], $4::int[], $5::bytea[], $6::text[])
        WITH ORDINALITY AS u(body_sha256, received_at, app_id, size, body, error, n)
    ORDER BY u.n
), fresh AS (
    INSERT INTO webhook_archive_digests (body_sha256, archive_id, received_at)
    SELECT body_sha256, id, received_at FROM u ORDER BY n
    ON CONFLICT (body_sha256) DO NOTHING
    RETURNING body_sha256
), stored AS (
    INSERT INTO webhook_archive (id, body_sha256, received_at, app_id, size, body, error)
    OVERRIDING SYSTEM VALUE
    SELECT u.id, u.body_sha256, u.received_at, u.app_id, u.size, u.body, u.error FROM u JOIN fresh USING (body_sha256)
    RETURNING id, body_sha256
)
SELECT id, body_sha256 FROM stored`

const archivedSQL = `
SELECT a.id, a.body_sha256, a.error IS NULL AND r.archive_id IS NULL, a.received_at, a.app_id
FROM webhook_archive_digests d
JOIN webhook_archive a ON a.id = d.archive_id AND a.received_at = d.received_at
LEFT JOIN webhook_routed r ON r.archive_id = a.id
WHERE d.body_sha256 = ANY($1)`

type archiveItem struct {
	body Body
	sum  [32]byte
	env  *Envelope
	err  error
}

// Archive stores each body in webhook_archive, unique by the SHA-256 of its
// raw bytes, and returns the ones still to be routed, in input order. A body
// already archived and routed is a redelivery and is dropped; one archived
// but never routed (an earlier attempt died) is returned again with its
// original receipt. A body that is not a whatsapp_business_account envelope
// is archived as poison with the reason and not returned.
func (s *Service) Archive(ctx context.Context, bodies []Body) ([]Archived, error) {
	items := s.prepare(bodies)
	if len(items) == 0 {
		return nil, nil
	}
	ids, err := s.insertArchive(ctx, items)
	if err != nil {
		return nil, err
	}
	ready := make(map[[32]byte]Archived, len(items))
	var known []archiveItem
	for _, it := range items {
		id, ok := ids[it.sum]
		switch {
		case !ok:
			known = append(known, it)
		case it.err != nil:
			s.metrics.bodies.WithLabelValues("poison").Inc()
			s.log.Warn("webhook body is poison", "archive_id", id, "app_id", it.body.AppID, "body_bytes", len(it.body.Raw), "err", it.err.Error())
		default:
			s.metrics.bodies.WithLabelValues("archived").Inc()
			ready[it.sum] = Archived{ID: id, ReceivedAt: it.body.ReceivedAt, AppID: it.body.AppID, Raw: it.body.Raw, env: it.env}
		}
	}
	if len(known) > 0 {
		if err := s.archivedBefore(ctx, known, ready); err != nil {
			return nil, err
		}
	}
	out := make([]Archived, 0, len(ready))
	for _, it := range items {
		if a, ok := ready[it.sum]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// prepare hashes and decodes the bodies, dropping repeats within the batch.
func (s *Service) prepare(bodies []Body) []archiveItem {
	items := make([]archiveItem, 0, len(bodies))
	seen := make(map[[32]byte]bool, len(bodies))
	for _, b := range bodies {
		sum := sha256.Sum256(b.Raw)
		if seen[sum] {
			s.metrics.bodies.WithLabelValues("duplicate").Inc()
			continue
		}
		seen[sum] = true
		if b.ReceivedAt.IsZero() {
			b.ReceivedAt = time.Now()
		}
		// Postgres keeps microseconds; returning the same value it stores
		// keeps first attempts and retries identical.
		b.ReceivedAt = b.ReceivedAt.UTC().Truncate(time.Microsecond)
		env, err := DecodeEnvelope(b.Raw)
		items = append(items, archiveItem{body: b, sum: sum, env: env, err: err})
	}
	return items
}

func (s *Service) insertArchive(ctx context.Context, items []archiveItem) (map[[32]byte]int64, error) {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b archiveItem) int { return bytes.Compare(a.sum[:], b.sum[:]) })
	n := len(sorted)
	sums, bodies := make([][]byte, n), make([][]byte, n)
	received, apps, sizes := make([]time.Time, n), make([]string, n), make([]int32, n)
	errs := make([]*string, n)
	for i, it := range sorted {
		sums[i], bodies[i] = it.sum[:], it.body.Raw
		if bodies[i] == nil {
			bodies[i] = []byte{}
		}
		received[i], apps[i], sizes[i] = it.body.ReceivedAt, clean(it.body.AppID), int32(len(it.body.Raw))
		if it.err != nil {
			msg := clean(it.err.Error())
			errs[i] = &msg
		}
	}
	rows, err := s.db.Query(ctx, archiveSQL, sums, received, apps, sizes, bodies, errs)
	if err != nil {
		return nil, fmt.Errorf("webhooks: archive: %w", err)
	}
	ids := make(map[[32]byte]int64, n)
	var id int64
	var sum []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &sum}, func() error {
		ids[[32]byte(sum)] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: archive: %w", err)
	}
	return ids, nil
}

// archivedBefore handles bodies whose hash was already archived: routed and
// poison ones are dropped, pending ones come back for another attempt. It
// runs as its own statement so that it sees rows a concurrent batch committed
// while the insert waited on them. Pending ones are added to ready.
func (s *Service) archivedBefore(ctx context.Context, known []archiveItem, ready map[[32]byte]Archived) error {
	sums := make([][]byte, len(known))
	for i := range known {
		sums[i] = known[i].sum[:]
	}
	rows, err := s.db.Query(ctx, archivedSQL, sums)
	if err != nil {
		return fmt.Errorf("webhooks: archive lookup: %w", err)
	}
	type row struct {
		id       int64
		pending  bool
		received time.Time
		app      string
	}
	found := map[[32]byte]row{}
	var r row
	var sum []byte
	_, err = pgx.ForEachRow(rows, []any{&r.id, &sum, &r.pending, &r.received, &r.app}, func() error {
		found[[32]byte(sum)] = r
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhooks: archive lookup: %w", err)
	}
	for _, it := range known {
		r, ok := found[it.sum]
		if !ok {
			// Purged between the insert and this read; the caller retries and
			// the next attempt archives it afresh.
			return fmt.Errorf("webhooks: archive: body vanished during archiving")
		}
		if !r.pending || it.err != nil {
			s.metrics.bodies.WithLabelValues("duplicate").Inc()
			continue
		}
		s.metrics.bodies.WithLabelValues("retried").Inc()
		ready[it.sum] = Archived{ID: r.id, ReceivedAt: r.received, AppID: r.app, Raw: it.body.Raw, env: it.env}
	}
	return nil
}

// markRoutedSQL inserts in id order so that overlapping calls cannot
// deadlock.
const markRoutedSQL = `
INSERT INTO webhook_routed (archive_id) SELECT DISTINCT unnest($1::bigint[]) ORDER BY 1
ON CONFLICT DO NOTHING`

// MarkRouted closes archived bodies once their changes are safely queued, so
// that a redelivery of the same bytes is dropped from then on. Marking an
// id twice is harmless, and a poison body stays poison.
func (s *Service) MarkRouted(ctx context.Context, archiveIDs []int64) error {
	if len(archiveIDs) == 0 {
		return nil
	}
	if _, err := s.db.Exec(ctx, markRoutedSQL, archiveIDs); err != nil {
		return fmt.Errorf("webhooks: mark routed: %w", err)
	}
	return nil
}
