package console

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants"
)

// Risks is the part of the quality domain that ranks tenants.
type Risks interface {
	AdminOverview(ctx context.Context, p quality.Page) (quality.List[quality.TenantRisk], error)
	TenantRisks(ctx context.Context, tenantIDs []uuid.UUID) ([]quality.TenantRisk, error)
}

// Limits reads how much of their messaging limits tenants used.
type Limits interface {
	LimitUses(ctx context.Context, tenantIDs []uuid.UUID, now time.Time) (map[uuid.UUID]sending.LimitUse, error)
}

// riskRow is one tenant's line on the home page.
type riskRow struct {
	quality.TenantRisk
	Use sending.LimitUse
	// Headroom is the unique users left under the limit, HeadroomPct that
	// as a share of the limit; HasHeadroom is false when the limit is
	// unknown or unlimited.
	Headroom, HeadroomPct int
	HasHeadroom           bool
}

// riskRows reads the factors of the tenants p oversees: every tenant (the
// riskiest tenantListLimit) for an admin, its own for a partner.
func (c *console) riskRows(ctx context.Context, p auth.Principal) ([]riskRow, error) {
	var risks []quality.TenantRisk
	if p.Role == auth.RoleAdmin {
		l, err := c.cfg.Risks.AdminOverview(ctx, quality.Page{Limit: tenantListLimit})
		if err != nil {
			return nil, err
		}
		risks = l.Items
	} else {
		l, err := c.cfg.Users.ListTenants(ctx, tenants.TenantFilter{PartnerID: p.PartnerID}, tenants.Page{Limit: tenantListLimit})
		if err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, len(l.Items))
		for i, t := range l.Items {
			ids[i] = t.ID
		}
		if risks, err = c.cfg.Risks.TenantRisks(ctx, ids); err != nil {
			return nil, err
		}
	}
	rows := make([]riskRow, len(risks))
	ids := make([]uuid.UUID, len(risks))
	for i, r := range risks {
		rows[i], ids[i] = riskRow{TenantRisk: r}, r.TenantID
	}
	if c.cfg.Limits != nil {
		uses, err := c.cfg.Limits.LimitUses(ctx, ids, c.cfg.Now())
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i].setUse(uses[rows[i].TenantID])
		}
	}
	sortByRisk(rows)
	return rows, nil
}

func (r *riskRow) setUse(u sending.LimitUse) {
	r.Use = u
	r.Headroom, r.HasHeadroom = u.Headroom()
	if limit, ok := sending.LimitOf(u.Limit); ok && r.HasHeadroom {
		r.HeadroomPct = r.Headroom * 100 / limit
	}
}

// sortByRisk puts the worst tenants first, factor by factor in the order
// an operator acts on them: open critical alerts, the worst number rating,
// blocked templates, then the least headroom under the messaging limit.
// The quality score and the name break ties.
func sortByRisk(rows []riskRow) {
	slices.SortStableFunc(rows, func(a, b riskRow) int {
		if d := b.OpenCritical - a.OpenCritical; d != 0 {
			return d
		}
		if d := ratingRank(a.WorstNumberRating) - ratingRank(b.WorstNumberRating); d != 0 {
			return d
		}
		if d := b.TemplatesBlocked - a.TemplatesBlocked; d != 0 {
			return d
		}
		if d := a.headroomRank() - b.headroomRank(); d != 0 {
			return d
		}
		if d := b.Risk - a.Risk; d != 0 {
			return d
		}
		return strings.Compare(a.TenantName, b.TenantName)
	})
}

// ratingRank orders ratings worst first; unrated and numberless last.
func ratingRank(r string) int {
	switch r {
	case quality.Red:
		return 0
	case quality.Yellow:
		return 1
	case quality.Green:
		return 2
	}
	return 3
}

// headroomRank is the headroom percentage, 101 when there is no figure.
func (r riskRow) headroomRank() int {
	if !r.HasHeadroom {
		return 101
	}
	return r.HeadroomPct
}
