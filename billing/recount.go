package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Mismatch is a roll-up row that differs from the ledger it sums.
type Mismatch struct {
	// Kind names the roll-up (billing_usage_daily, billing_usage_daily_all,
	// ...) or is inbound.
	Kind          string    `json:"kind"`
	Day           time.Time `json:"day"`
	PhoneNumberID string    `json:"phone_number_id"`
	Market        string    `json:"market"`
	Category      string    `json:"category,omitempty"`
	PricingType   string    `json:"pricing_type,omitempty"`
	RateCategory  string    `json:"rate_category,omitempty"`
	RollUp        Counts    `json:"roll_up"`
	Ledger        Counts    `json:"ledger"`
	// Referrals of inbound keys, roll-up then ledger.
	RollUpReferrals int64 `json:"roll_up_referrals,omitempty"`
	LedgerReferrals int64 `json:"ledger_referrals,omitempty"`
}

// recountSQL compares every roll-up key of a range with a fresh count of the
// ledger rows behind it.
func recountSQL(table usageTable) string {
	keys, _ := table.keys()
	coalesced := []string{"coalesce(l.day, r.day)"}
	for _, c := range dimOrder {
		if table.has(c) {
			coalesced = append(coalesced, "coalesce(l."+c+", r."+c+")")
		} else {
			coalesced = append(coalesced, "''")
		}
	}
	return `
WITH l AS (
    SELECT ` + keys + `,
        count(*) AS messages, count(sent_at) AS sent,
        count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL) AS delivered,
        count(read_at) AS read, count(failed_at) AS failed,
        count(*) FILTER (WHERE charged) AS charged, count(*) FILTER (WHERE fallback) AS fallback
    FROM billing_ledger WHERE tenant_id = $1 AND day BETWEEN $2 AND $3
    GROUP BY ` + keys + `
), r AS (
    SELECT ` + keys + `, messages, sent, delivered, read, failed, charged, fallback
    FROM ` + table.name + ` WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 AND messages <> 0
)
SELECT ` + strings.Join(coalesced, ", ") + `,
    coalesce(r.messages, 0), coalesce(r.sent, 0), coalesce(r.delivered, 0), coalesce(r.read, 0), coalesce(r.failed, 0),
    coalesce(r.charged, 0), coalesce(r.fallback, 0),
    coalesce(l.messages, 0), coalesce(l.sent, 0), coalesce(l.delivered, 0), coalesce(l.read, 0), coalesce(l.failed, 0),
    coalesce(l.charged, 0), coalesce(l.fallback, 0)
FROM l FULL JOIN r USING (` + keys + `)
WHERE (l.messages, l.sent, l.delivered, l.read, l.failed, l.charged, l.fallback)
    IS DISTINCT FROM (r.messages, r.sent, r.delivered, r.read, r.failed, r.charged, r.fallback)
ORDER BY 1, 2, 3, 4, 5, 6`
}

const recountInboundSQL = `
WITH l AS (
    SELECT day, phone_number_id, market, count(*) AS messages, count(*) FILTER (WHERE referral) AS referrals
    FROM billing_inbound WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1, 2, 3
), r AS (
    SELECT day, phone_number_id, market, messages, referrals FROM billing_inbound_daily
    WHERE tenant_id = $1 AND day BETWEEN $2 AND $3
)
SELECT coalesce(l.day, r.day), coalesce(l.phone_number_id, r.phone_number_id), coalesce(l.market, r.market),
    coalesce(r.messages, 0), coalesce(r.referrals, 0), coalesce(l.messages, 0), coalesce(l.referrals, 0)
FROM l FULL JOIN r USING (day, phone_number_id, market)
WHERE (l.messages, l.referrals) IS DISTINCT FROM (r.messages, r.referrals)
ORDER BY 1, 2, 3`

// Recount checks the roll-ups of a range (by default the current month so
// far) against a fresh count of the ledger and returns every key where they
// differ; none means usage, the estimate and invoices agree with the
// per-message records.
func (s *Service) Recount(ctx context.Context, tenantID uuid.UUID, from, to time.Time) ([]Mismatch, error) {
	out := []Mismatch{}
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := tenantInfoOf(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		from, to = s.defaultRange(from, to, t.loc)
		for _, table := range usageTables {
			mm, err := recountTable(ctx, tx, table, tenantID, from, to)
			if err != nil {
				return err
			}
			out = append(out, mm...)
		}
		rows, err := tx.Query(ctx, recountInboundSQL, tenantID, from, to)
		if err != nil {
			return fmt.Errorf("billing: recount inbound: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			m := Mismatch{Kind: "inbound"}
			if err := rows.Scan(&m.Day, &m.PhoneNumberID, &m.Market, &m.RollUp.Messages, &m.RollUpReferrals,
				&m.Ledger.Messages, &m.LedgerReferrals); err != nil {
				return fmt.Errorf("billing: recount inbound: %w", err)
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

func recountTable(ctx context.Context, tx pgx.Tx, table usageTable, tenantID uuid.UUID, from, to time.Time) ([]Mismatch, error) {
	var out []Mismatch
	rows, err := tx.Query(ctx, recountSQL(table), tenantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("billing: recount %s: %w", table.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		m := Mismatch{Kind: table.name}
		r, l := &m.RollUp, &m.Ledger
		if err := rows.Scan(&m.Day, &m.PhoneNumberID, &m.Market, &m.Category, &m.PricingType, &m.RateCategory,
			&r.Messages, &r.Sent, &r.Delivered, &r.Read, &r.Failed, &r.Charged, &r.Fallback,
			&l.Messages, &l.Sent, &l.Delivered, &l.Read, &l.Failed, &l.Charged, &l.Fallback); err != nil {
			return nil, fmt.Errorf("billing: recount %s: %w", table.name, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
