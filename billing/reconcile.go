package billing

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// AnalyticsPoint is one data point of Meta's pricing_analytics: delivered
// messages and their cost for a country, category and pricing type.
type AnalyticsPoint struct {
	Start, End      time.Time
	Country         string
	PricingCategory string
	PricingType     string
	Volume          int64
	Cost            Micros
}

// ParsePricingAnalytics reads the body of a Graph API pricing_analytics
// request: the WABA node ({"pricing_analytics":{"data":[{"data_points":
// [...]}]}}) or the edge alone ({"data":[...]}). Meta writes categories and
// types in upper case and cost as a JSON number; both are taken as given and
// normalised.
func ParsePricingAnalytics(raw []byte) ([]AnalyticsPoint, error) {
	type point struct {
		Start           int64       `json:"start"`
		End             int64       `json:"end"`
		Country         string      `json:"country"`
		PricingCategory string      `json:"pricing_category"`
		PricingType     string      `json:"pricing_type"`
		Volume          int64       `json:"volume"`
		Cost            json.Number `json:"cost"`
	}
	type edge struct {
		Data []struct {
			DataPoints []point `json:"data_points"`
		} `json:"data"`
	}
	var doc struct {
		PricingAnalytics *edge `json:"pricing_analytics"`
		edge
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "not a pricing_analytics response")
	}
	e := doc.edge
	if doc.PricingAnalytics != nil {
		e = *doc.PricingAnalytics
	}
	var out []AnalyticsPoint
	for _, d := range e.Data {
		for _, p := range d.DataPoints {
			cost, err := roundDecimal(p.Cost.String())
			if err != nil {
				return nil, err
			}
			out = append(out, AnalyticsPoint{Start: time.Unix(p.Start, 0).UTC(), End: time.Unix(p.End, 0).UTC(),
				Country: strings.ToUpper(p.Country), PricingCategory: NormalizeCategory(p.PricingCategory),
				PricingType: NormalizeType(p.PricingType), Volume: p.Volume, Cost: cost})
		}
	}
	return out, nil
}

// roundDecimal reads Meta's cost (a JSON number, never negative), rounding
// past six decimals half up.
func roundDecimal(s string) (Micros, error) {
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) <= 6 {
		return ParseMicros(s)
	}
	m, err := ParseMicros(whole + "." + frac[:6])
	if err == nil && frac[6] >= '5' {
		m++
	}
	return m, err
}

// ReconciliationRow compares one market, category and pricing type.
type ReconciliationRow struct {
	Market      string `json:"market"`
	Category    string `json:"category"`
	PricingType string `json:"pricing_type"`
	// Ours counts delivered messages in the ledger; Meta is Meta's volume.
	Ours       int64  `json:"ours"`
	Meta       int64  `json:"meta"`
	Difference int64  `json:"difference"`
	MetaCost   Micros `json:"meta_cost"`
}

// Reconciliation is a difference report between wabsp's counts and Meta's
// pricing analytics for a month. It is a report only: wabsp's counts are
// never changed by it.
type Reconciliation struct {
	TenantID uuid.UUID           `json:"tenant_id"`
	Month    string              `json:"month"`
	Rows     []ReconciliationRow `json:"rows"`
	// Matches is true when every row agrees.
	Matches bool `json:"matches"`
	// UnknownCountries are countries in Meta's data no market table maps.
	UnknownCountries []string `json:"unknown_countries"`
}

// Reconcile compares a month of the tenant's delivered messages with Meta's
// pricing analytics points for the same month.
func (s *Service) Reconcile(ctx context.Context, tenantID uuid.UUID, month Month, points []AnalyticsPoint) (Reconciliation, error) {
	markets, err := s.marketTable(ctx)
	if err != nil {
		return Reconciliation{}, err
	}
	rec := Reconciliation{TenantID: tenantID, Month: month.String(), Rows: []ReconciliationRow{}, UnknownCountries: []string{}}
	rows := map[[3]string]*ReconciliationRow{}
	row := func(m, c, t string) *ReconciliationRow {
		k := [3]string{m, c, t}
		if rows[k] == nil {
			rows[k] = &ReconciliationRow{Market: m, Category: c, PricingType: t}
		}
		return rows[k]
	}
	first, last := month.First(), month.Next().First().AddDate(0, 0, -1)
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, `
			SELECT market, category, pricing_type, sum(delivered)::bigint FROM billing_usage_daily_all
			WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1, 2, 3 HAVING sum(delivered) > 0`,
			tenantID, first, last)
		if err != nil {
			return fmt.Errorf("billing: reconcile: %w", err)
		}
		defer r.Close()
		for r.Next() {
			var m, c, t string
			var n int64
			if err := r.Scan(&m, &c, &t, &n); err != nil {
				return fmt.Errorf("billing: reconcile: %w", err)
			}
			row(m, c, t).Ours += n
		}
		return r.Err()
	})
	if err != nil {
		return rec, err
	}
	for _, p := range points {
		m, ok := markets.ofCountry(p.Country, first)
		if !ok {
			m = MarketOther
			if !slices.Contains(rec.UnknownCountries, p.Country) {
				rec.UnknownCountries = append(rec.UnknownCountries, p.Country)
			}
		}
		r := row(m, p.PricingCategory, p.PricingType)
		r.Meta += p.Volume
		r.MetaCost += p.Cost
	}
	rec.Matches = true
	for _, r := range rows {
		r.Difference = r.Ours - r.Meta
		rec.Matches = rec.Matches && r.Difference == 0
		rec.Rows = append(rec.Rows, *r)
	}
	slices.SortFunc(rec.Rows, func(a, b ReconciliationRow) int {
		return cmp.Or(cmp.Compare(a.Market, b.Market), cmp.Compare(a.Category, b.Category), cmp.Compare(a.PricingType, b.PricingType))
	})
	return rec, nil
}
