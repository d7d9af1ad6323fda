package billing

import (
	"encoding/csv"
	"io"
	"strconv"
)

// WriteCSV writes the invoice as CSV: one row per line, then the monthly fee
// and the total. withCost adds Meta's unit cost and amount, for admins.
func (inv Invoice) WriteCSV(w io.Writer, withCost bool) error {
	cw := csv.NewWriter(w)
	head := []string{"month", "status", "currency", "market", "category", "rate_from", "tier_from", "quantity",
		"unit_price", "amount", "override", "verified", "rate_missing"}
	if withCost {
		head = append(head, "meta_unit_cost", "meta_amount")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	d := MinorDigits(inv.Currency)
	for _, l := range inv.Lines {
		from := ""
		if !l.RateFrom.IsZero() {
			from = l.RateFrom.Format(DateLayout)
		}
		rec := []string{inv.Month, inv.Status, inv.Currency, l.Market, l.Category, from,
			strconv.FormatInt(l.TierFrom, 10), strconv.FormatInt(l.Quantity, 10), l.UnitPrice.String(),
			l.Amount.Decimal(d), strconv.FormatBool(l.Override), strconv.FormatBool(l.Verified), strconv.FormatBool(l.RateMissing)}
		if withCost {
			rec = append(rec, l.MetaUnitCost.String(), l.MetaAmount.Decimal(d))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	for _, row := range [][2]string{{"monthly_fee", inv.MonthlyFee.Decimal(d)}, {"total", inv.Total.Decimal(d)}} {
		rec := make([]string, len(head))
		rec[0], rec[1], rec[2], rec[3], rec[9] = inv.Month, inv.Status, inv.Currency, row[0], row[1]
		if withCost && row[0] == "total" {
			rec[len(rec)-1] = inv.MetaCost.Decimal(d)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
