package quality

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Alert states for filtering.
const (
	AlertStateOpen     = "open"
	AlertStateResolved = "resolved"
)

// AlertFilter narrows alert lists; empty fields do not filter.
type AlertFilter struct {
	State       string
	Severity    string
	Kind        string
	SubjectKind string
	SubjectID   string
}

func (f AlertFilter) validate() error {
	switch f.State {
	case "", AlertStateOpen, AlertStateResolved:
	default:
		return apperr.InvalidField("state", "must be open or resolved")
	}
	if f.Severity != "" && severityRank(f.Severity) == 0 {
		return apperr.InvalidField("severity", "must be critical, warning or info")
	}
	return nil
}

// ListAlerts returns the tenant's alerts, most recently opened first.
func (s *Service) ListAlerts(ctx context.Context, tenantID uuid.UUID, f AlertFilter, p Page) (List[Alert], error) {
	if err := f.validate(); err != nil {
		return List[Alert]{}, err
	}
	at, after, err := decodeCursor(p.Cursor)
	if err != nil {
		return List[Alert]{}, err
	}
	size := p.Size()
	var rows []Alert
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `SELECT `+alertCols+` FROM quality_alerts
			WHERE tenant_id = $1
			  AND ($2 = '' OR ($2 = 'open') = (resolved_at IS NULL))
			  AND ($3 = '' OR severity = $3) AND ($4 = '' OR kind = $4)
			  AND ($5 = '' OR subject_kind = $5) AND ($6 = '' OR subject_id = $6)
			  AND ($7::timestamptz IS NULL OR (opened_at, id) < ($7, $8::uuid))
			ORDER BY opened_at DESC, id DESC LIMIT $9`,
			tenantID, f.State, f.Severity, f.Kind, f.SubjectKind, f.SubjectID, at, after, size+1)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (Alert, error) { return scanAlert(r) })
		return err
	})
	if err != nil {
		return List[Alert]{}, pg.Translate(err, "alerts")
	}
	return paging.Paginate(rows, size, func(a Alert) (time.Time, string) { return a.OpenedAt, a.ID.String() }), nil
}

// GetAlert returns one of the tenant's alerts.
func (s *Service) GetAlert(ctx context.Context, tenantID, id uuid.UUID) (Alert, error) {
	var a Alert
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, `SELECT `+alertCols+` FROM quality_alerts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
		return err
	})
	return a, pg.Translate(err, "alert")
}

// AcknowledgeAlert records that the tenant has seen an alert. by names who
// (an API client id); acknowledging again keeps the first acknowledgement.
// An alert that reopens later is a new alert and needs its own.
func (s *Service) AcknowledgeAlert(ctx context.Context, tenantID, id uuid.UUID, by string) (Alert, error) {
	var a Alert
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, `
			UPDATE quality_alerts SET acknowledged_at = coalesce(acknowledged_at, $3),
				acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN $4 ELSE acknowledged_by END
			WHERE tenant_id = $1 AND id = $2 RETURNING `+alertCols, tenantID, id, s.now().UTC(), by))
		return err
	})
	return a, pg.Translate(err, "alert")
}

// AdminAlerts lists open alerts across every tenant by risk: most severe
// first, then longest open. It runs as the owning role, for admins only.
func (s *Service) AdminAlerts(ctx context.Context, f AlertFilter, p Page) (List[Alert], error) {
	if err := f.validate(); err != nil {
		return List[Alert]{}, err
	}
	offset, err := offsetCursor(p.Cursor)
	if err != nil {
		return List[Alert]{}, err
	}
	size := p.Size()
	var rows []Alert
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `SELECT `+alertCols+` FROM quality_alerts
			WHERE resolved_at IS NULL AND ($1 = '' OR severity = $1) AND ($2 = '' OR kind = $2) AND ($3 = '' OR subject_kind = $3)
			ORDER BY CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END DESC, opened_at, id
			OFFSET $4 LIMIT $5`, f.Severity, f.Kind, f.SubjectKind, offset, size+1)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (Alert, error) { return scanAlert(r) })
		return err
	})
	if err != nil {
		return List[Alert]{}, pg.Translate(err, "alerts")
	}
	out := List[Alert]{Items: rows}
	if len(rows) > size {
		out.Items, out.NextCursor = rows[:size], encodeOffset(offset+size)
	}
	if out.Items == nil {
		out.Items = []Alert{}
	}
	return out, nil
}
