package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wabsp/wabsp/internal/pg"
)

// ledgerWrite is the writes of one apply: new and changed ledger rows, the
// roll-up deltas they cause, and inbound messages.
type ledgerWrite struct {
	tenantID uuid.UUID
	inserts  []ledgerRow
	updates  []ledgerRow
	delta    map[usageKey]Counts
	inbounds []inboundRow
	windows  map[[2]string]time.Time
}

// change records the move of one message from prev to next: its
// contribution leaves prev's roll-up row and joins next's.
func (w *ledgerWrite) change(prev, next ledgerRow, existed bool) {
	if existed && prev.equal(next) {
		return
	}
	if existed {
		w.updates = append(w.updates, next)
		k, c := prev.contribution()
		w.move(k, c, -1)
	} else {
		w.inserts = append(w.inserts, next)
	}
	k, c := next.contribution()
	w.move(k, c, 1)
}

func (w *ledgerWrite) move(k usageKey, c Counts, sign int64) {
	d := w.delta[k]
	d.add(c, sign)
	if d.zero() {
		delete(w.delta, k)
		return
	}
	w.delta[k] = d
}

// inboundRow is one billing_inbound row.
type inboundRow struct {
	inboundObs
	market string
	day    time.Time
}

// inbound places inbound messages and opens service windows. Duplicates
// within the batch collapse here; ones already stored are skipped by the
// insert, which is what the inbound roll-up counts.
func (w *ledgerWrite) addInbound(obs []inboundObs, markets *marketTable, loc *time.Location) {
	seen := map[string]bool{}
	w.windows = map[[2]string]time.Time{}
	for _, o := range obs {
		if o.sender != "" {
			k := [2]string{o.phoneID, o.sender}
			if o.at.After(w.windows[k]) {
				w.windows[k] = o.at
			}
		}
		if seen[o.wamid] {
			continue
		}
		seen[o.wamid] = true
		day := dayIn(o.at, loc)
		m := markets.marketOf(digitsIfNumber(o.sender), o.sender, day)
		w.inbounds = append(w.inbounds, inboundRow{inboundObs: o, market: m, day: day})
	}
	slices.SortFunc(w.inbounds, func(a, b inboundRow) int { return cmp.Compare(a.wamid, b.wamid) })
}

// digitsIfNumber returns s when it is a wa_id (digits), "" for a BSUID.
func digitsIfNumber(s string) string {
	if s != "" && digitsOf(s) == s {
		return s
	}
	return ""
}

func (w *ledgerWrite) flush(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	if len(w.inserts) > 0 {
		queueLedger(b, insertLedgerSQL, w.tenantID, w.inserts)
	}
	if len(w.updates) > 0 {
		queueLedger(b, updateLedgerSQL, w.tenantID, w.updates)
	}
	if len(w.delta) > 0 {
		queueDelta(b, w.tenantID, w.delta)
	}
	if len(w.inbounds) > 0 {
		queueInbound(b, w.tenantID, w.inbounds)
	}
	if len(w.windows) > 0 {
		queueWindows(b, w.tenantID, w.windows)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("billing: write ledger: %w", err)
	}
	return nil
}

const ledgerArgs = `unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::bool[], $12::int2[], $13::bool[], $14::bool[], $15::timestamptz[],
    $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::int[],
    $21::timestamptz[], $22::date[], $23::date[])
    AS u(wamid, phone_number_id, recipient, recipient_user_id, market, category, rate_category,
         pricing_type, pricing_model, billable, pricing_rank, fallback, charged, first_seen_at,
         sent_at, delivered_at, read_at, failed_at, error_code, billed_at, day, month)`

// insertLedgerSQL pins each new message's month in billing_ledger_keys and
// writes its row into that month, in one statement. The rows are new (the
// read under the tenant's ledger lock found none), so their keys normally
// are too; a key left from an earlier row (retention deleted the row but
// not yet its month) conflicts, and the no-op update returns its month
// rather than dropping the row. Every row gets exactly one pinned month.
const insertLedgerSQL = `
WITH u AS MATERIALIZED (SELECT * FROM ` + ledgerArgs + `),
pinned AS (
    INSERT INTO billing_ledger_keys AS k (tenant_id, wamid, month)
    SELECT $1::uuid, wamid, month FROM u
    ON CONFLICT (tenant_id, wamid) DO UPDATE SET month = k.month
    RETURNING wamid, month
)
INSERT INTO billing_ledger (tenant_id, wamid, phone_number_id, recipient, recipient_user_id, market, category,
    rate_category, pricing_type, pricing_model, billable, pricing_rank, fallback, charged, first_seen_at,
    sent_at, delivered_at, read_at, failed_at, error_code, billed_at, day, month)
SELECT $1::uuid, u.wamid, u.phone_number_id, u.recipient, u.recipient_user_id, u.market, u.category,
    u.rate_category, u.pricing_type, u.pricing_model, u.billable, u.pricing_rank, u.fallback, u.charged,
    u.first_seen_at, u.sent_at, u.delivered_at, u.read_at, u.failed_at, u.error_code, u.billed_at, u.day, p.month
FROM u JOIN pinned p USING (wamid)`

const updateLedgerSQL = `
UPDATE billing_ledger l SET phone_number_id = u.phone_number_id, recipient = u.recipient,
    recipient_user_id = u.recipient_user_id, market = u.market, category = u.category,
    rate_category = u.rate_category, pricing_type = u.pricing_type, pricing_model = u.pricing_model,
    billable = u.billable, pricing_rank = u.pricing_rank, fallback = u.fallback, charged = u.charged,
    first_seen_at = u.first_seen_at, sent_at = u.sent_at, delivered_at = u.delivered_at, read_at = u.read_at,
    failed_at = u.failed_at, error_code = u.error_code, billed_at = u.billed_at, day = u.day, updated_at = now()
FROM ` + ledgerArgs + `
WHERE l.tenant_id = $1 AND l.wamid = u.wamid AND l.month = u.month`

func queueLedger(b *pgx.Batch, sql string, tenantID uuid.UUID, rows []ledgerRow) {
	n := len(rows)
	texts := make([][]pgtype.Text, 9)
	for i := range texts {
		texts[i] = make([]pgtype.Text, n)
	}
	billable, rank := make([]pgtype.Bool, n), make([]int16, n)
	fallback, charged := make([]bool, n), make([]bool, n)
	times := make([][]pgtype.Timestamptz, 6)
	for i := range times {
		times[i] = make([]pgtype.Timestamptz, n)
	}
	codes, days, months := make([]pgtype.Int4, n), make([]time.Time, n), make([]time.Time, n)
	for i, r := range rows {
		for j, s := range []string{r.wamid, r.phoneID, r.recipient, r.userID, r.market, r.category, r.rateCategory, r.pricingType, r.model} {
			// Only recipient and recipient_user_id are nullable.
			texts[j][i] = pgtype.Text{String: s, Valid: s != "" || (j != 2 && j != 3)}
		}
		if r.billable != nil {
			billable[i] = pgtype.Bool{Bool: *r.billable, Valid: true}
		}
		rank[i], fallback[i], charged[i] = r.pricingRank, r.fallback, r.charged
		for j, t := range []time.Time{r.firstSeen, r.sent, r.delivered, r.read, r.failed, r.billedAt} {
			times[j][i] = pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
		}
		codes[i] = pgtype.Int4{Int32: r.errorCode, Valid: r.hasErrorCode}
		days[i], months[i] = r.day, r.month
		if r.month.IsZero() {
			months[i] = pg.MonthStart(r.firstSeen)
		}
	}
	b.Queue(sql, tenantID, texts[0], texts[1], texts[2], texts[3], texts[4], texts[5], texts[6], texts[7], texts[8],
		billable, rank, fallback, charged, times[0], times[1], times[2], times[3], times[4], codes, times[5], days, months)
}

func queueTableDelta(b *pgx.Batch, table usageTable, tenantID uuid.UUID, delta map[usageKey]Counts) {
	keys := make([]usageKey, 0, len(delta))
	for k := range delta {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, usageKey.compare)
	n := len(keys)
	days := make([]time.Time, n)
	dims := make([][]string, 5)
	for i := range dims {
		dims[i] = make([]string, n)
	}
	ms := make([][]int64, 7)
	for i := range ms {
		ms[i] = make([]int64, n)
	}
	var shrunk []int
	for i, k := range keys {
		days[i] = k.day
		dims[0][i], dims[1][i], dims[2][i], dims[3][i], dims[4][i] = k.phoneID, k.market, k.category, k.pricingType, k.rateCategory
		c := delta[k]
		for j, v := range []int64{c.Messages, c.Sent, c.Delivered, c.Read, c.Failed, c.Charged, c.Fallback} {
			ms[j][i] = v
		}
		if c.Messages < 0 {
			shrunk = append(shrunk, i)
		}
	}
	args := append([]any{tenantID}, table.keyArgs([]any{days}, dims)...)
	for _, m := range ms {
		args = append(args, m)
	}
	b.Queue(table.upsert, args...)
	if len(shrunk) == 0 {
		return
	}
	sd := make([]time.Time, len(shrunk))
	sk := make([][]string, 5)
	for j := range sk {
		sk[j] = make([]string, len(shrunk))
	}
	for x, i := range shrunk {
		sd[x] = days[i]
		for j := range sk {
			sk[j][x] = dims[j][i]
		}
	}
	b.Queue(table.del, append([]any{tenantID}, table.keyArgs([]any{sd}, sk)...)...)
}

const insertInboundSQL = `
WITH ins AS (
    INSERT INTO billing_inbound (tenant_id, wamid, phone_number_id, sender, market, referral, sent_at, day)
    SELECT $1::uuid, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::timestamptz[], $8::date[])
        AS u(wamid, phone_number_id, sender, market, referral, sent_at, day)
    ON CONFLICT (tenant_id, wamid) DO NOTHING
    RETURNING day, phone_number_id, market, referral
)
INSERT INTO billing_inbound_daily AS d (tenant_id, day, phone_number_id, market, messages, referrals)
SELECT $1::uuid, day, phone_number_id, market, count(*), count(*) FILTER (WHERE referral)
FROM ins GROUP BY day, phone_number_id, market ORDER BY day, phone_number_id, market
ON CONFLICT (tenant_id, day, phone_number_id, market) DO UPDATE SET
    messages = d.messages + excluded.messages, referrals = d.referrals + excluded.referrals`

func queueInbound(b *pgx.Batch, tenantID uuid.UUID, rows []inboundRow) {
	n := len(rows)
	wamids, phones, senders, markets := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	referral, at, days := make([]bool, n), make([]time.Time, n), make([]time.Time, n)
	for i, r := range rows {
		wamids[i], phones[i], senders[i], markets[i] = r.wamid, r.phoneID, r.sender, r.market
		referral[i], at[i], days[i] = r.referral, r.at, r.day
	}
	b.Queue(insertInboundSQL, tenantID, wamids, phones, senders, markets, referral, at, days)
}

const upsertWindowsSQL = `
INSERT INTO billing_service_windows AS w (tenant_id, phone_number_id, contact, last_inbound_at)
SELECT $1::uuid, u.* FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS u(phone_number_id, contact, at)
ORDER BY 1, 2, 3
ON CONFLICT (tenant_id, phone_number_id, contact) DO UPDATE SET last_inbound_at = excluded.last_inbound_at
WHERE excluded.last_inbound_at > w.last_inbound_at`

func queueWindows(b *pgx.Batch, tenantID uuid.UUID, windows map[[2]string]time.Time) {
	keys := make([][2]string, 0, len(windows))
	for k := range windows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	phones, contacts, at := make([]string, len(keys)), make([]string, len(keys)), make([]time.Time, len(keys))
	for i, k := range keys {
		phones[i], contacts[i], at[i] = k[0], k[1], windows[k]
	}
	b.Queue(upsertWindowsSQL, tenantID, phones, contacts, at)
}
