package billing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// usageTable is one of the daily roll-ups of the ledger. Each drops some
// dimensions of the full key so that the usage shapes asked most often read
// few rows: the full key by phone number, everything but the phone number,
// phone numbers without markets, and phone numbers by market alone. All
// change in the same batch as the ledger.
type usageTable struct {
	name string
	// cols are the key columns after tenant_id, day first.
	cols        []string
	upsert, del string
}

// dimOrder is the order of the text key columns of usageKey.
var dimOrder = []string{"phone_number_id", "market", "category", "pricing_type", "rate_category"}

var (
	usageByPhone = newUsageTable("billing_usage_daily", dimOrder...)
	usageAll     = newUsageTable("billing_usage_daily_all", "market", "category", "pricing_type", "rate_category")
	usagePhone   = newUsageTable("billing_usage_daily_phone", "phone_number_id", "category", "pricing_type", "rate_category")
	usagePhoneMk = newUsageTable("billing_usage_daily_phone_market", "phone_number_id", "market")
	usageTables  = []usageTable{usageByPhone, usageAll, usagePhone, usagePhoneMk}
	// phoneTables are the roll-ups usage by phone number may read, smallest
	// first.
	phoneTables = []usageTable{usagePhone, usagePhoneMk, usageByPhone}
)

func newUsageTable(name string, dims ...string) usageTable {
	u := usageTable{name: name, cols: append([]string{"day"}, dims...)}
	u.upsert, u.del = u.upsertSQL(), u.deleteEmptySQL()
	return u
}

// has reports whether the table keeps a column.
func (u usageTable) has(col string) bool { return slices.Contains(u.cols, col) }

// covers reports whether the table can answer usage grouped by cols.
func (u usageTable) covers(cols []string) bool {
	for _, c := range cols {
		if !u.has(c) {
			return false
		}
	}
	return true
}

// keyedBy reports whether the table's key is cols, but for rate_category:
// its rows are then the groups of cols, split by rate card category.
func (u usageTable) keyedBy(cols []string) bool {
	for _, c := range u.cols {
		if c != "rate_category" && !slices.Contains(cols, c) {
			return false
		}
	}
	return u.covers(cols)
}

// project drops the dimensions the table does not keep.
func (u usageTable) project(k usageKey) usageKey {
	for _, d := range []struct {
		col   string
		field *string
	}{{"phone_number_id", &k.phoneID}, {"market", &k.market}, {"category", &k.category},
		{"pricing_type", &k.pricingType}, {"rate_category", &k.rateCategory}} {
		if !u.has(d.col) {
			*d.field = ""
		}
	}
	return k
}

// keys returns the key columns and the unnest arguments from $2 binding
// them.
func (u usageTable) keys() (cols, args string) {
	list := make([]string, len(u.cols))
	for i, c := range u.cols {
		typ := "text[]"
		if c == "day" {
			typ = "date[]"
		}
		list[i] = fmt.Sprintf("$%d::%s", i+2, typ)
	}
	return strings.Join(u.cols, ", "), strings.Join(list, ", ")
}

// keyArgs returns the key arrays of the table, in keys() order; dims are in
// dimOrder.
func (u usageTable) keyArgs(days []any, dims [][]string) []any {
	args := days
	for i, c := range dimOrder {
		if u.has(c) {
			args = append(args, dims[i])
		}
	}
	return args
}

// upsertSQL adds deltas to the table's rows.
func (u usageTable) upsertSQL() string {
	keyCols, args := u.keys()
	measures := ""
	for i := range 7 {
		measures += fmt.Sprintf(", $%d::bigint[]", len(u.cols)+2+i)
	}
	return `
INSERT INTO ` + u.name + ` AS d (tenant_id, ` + keyCols + `, messages, sent, delivered, read, failed, charged, fallback)
SELECT $1::uuid, u.* FROM unnest(` + args + measures + `) AS u
ON CONFLICT (tenant_id, ` + keyCols + `) DO UPDATE SET
    messages = d.messages + excluded.messages, sent = d.sent + excluded.sent,
    delivered = d.delivered + excluded.delivered, read = d.read + excluded.read,
    failed = d.failed + excluded.failed, charged = d.charged + excluded.charged,
    fallback = d.fallback + excluded.fallback`
}

// deleteEmptySQL drops rows every message has moved out of, so the table
// holds only keys the ledger has.
func (u usageTable) deleteEmptySQL() string {
	keyCols, args := u.keys()
	cond := ""
	for _, c := range u.cols {
		cond += " AND d." + c + " = u." + c
	}
	return `DELETE FROM ` + u.name + ` d USING unnest(` + args + `) AS u(` + keyCols + `)
WHERE d.tenant_id = $1 AND d.messages = 0` + cond
}

// queueDelta applies roll-up deltas to every table in key order, so that
// two transactions touching the same rows lock them in the same order.
func queueDelta(b *pgx.Batch, tenantID uuid.UUID, delta map[usageKey]Counts) {
	for _, table := range usageTables {
		projected := map[usageKey]Counts{}
		for k, c := range delta {
			k = table.project(k)
			sum := projected[k]
			sum.add(c, 1)
			projected[k] = sum
		}
		for k, c := range projected {
			if c.zero() {
				delete(projected, k)
			}
		}
		if len(projected) > 0 {
			queueTableDelta(b, table, tenantID, projected)
		}
	}
}
