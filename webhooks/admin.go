package webhooks

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// ReplayFilter selects archived bodies to route and apply again. Criteria
// combine with AND; at least one of IDs, a time bound or TenantID is needed.
type ReplayFilter struct {
	IDs []int64
	// From and To bound received_at: From <= received_at < To.
	From, To time.Time
	// TenantID selects bodies that were routed (or adopted) to the tenant.
	TenantID uuid.UUID
	// AfterID continues a replay: only ids above it. Results are oldest first.
	AfterID int64
	// Limit caps the result (default 500, at most 5000).
	Limit int
}

// ArchiveFilter selects archive entries for listing, newest first.
type ArchiveFilter struct {
	// Status is pending, routed, poison, orphan (bodies with changes still
	// waiting for a tenant) or empty for all.
	Status   string
	From, To time.Time
	TenantID uuid.UUID
	// SHA256 is the hex SHA-256 of a body as Meta sent it, to find out
	// whether (and when) a body was received.
	SHA256 string
	// Limit is the page size (default 50, at most 500); Cursor continues the
	// listing from a previous page's next cursor.
	Limit  int
	Cursor string
}

// ArchiveEntry describes an archived body. Body is set by GetArchive only.
type ArchiveEntry struct {
	ID         int64
	SHA256     string
	ReceivedAt time.Time
	ArchivedAt time.Time
	AppID      string
	Size       int
	Status     string
	Error      string
	RoutedAt   *time.Time
	// Orphans counts the body's changes still waiting for a tenant.
	Orphans int
	// Tenants are the tenants the body's changes were routed to.
	Tenants []uuid.UUID
	Body    []byte
}

// where accumulates SQL conditions with numbered arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(w.args))))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

func (w *where) timeRange(from, to time.Time) {
	if !from.IsZero() {
		w.add("a.received_at >= $?", from)
	}
	if !to.IsZero() {
		w.add("a.received_at < $?", to)
	}
}

const tenantRoutedCond = "EXISTS (SELECT 1 FROM webhook_routes r WHERE r.archive_id = a.id AND r.tenant_id = $?)"

// ArchivedForReplay reads archived bodies back, oldest first, ready for Route.
// Route and Apply are idempotent, so replaying bodies that were applied
// before only fills in what is missing.
func (s *Service) ArchivedForReplay(ctx context.Context, f ReplayFilter) ([]Archived, error) {
	if len(f.IDs) == 0 && f.From.IsZero() && f.To.IsZero() && f.TenantID == uuid.Nil {
		return nil, apperr.New(apperr.Invalid, "a replay needs ids, a time range or a tenant")
	}
	var w where
	if len(f.IDs) > 0 {
		w.add("a.id = ANY($?)", f.IDs)
	}
	w.timeRange(f.From, f.To)
	if f.TenantID != uuid.Nil {
		w.add(tenantRoutedCond, f.TenantID)
	}
	w.add("a.id > $?", f.AfterID)
	w.args = append(w.args, clamp(f.Limit, 500, 5000))
	q := fmt.Sprintf(`SELECT a.id, a.received_at, a.app_id, a.body FROM webhook_archive a
WHERE %s ORDER BY a.id LIMIT $%d`, w.String(), len(w.args))
	rows, err := s.db.Query(ctx, q, w.args...)
	if err != nil {
		return nil, pg.Translate(err, "archived webhooks")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Archived, error) {
		var a Archived
		err := row.Scan(&a.ID, &a.ReceivedAt, &a.AppID, &a.Raw)
		return a, err
	})
	if err != nil {
		return nil, pg.Translate(err, "archived webhooks")
	}
	return out, nil
}

// entryFrom is the FROM clause entry queries share; a body's status is
// derived: poison, else routed when marked, else pending.
const entryFrom = `webhook_archive a LEFT JOIN webhook_routed r ON r.archive_id = a.id`

const entryColumns = `a.id, a.body_sha256, a.received_at, a.archived_at, a.app_id, a.size,
    CASE WHEN a.error IS NOT NULL THEN 'poison' WHEN r.archive_id IS NOT NULL THEN 'routed' ELSE 'pending' END,
    coalesce(a.error, ''), r.routed_at,
    (SELECT count(*) FROM webhook_orphans o WHERE o.archive_id = a.id AND o.adopted_at IS NULL),
    ARRAY(SELECT r.tenant_id FROM webhook_routes r WHERE r.archive_id = a.id ORDER BY r.tenant_id)`

// ListArchive lists archive entries newest first (by id, which follows
// arrival), without bodies, and returns the cursor of the next page ("" on
// the last page).
func (s *Service) ListArchive(ctx context.Context, f ArchiveFilter) ([]ArchiveEntry, string, error) {
	var w where
	switch f.Status {
	case "":
	case StatusPending:
		w.conds = append(w.conds, "r.archive_id IS NULL AND a.error IS NULL")
	case StatusRouted:
		w.conds = append(w.conds, "r.archive_id IS NOT NULL AND a.error IS NULL")
	case StatusPoison:
		w.conds = append(w.conds, "a.error IS NOT NULL")
	case StatusOrphan:
		w.conds = append(w.conds, "a.id IN (SELECT archive_id FROM webhook_orphans WHERE adopted_at IS NULL)")
	default:
		return nil, "", apperr.InvalidField("status", "must be one of pending, routed, poison, orphan")
	}
	w.timeRange(f.From, f.To)
	if f.TenantID != uuid.Nil {
		w.add(tenantRoutedCond, f.TenantID)
	}
	if f.SHA256 != "" {
		sum, err := hex.DecodeString(f.SHA256)
		if err != nil || len(sum) != 32 {
			return nil, "", apperr.InvalidField("sha256", "must be 64 hexadecimal digits")
		}
		w.add("(a.id, a.received_at) IN (SELECT archive_id, received_at FROM webhook_archive_digests WHERE body_sha256 = $?)", sum)
	}
	if f.Cursor != "" {
		before, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		w.add("a.id < $?", before)
	}
	limit := clamp(f.Limit, 50, 500)
	w.args = append(w.args, limit+1)
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY a.id DESC LIMIT $%d", entryColumns, entryFrom, w.String(), len(w.args))
	rows, err := s.db.Query(ctx, q, w.args...)
	if err != nil {
		return nil, "", pg.Translate(err, "webhook archive")
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ArchiveEntry, error) {
		return scanEntry(row, false)
	})
	if err != nil {
		return nil, "", pg.Translate(err, "webhook archive")
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = encodeCursor(entries[limit-1].ID)
	}
	return entries, next, nil
}

// GetArchive returns one archive entry with its raw body.
func (s *Service) GetArchive(ctx context.Context, id int64) (ArchiveEntry, error) {
	row := s.db.QueryRow(ctx, "SELECT "+entryColumns+", a.body FROM "+entryFrom+" WHERE a.id = $1", id)
	e, err := scanEntry(row, true)
	if err != nil {
		return ArchiveEntry{}, pg.Translate(err, "archived webhook")
	}
	return e, nil
}

func scanEntry(row pgx.Row, withBody bool) (ArchiveEntry, error) {
	var e ArchiveEntry
	var sum []byte
	dest := []any{&e.ID, &sum, &e.ReceivedAt, &e.ArchivedAt, &e.AppID, &e.Size, &e.Status, &e.Error, &e.RoutedAt, &e.Orphans, &e.Tenants}
	if withBody {
		dest = append(dest, &e.Body)
	}
	if err := row.Scan(dest...); err != nil {
		return ArchiveEntry{}, err
	}
	e.SHA256 = hex.EncodeToString(sum)
	return e, nil
}

func clamp(n, def, max int) int {
	if n <= 0 {
		return def
	}
	return min(n, max)
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && strings.HasPrefix(string(b), "a:") {
		if id, err := strconv.ParseInt(string(b[2:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, apperr.InvalidField("cursor", "is not a cursor this listing issued")
}
