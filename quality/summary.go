package quality

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// Summary is a tenant's quality at a glance.
type Summary struct {
	// WorstNumberRating is the lowest rating among the tenant's numbers
	// (UNKNOWN when none is rated, "" when there are none).
	WorstNumberRating   string         `json:"worst_number_rating"`
	NumbersByRating     map[string]int `json:"numbers_by_rating"`
	NumbersByStatus     map[string]int `json:"numbers_by_status"`
	FlaggedNumbers      int            `json:"flagged_numbers"`
	NumbersNotOnboarded int            `json:"numbers_not_onboarded"`
	WorstTemplateScore  string         `json:"worst_template_score"`
	TemplatesByScore    map[string]int `json:"templates_by_score"`
	TemplatesByStatus   map[string]int `json:"templates_by_status"`
	OpenAlerts          map[string]int `json:"open_alerts"`
	Portfolios          []Portfolio    `json:"portfolios"`
}

// Summary counts the tenant's numbers and templates by rating and status,
// names the worst of each, counts open alerts by severity and evaluates the
// portfolio-limit model for each WABA.
func (s *Service) Summary(ctx context.Context, tenantID uuid.UUID) (Summary, error) {
	sum := Summary{
		NumbersByRating: map[string]int{}, NumbersByStatus: map[string]int{},
		TemplatesByScore: map[string]int{}, TemplatesByStatus: map[string]int{},
		OpenAlerts: map[string]int{SeverityCritical: 0, SeverityWarning: 0, SeverityInfo: 0},
		Portfolios: []Portfolio{},
	}
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		numbers, err := countNumbers(ctx, tx, tenantID, &sum)
		if err != nil {
			return err
		}
		templates, err := countTemplates(ctx, tx, tenantID, &sum)
		if err != nil {
			return err
		}
		if err := countAlerts(ctx, tx, tenantID, &sum); err != nil {
			return err
		}
		return portfolios(ctx, tx, tenantID, numbers, templates, &sum)
	})
	return sum, pg.Translate(err, "quality summary")
}

// lowRated maps a WABA id to the labels of its subjects rated RED.
type lowRated map[string][]string

func countNumbers(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, sum *Summary) (lowRated, error) {
	rows, err := tx.Query(ctx, `SELECT `+numberCols+` FROM quality_numbers n WHERE n.tenant_id = $1 ORDER BY n.display_digits`, tenantID)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Number, error) { return scanNumber(r) })
	if err != nil {
		return nil, err
	}
	low := lowRated{}
	for i, n := range list {
		rating := orUnknown(n.QualityRating.Value)
		sum.NumbersByRating[rating]++
		sum.NumbersByStatus[orUnknown(n.Status.Value)]++
		if n.Status.Value == StatusFlagged {
			sum.FlaggedNumbers++
		}
		if !n.Onboarded {
			sum.NumbersNotOnboarded++
		}
		if i == 0 {
			sum.WorstNumberRating = Unknown
		}
		sum.WorstNumberRating = worseRating(sum.WorstNumberRating, rating)
		if rating == Red {
			low[n.WABAID] = append(low[n.WABAID], "number "+n.Label())
		}
	}
	return low, nil
}

func countTemplates(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, sum *Summary) (lowRated, error) {
	rows, err := tx.Query(ctx, `SELECT `+templateCols+` FROM quality_templates WHERE tenant_id = $1 ORDER BY name, language`, tenantID)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
	if err != nil {
		return nil, err
	}
	low := lowRated{}
	for i, t := range list {
		score := orUnknown(t.QualityScore.Value)
		sum.TemplatesByScore[score]++
		sum.TemplatesByStatus[orUnknown(t.Status.Value)]++
		if i == 0 {
			sum.WorstTemplateScore = Unknown
		}
		sum.WorstTemplateScore = worseRating(sum.WorstTemplateScore, score)
		if score == Red {
			low[t.WABAID] = append(low[t.WABAID], "template "+t.Label())
		}
	}
	return low, nil
}

func countAlerts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, sum *Summary) error {
	rows, err := tx.Query(ctx, `SELECT severity, count(*) FROM quality_alerts WHERE tenant_id = $1 AND resolved_at IS NULL GROUP BY severity`, tenantID)
	if err != nil {
		return err
	}
	var sev string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&sev, &n}, func() error {
		sum.OpenAlerts[sev] = n
		return nil
	})
	return err
}

func portfolios(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, numbers, templates lowRated, sum *Summary) error {
	rows, err := tx.Query(ctx, `SELECT waba_id, messaging_limit FROM quality_accounts WHERE tenant_id = $1 ORDER BY waba_id`, tenantID)
	if err != nil {
		return err
	}
	var waba, limit string
	_, err = pgx.ForEachRow(rows, []any{&waba, &limit}, func() error {
		low := append(append([]string{}, numbers[waba]...), templates[waba]...)
		sum.Portfolios = append(sum.Portfolios, portfolioOf(waba, limit, low))
		return nil
	})
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}

// TenantRisk is one tenant's line in the admin overview.
type TenantRisk struct {
	TenantID            uuid.UUID `json:"tenant_id"`
	TenantName          string    `json:"tenant_name"`
	Numbers             int       `json:"numbers"`
	WorstNumberRating   string    `json:"worst_number_rating"`
	NumbersNotConnected int       `json:"numbers_not_connected"`
	Templates           int       `json:"templates"`
	WorstTemplateScore  string    `json:"worst_template_score"`
	TemplatesBlocked    int       `json:"templates_blocked"`
	OpenCritical        int       `json:"open_critical"`
	OpenWarning         int       `json:"open_warning"`
	OpenInfo            int       `json:"open_info"`
	// Risk orders the overview: open alerts weighted by severity, then the
	// worst ratings.
	Risk int `json:"risk"`
}

// AdminOverview lists every tenant's worst number and template state and
// open alerts, riskiest first. It runs as the owning role, for admins only.
func (s *Service) AdminOverview(ctx context.Context, p Page) (List[TenantRisk], error) {
	offset, err := offsetCursor(p.Cursor)
	if err != nil {
		return List[TenantRisk]{}, err
	}
	size := p.Size()
	var rows []TenantRisk
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err = queryRisks(ctx, tx, offset, size+1, nil)
		return err
	})
	if err != nil {
		return List[TenantRisk]{}, pg.Translate(err, "quality overview")
	}
	out := List[TenantRisk]{Items: rows}
	if len(rows) > size {
		out.Items, out.NextCursor = rows[:size], encodeOffset(offset+size)
	}
	if out.Items == nil {
		out.Items = []TenantRisk{}
	}
	return out, nil
}

// TenantRisks is AdminOverview for the given tenants only, riskiest first:
// the partner's view of its own tenants. It runs as the owning role; the
// caller decides which tenants its user may see.
func (s *Service) TenantRisks(ctx context.Context, tenantIDs []uuid.UUID) ([]TenantRisk, error) {
	if len(tenantIDs) == 0 {
		return []TenantRisk{}, nil
	}
	var rows []TenantRisk
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		rows, err = queryRisks(ctx, tx, 0, len(tenantIDs), tenantIDs)
		return err
	})
	if err != nil {
		return nil, pg.Translate(err, "quality overview")
	}
	return rows, nil
}

// queryRisks runs adminOverviewSQL; nil tenantIDs means every tenant.
func queryRisks(ctx context.Context, tx pgx.Tx, offset, limit int, tenantIDs []uuid.UUID) ([]TenantRisk, error) {
	r, err := tx.Query(ctx, adminOverviewSQL, offset, limit, tenantIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(r, func(r pgx.CollectableRow) (TenantRisk, error) {
		var t TenantRisk
		var worstN, worstT int
		err := r.Scan(&t.TenantID, &t.TenantName, &t.Numbers, &worstN, &t.NumbersNotConnected, &t.Templates, &worstT,
			&t.TemplatesBlocked, &t.OpenCritical, &t.OpenWarning, &t.OpenInfo, &t.Risk)
		t.WorstNumberRating, t.WorstTemplateScore = rankName(worstN, t.Numbers), rankName(worstT, t.Templates)
		return t, err
	})
}

// rankName turns a worst-rating rank from SQL back into a rating.
func rankName(rank, count int) string {
	switch {
	case count == 0:
		return ""
	case rank == 1:
		return Red
	case rank == 2:
		return Yellow
	case rank == 3:
		return Green
	}
	return Unknown
}

// adminOverviewSQL ranks ratings like ratingRank (RED 1, YELLOW 2, GREEN 3,
// unrated 4 so it never wins the minimum).
const adminOverviewSQL = `
WITH n AS (
	SELECT tenant_id, count(*) AS numbers,
		min(CASE quality_rating WHEN 'RED' THEN 1 WHEN 'YELLOW' THEN 2 WHEN 'GREEN' THEN 3 ELSE 4 END) AS worst,
		count(*) FILTER (WHERE status <> '' AND status <> 'CONNECTED') AS not_connected
	FROM quality_numbers GROUP BY tenant_id),
t AS (
	SELECT tenant_id, count(*) AS templates,
		min(CASE quality_score WHEN 'RED' THEN 1 WHEN 'YELLOW' THEN 2 WHEN 'GREEN' THEN 3 ELSE 4 END) AS worst,
		count(*) FILTER (WHERE status IN ('PAUSED', 'DISABLED', 'REJECTED')) AS blocked
	FROM quality_templates GROUP BY tenant_id),
a AS (
	SELECT tenant_id,
		count(*) FILTER (WHERE severity = 'critical') AS critical,
		count(*) FILTER (WHERE severity = 'warning') AS warning,
		count(*) FILTER (WHERE severity = 'info') AS info
	FROM quality_alerts WHERE resolved_at IS NULL GROUP BY tenant_id),
r AS (
	SELECT tn.id, tn.name, coalesce(n.numbers, 0) AS numbers, coalesce(n.worst, 4) AS worst_n,
		coalesce(n.not_connected, 0) AS not_connected, coalesce(t.templates, 0) AS templates, coalesce(t.worst, 4) AS worst_t,
		coalesce(t.blocked, 0) AS blocked, coalesce(a.critical, 0) AS critical, coalesce(a.warning, 0) AS warning,
		coalesce(a.info, 0) AS info
	FROM tenants tn
	LEFT JOIN n ON n.tenant_id = tn.id LEFT JOIN t ON t.tenant_id = tn.id LEFT JOIN a ON a.tenant_id = tn.id
	WHERE $3::uuid[] IS NULL OR tn.id = ANY($3))
SELECT id, name, numbers, worst_n, not_connected, templates, worst_t, blocked, critical, warning, info,
	(1000 * critical + 100 * warning + 10 * info
	 + CASE worst_n WHEN 1 THEN 5 WHEN 2 THEN 2 ELSE 0 END
	 + CASE worst_t WHEN 1 THEN 5 WHEN 2 THEN 2 ELSE 0 END)::int AS risk
FROM r
ORDER BY risk DESC, name, id
OFFSET $1 LIMIT $2`
