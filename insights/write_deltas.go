package insights

import (
	"cmp"
	"time"

	"github.com/jackc/pgx/v5"
)

// queueDeltas adds every roll-up delta: one statement per table, keys in
// table order.
func (u *unit) queueDeltas(b *pgx.Batch) {
	u.queueFunnel(b)
	u.queueFailures(b)
	u.queueHourly(b)
	u.queueExperiments(b)
	u.queuePeriods(b)
}

func (u *unit) queueFunnel(b *pgx.Batch) {
	keys := u.d.funnel.sorted(cmpFunnel)
	if len(keys) == 0 {
		return
	}
	n := len(keys)
	days, phones, templates, campaigns := make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n)
	var c [6][]int64
	for k := range c {
		c[k] = make([]int64, n)
	}
	for i, k := range keys {
		days[i], phones[i], templates[i], campaigns[i] = k.day.time(), k.phone, k.template, k.campaign
		for j, v := range u.d.funnel[k] {
			c[j][i] = v
		}
	}
	b.Queue(`INSERT INTO insight_funnel_daily AS f (tenant_id, day, phone_number_id, template_name, campaign,
		    messages, sent, delivered, read, replied, failed)
		SELECT $1, u.* FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[],
		    $8::int8[], $9::int8[], $10::int8[], $11::int8[]) AS u
		ON CONFLICT (tenant_id, day, phone_number_id, template_name, campaign) DO UPDATE SET
		    messages = f.messages + excluded.messages, sent = f.sent + excluded.sent,
		    delivered = f.delivered + excluded.delivered, read = f.read + excluded.read,
		    replied = f.replied + excluded.replied, failed = f.failed + excluded.failed`,
		u.tenantID, days, phones, templates, campaigns, c[0], c[1], c[2], c[3], c[4], c[5])
	u.queuedWrites++
}

func (u *unit) queueFailures(b *pgx.Batch) {
	keys := u.d.failures.sorted(func(a, b failureKey) int {
		return cmp.Or(cmpFunnel(a.funnelKey, b.funnelKey), cmp.Compare(a.code, b.code), cmp.Compare(a.title, b.title))
	})
	if len(keys) == 0 {
		return
	}
	n := len(keys)
	days, phones, templates, campaigns := make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n)
	codes, titles, counts := make([]int32, n), make([]string, n), make([]int64, n)
	for i, k := range keys {
		days[i], phones[i], templates[i], campaigns[i] = k.day.time(), k.phone, k.template, k.campaign
		codes[i], titles[i], counts[i] = k.code, k.title, u.d.failures[k][0]
	}
	b.Queue(`INSERT INTO insight_failures_daily AS f (tenant_id, day, phone_number_id, template_name, campaign,
		    error_code, error_title, failed)
		SELECT $1, u.* FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
		    $8::int8[]) AS u
		ON CONFLICT (tenant_id, day, phone_number_id, template_name, campaign, error_code, error_title)
		DO UPDATE SET failed = f.failed + excluded.failed`,
		u.tenantID, days, phones, templates, campaigns, codes, titles, counts)
	u.queuedWrites++
}

func (u *unit) queueHourly(b *pgx.Batch) {
	keys := u.d.hourly.sorted(func(a, b hourKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.hour, b.hour), cmp.Compare(a.phone, b.phone),
			cmp.Compare(a.dir, b.dir))
	})
	if len(keys) == 0 {
		return
	}
	n := len(keys)
	days, hours, phones, dirs, counts := make([]time.Time, n), make([]int16, n), make([]string, n), make([]string, n), make([]int64, n)
	for i, k := range keys {
		days[i], hours[i], phones[i], dirs[i], counts[i] = k.day.time(), k.hour, k.phone, k.dir, u.d.hourly[k][0]
	}
	b.Queue(`INSERT INTO insight_hourly AS h (tenant_id, day, hour, phone_number_id, direction, messages)
		SELECT $1, u.* FROM unnest($2::date[], $3::int2[], $4::text[], $5::text[], $6::int8[]) AS u
		ON CONFLICT (tenant_id, day, hour, phone_number_id, direction)
		DO UPDATE SET messages = h.messages + excluded.messages`, u.tenantID, days, hours, phones, dirs, counts)
	u.queuedWrites++
}

func (u *unit) queueExperiments(b *pgx.Batch) {
	keys := u.d.experiments.sorted(func(a, b expKey) int {
		return cmp.Or(cmp.Compare(a.experiment, b.experiment), cmp.Compare(a.variant, b.variant), cmp.Compare(a.day, b.day))
	})
	if len(keys) == 0 {
		return
	}
	n := len(keys)
	exps, variants, days := make([]string, n), make([]string, n), make([]time.Time, n)
	var c [7][]int64
	for k := range c {
		c[k] = make([]int64, n)
	}
	for i, k := range keys {
		exps[i], variants[i], days[i] = k.experiment, k.variant, k.day.time()
		for j, v := range u.d.experiments[k] {
			c[j][i] = v
		}
	}
	b.Queue(`INSERT INTO insight_experiment_daily AS e (tenant_id, experiment, variant, day, messages, sent,
		    delivered, read, replied, failed, blocked)
		SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::date[], $5::int8[], $6::int8[], $7::int8[],
		    $8::int8[], $9::int8[], $10::int8[], $11::int8[]) AS u
		ON CONFLICT (tenant_id, experiment, variant, day) DO UPDATE SET
		    messages = e.messages + excluded.messages, sent = e.sent + excluded.sent,
		    delivered = e.delivered + excluded.delivered, read = e.read + excluded.read,
		    replied = e.replied + excluded.replied, failed = e.failed + excluded.failed,
		    blocked = e.blocked + excluded.blocked`,
		u.tenantID, exps, variants, days, c[0], c[1], c[2], c[3], c[4], c[5], c[6])
	u.queuedWrites++
}

// queuePeriods writes the "new contacts" deltas; active counts are written
// with the period rows in queueContacts.
func (u *unit) queuePeriods(b *pgx.Batch) {
	keys := u.d.periods.sorted(func(a, b periodKey) int {
		return cmp.Or(cmp.Compare(a.grain, b.grain), cmp.Compare(a.period, b.period))
	})
	if len(keys) == 0 {
		return
	}
	n := len(keys)
	gs, ps, news := make([]string, n), make([]time.Time, n), make([]int64, n)
	for i, k := range keys {
		gs[i], ps[i], news[i] = string(k.grain), k.period.time(), u.d.periods[k][1]
	}
	b.Queue(`INSERT INTO insight_contact_counts AS c (tenant_id, grain, period, new)
		SELECT $1, u.* FROM unnest($2::text[], $3::date[], $4::int8[]) AS u
		ON CONFLICT (tenant_id, grain, period) DO UPDATE SET new = c.new + excluded.new`, u.tenantID, gs, ps, news)
	u.queuedWrites++
}
