package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// NumberView is a number's state with what is derived from it: its open
// alerts and, while flagged, the legacy rule's projection.
type NumberView struct {
	Number
	QualityLabel string      `json:"quality_label"`
	Legacy       *LegacyFlag `json:"legacy_flag,omitempty"`
	OpenAlerts   []Alert     `json:"open_alerts"`
}

// NumberFilter narrows ListNumbers; empty fields do not filter.
type NumberFilter struct {
	WABAID        string
	QualityRating string
	Status        string
	// PhoneNumberID is Meta's phone_number_id of the number.
	PhoneNumberID string
}

// ListNumbers returns the tenant's phone numbers, most recently discovered
// first, with their open alerts.
func (s *Service) ListNumbers(ctx context.Context, tenantID uuid.UUID, f NumberFilter, p Page) (List[NumberView], error) {
	at, after, err := decodeCursor(p.Cursor)
	if err != nil {
		return List[NumberView]{}, err
	}
	size := p.Size()
	var out []NumberView
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+numberCols+` FROM quality_numbers n
			WHERE n.tenant_id = $1
			  AND ($2 = '' OR n.waba_id = $2) AND ($3 = '' OR n.quality_rating = $3) AND ($4 = '' OR n.status = $4)
			  AND ($5::timestamptz IS NULL OR (n.first_seen_at, n.id) < ($5, $6::uuid))
			  AND ($8 = '' OR n.phone_number_id = $8)
			ORDER BY n.first_seen_at DESC, n.id DESC LIMIT $7`,
			tenantID, f.WABAID, normRating(f.QualityRating), upper(f.Status), at, after, size+1, f.PhoneNumberID)
		if err != nil {
			return err
		}
		numbers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Number, error) { return scanNumber(r) })
		if err != nil {
			return err
		}
		out, err = s.numberViews(ctx, tx, tenantID, numbers)
		return err
	})
	if err != nil {
		return List[NumberView]{}, pg.Translate(err, "phone numbers")
	}
	return paging.Paginate(out, size, func(v NumberView) (time.Time, string) { return v.FirstSeenAt, v.ID.String() }), nil
}

// GetNumber returns one number's state by its quality id.
func (s *Service) GetNumber(ctx context.Context, tenantID, id uuid.UUID) (NumberView, error) {
	var v NumberView
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		n, err := scanNumber(tx.QueryRow(ctx, `SELECT `+numberCols+` FROM quality_numbers n WHERE n.tenant_id = $1 AND n.id = $2`, tenantID, id))
		if err != nil {
			return err
		}
		views, err := s.numberViews(ctx, tx, tenantID, []Number{n})
		if err != nil {
			return err
		}
		v = views[0]
		return nil
	})
	return v, pg.Translate(err, "phone number")
}

func (s *Service) numberViews(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, numbers []Number) ([]NumberView, error) {
	ids := make([]string, len(numbers))
	for i, n := range numbers {
		ids[i] = n.ID.String()
	}
	alerts, err := openAlertsOf(ctx, tx, tenantID, KindNumber, ids)
	if err != nil {
		return nil, err
	}
	out := make([]NumberView, len(numbers))
	for i, n := range numbers {
		out[i] = NumberView{Number: n, QualityLabel: RatingLabel(n.QualityRating.Value), OpenAlerts: alerts[ids[i]]}
		if out[i].OpenAlerts == nil {
			out[i].OpenAlerts = []Alert{}
		}
		if n.Status.Value == StatusFlagged && n.FlaggedSince != nil {
			ratings, err := ratingHistory(ctx, tx, tenantID, KindNumber, ids[i], "quality_rating", time.Time{}, time.Time{})
			if err != nil {
				return nil, err
			}
			out[i].Legacy = legacyFlag(n.Status.Value, n.FlaggedSince, ratingsSince(ratings, *n.FlaggedSince), n.LegacyTier.Value, s.now())
		}
	}
	return out, nil
}

// openAlertsOf returns the open alerts of the given subjects, by subject id.
func openAlertsOf(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, kind string, ids []string) (map[string][]Alert, error) {
	out := map[string][]Alert{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+alertCols+` FROM quality_alerts
		WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = ANY($3) AND resolved_at IS NULL
		ORDER BY opened_at, id`, tenantID, kind, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) { return scanAlert(r) })
	for _, a := range list {
		out[a.SubjectID] = append(out[a.SubjectID], a)
	}
	return out, err
}

// ratingHistory returns an attribute's values (non-late and late alike)
// from the latest one at or before from up to until (zero: no end), oldest
// first.
func ratingHistory(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, kind, subjectID, attr string, from, until time.Time) ([]RatingAt, error) {
	rows, err := tx.Query(ctx, `
		(SELECT value, event_time FROM quality_history
		 WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3 AND attribute = $4 AND event_time <= $5
		 ORDER BY event_time DESC LIMIT 1)
		UNION ALL
		(SELECT value, event_time FROM quality_history
		 WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3 AND attribute = $4 AND event_time > $5
		   AND ($6::timestamptz IS NULL OR event_time < $6)
		 ORDER BY event_time)
		ORDER BY 2`, tenantID, kind, subjectID, attr, from, optTime(until))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RatingAt, error) {
		var v RatingAt
		err := r.Scan(&v.Rating, &v.At)
		v.Label, v.At = RatingLabel(v.Rating), v.At.UTC()
		return v, err
	})
}

// HistoryEntry is one stored observation.
type HistoryEntry struct {
	ID        int64   `json:"id"`
	Attribute string  `json:"attribute"`
	OldValue  *string `json:"old_value,omitempty"`
	Value     string  `json:"value"`
	// EventTime is Meta's time; ReceivedAt when wabsp got it.
	EventTime  time.Time      `json:"event_time"`
	ReceivedAt time.Time      `json:"received_at"`
	Source     string         `json:"source"`
	EventID    string         `json:"event_id"`
	Late       bool           `json:"late"`
	Detail     map[string]any `json:"detail,omitempty"`
}

// HistoryFilter narrows a history; zero fields do not filter. From is
// inclusive, To exclusive.
type HistoryFilter struct {
	Attribute string
	From, To  time.Time
}

// NumberHistory returns a number's history, newest first.
func (s *Service) NumberHistory(ctx context.Context, tenantID, id uuid.UUID, f HistoryFilter, p Page) (List[HistoryEntry], error) {
	return s.history(ctx, tenantID, KindNumber, id.String(), `SELECT true FROM quality_numbers WHERE tenant_id = $1 AND id = $2::uuid`, "phone number", f, p)
}

// TemplateHistory returns a template's history, newest first.
func (s *Service) TemplateHistory(ctx context.Context, tenantID uuid.UUID, templateID string, f HistoryFilter, p Page) (List[HistoryEntry], error) {
	if !isDigits(templateID) {
		return List[HistoryEntry]{}, errNoTemplate
	}
	return s.history(ctx, tenantID, KindTemplate, templateID, `SELECT true FROM quality_templates WHERE tenant_id = $1 AND template_id = $2`, "template", f, p)
}

// AccountHistory returns a WABA's account-level history, newest first.
func (s *Service) AccountHistory(ctx context.Context, tenantID uuid.UUID, wabaID string, f HistoryFilter, p Page) (List[HistoryEntry], error) {
	return s.history(ctx, tenantID, KindAccount, wabaID, `SELECT true FROM quality_accounts WHERE tenant_id = $1 AND waba_id = $2`, "account", f, p)
}

func (s *Service) history(ctx context.Context, tenantID uuid.UUID, kind, subjectID, exists, what string, f HistoryFilter, p Page) (List[HistoryEntry], error) {
	at, after, err := decodeCursor(p.Cursor)
	if err != nil {
		return List[HistoryEntry]{}, err
	}
	var afterID *int64
	if after != nil {
		var n int64
		if _, err := fmt.Sscan(*after, &n); err != nil {
			return List[HistoryEntry]{}, errBadCursor
		}
		afterID = &n
	}
	size := p.Size()
	var rows []HistoryEntry
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, exists, tenantID, subjectID).Scan(&ok); err != nil {
			return pg.Translate(err, what)
		}
		r, err := tx.Query(ctx, `
			SELECT id, attribute, old_value, value, event_time, received_at, source, event_id, late, detail
			FROM quality_history
			WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3
			  AND ($4 = '' OR attribute = $4)
			  AND ($5::timestamptz IS NULL OR event_time >= $5) AND ($6::timestamptz IS NULL OR event_time < $6)
			  AND ($7::timestamptz IS NULL OR (event_time, id) < ($7, $8::bigint))
			ORDER BY event_time DESC, id DESC LIMIT $9`,
			tenantID, kind, subjectID, f.Attribute, optTime(f.From), optTime(f.To), at, afterID, size+1)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, scanHistory)
		return err
	})
	if err != nil {
		return List[HistoryEntry]{}, pg.Translate(err, what+" history")
	}
	return paging.Paginate(rows, size, func(h HistoryEntry) (time.Time, string) { return h.EventTime, fmt.Sprint(h.ID) }), nil
}

func scanHistory(r pgx.CollectableRow) (HistoryEntry, error) {
	var h HistoryEntry
	var detail []byte
	err := r.Scan(&h.ID, &h.Attribute, &h.OldValue, &h.Value, &h.EventTime, &h.ReceivedAt, &h.Source, &h.EventID, &h.Late, &detail)
	if err == nil && len(detail) > 0 {
		err = json.Unmarshal(detail, &h.Detail)
	}
	h.EventTime, h.ReceivedAt = h.EventTime.UTC(), h.ReceivedAt.UTC()
	return h, err
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
