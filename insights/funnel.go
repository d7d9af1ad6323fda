package insights

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Funnel groupings besides the periods.
const (
	ByPhoneNumber = "phone_number"
	ByTemplate    = "template"
	ByCampaign    = "campaign"
)

// FunnelQuery selects a funnel: a range of days, optional filters and at
// most two groupings (a dimension and/or a period).
type FunnelQuery struct {
	Range
	PhoneNumberID string
	Template      string
	Campaign      string
	GroupBy       []string
}

// FunnelCounts are outbound messages by how far they got. Every message
// counts once, on the day of its first status; sent includes messages Meta
// reported delivered or read without a sent status.
type FunnelCounts struct {
	Messages  int64 `json:"messages"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Read      int64 `json:"read"`
	Replied   int64 `json:"replied"`
	Failed    int64 `json:"failed"`
}

// FunnelRates are the step-to-step rates of a funnel; nil when the
// denominator is zero.
type FunnelRates struct {
	DeliveredOfSent    *float64 `json:"delivered_of_sent"`
	ReadOfDelivered    *float64 `json:"read_of_delivered"`
	RepliedOfDelivered *float64 `json:"replied_of_delivered"`
	FailedOfMessages   *float64 `json:"failed_of_messages"`
}

func (c FunnelCounts) rates() FunnelRates {
	return FunnelRates{DeliveredOfSent: ratio(c.Delivered, c.Sent), ReadOfDelivered: ratio(c.Read, c.Delivered),
		RepliedOfDelivered: ratio(c.Replied, c.Delivered), FailedOfMessages: ratio(c.Failed, c.Messages)}
}

// FunnelRow is the funnel of one group; the key fields of the groupings
// asked for are set.
type FunnelRow struct {
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	Template      string `json:"template,omitempty"`
	Campaign      string `json:"campaign,omitempty"`
	Period        string `json:"period,omitempty"`
	FunnelCounts
	Rates FunnelRates `json:"rates"`
}

// FailureCount is how many messages failed with one Meta error.
type FailureCount struct {
	Code   int32  `json:"code"`
	Title  string `json:"title"`
	Failed int64  `json:"failed"`
}

// Funnel is the answer to a FunnelQuery.
type Funnel struct {
	TimeZone string         `json:"time_zone"`
	Total    FunnelRow      `json:"total"`
	Groups   []FunnelRow    `json:"groups"`
	Failures []FailureCount `json:"failures"`
	// Received counts inbound messages in the range (on the number asked
	// for); they belong to no template or campaign.
	Received int64 `json:"received"`
	// The ratios reporting guides call out.
	ReadVsDelivered     *float64 `json:"read_vs_delivered"`
	ReceivedVsDelivered *float64 `json:"received_vs_delivered"`
	DeliveredVsSent     *float64 `json:"delivered_vs_sent"`
}

var funnelDims = map[string]string{ByPhoneNumber: "phone_number_id", ByTemplate: "template_name", ByCampaign: "campaign"}

// Funnel returns sent → delivered → read → replied counts with failures.
func (s *Service) Funnel(ctx context.Context, tenantID uuid.UUID, q FunnelQuery) (Funnel, error) {
	if len(q.GroupBy) > 2 {
		return Funnel{}, apperr.InvalidField("group_by", "at most two groupings")
	}
	from, to, err := s.span(ctx, tenantID, q.Range)
	if err != nil {
		return Funnel{}, err
	}
	var cols []string
	var period string
	for _, g := range q.GroupBy {
		if c, ok := funnelDims[g]; ok && len(cols) == 0 {
			cols = append(cols, c)
			continue
		}
		if p, ok := periodExpr(g, "day"); ok && period == "" {
			period = p
			continue
		}
		return Funnel{}, apperr.InvalidField("group_by", "at most one of phone_number, template, campaign and one of day, week, month")
	}
	w := &where{}
	w.add("tenant_id = ?", tenantID)
	w.add("day >= ?", from.time())
	w.add("day < ?", to.time())
	if q.PhoneNumberID != "" {
		w.add("phone_number_id = ?", q.PhoneNumberID)
	}
	if q.Template != "" {
		w.add("template_name = ?", q.Template)
	}
	if q.Campaign != "" {
		w.add("campaign = ?", q.Campaign)
	}
	var out Funnel
	err = s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tzName, _, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out.TimeZone = tzName
		return out.read(ctx, tx, w, cols, period, q)
	})
	return out, err
}

const funnelSums = `coalesce(sum(messages), 0), coalesce(sum(sent), 0), coalesce(sum(delivered), 0),
    coalesce(sum(read), 0), coalesce(sum(replied), 0), coalesce(sum(failed), 0)`

func (f *Funnel) read(ctx context.Context, tx pgx.Tx, w *where, cols []string, period string, q FunnelQuery) error {
	keys := append([]string{}, cols...)
	if period != "" {
		keys = append(keys, period)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT `+funnelSums+` FROM insight_funnel_daily WHERE `+w.sql(), w.args...)
	if len(keys) > 0 {
		sel := make([]string, len(keys))
		for i, k := range keys {
			sel[i] = k + "::text"
		}
		b.Queue(`SELECT `+strings.Join(sel, ", ")+`, `+funnelSums+` FROM insight_funnel_daily WHERE `+w.sql()+
			` GROUP BY `+strings.Join(keys, ", ")+` ORDER BY `+strings.Join(keys, ", "), w.args...)
	}
	b.Queue(`SELECT error_code, error_title, sum(failed) FROM insight_failures_daily WHERE `+w.sql()+`
		GROUP BY error_code, error_title HAVING sum(failed) <> 0 ORDER BY sum(failed) DESC, error_code`, w.args...)
	in := &where{}
	in.add("tenant_id = ?", w.args[0])
	in.add("day >= ?", w.args[1])
	in.add("day < ?", w.args[2])
	in.add("direction = ?", "in")
	if q.PhoneNumberID != "" {
		in.add("phone_number_id = ?", q.PhoneNumberID)
	}
	b.Queue(`SELECT coalesce(sum(messages), 0) FROM insight_hourly WHERE `+in.sql(), in.args...)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	c := &f.Total.FunnelCounts
	if err := br.QueryRow().Scan(&c.Messages, &c.Sent, &c.Delivered, &c.Read, &c.Replied, &c.Failed); err != nil {
		return fmt.Errorf("insights: read funnel: %w", err)
	}
	f.Total.Rates = c.rates()
	f.Groups = []FunnelRow{}
	if len(keys) > 0 {
		if err := f.readGroups(br, cols, period != ""); err != nil {
			return err
		}
	}
	f.Failures = []FailureCount{}
	rows, _ := br.Query()
	for rows.Next() {
		var fc FailureCount
		if err := rows.Scan(&fc.Code, &fc.Title, &fc.Failed); err != nil {
			rows.Close()
			return fmt.Errorf("insights: scan failures: %w", err)
		}
		f.Failures = append(f.Failures, fc)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read failures: %w", err)
	}
	if err := br.QueryRow().Scan(&f.Received); err != nil {
		return fmt.Errorf("insights: read received: %w", err)
	}
	f.ReadVsDelivered = ratio(c.Read, c.Delivered)
	f.ReceivedVsDelivered = ratio(f.Received, c.Delivered)
	f.DeliveredVsSent = ratio(c.Delivered, c.Sent)
	return nil
}

func (f *Funnel) readGroups(br pgx.BatchResults, cols []string, byPeriod bool) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		var r FunnelRow
		var dim, per string
		dest := []any{}
		if len(cols) > 0 {
			dest = append(dest, &dim)
		}
		if byPeriod {
			dest = append(dest, &per)
		}
		c := &r.FunnelCounts
		dest = append(dest, &c.Messages, &c.Sent, &c.Delivered, &c.Read, &c.Replied, &c.Failed)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("insights: scan funnel group: %w", err)
		}
		if len(cols) > 0 {
			switch cols[0] {
			case "phone_number_id":
				r.PhoneNumberID = dim
			case "template_name":
				r.Template = dim
			case "campaign":
				r.Campaign = dim
			}
		}
		if byPeriod {
			r.Period = per
		}
		if c.Messages == 0 && c.Failed == 0 {
			continue
		}
		r.Rates = c.rates()
		f.Groups = append(f.Groups, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read funnel groups: %w", err)
	}
	return nil
}
