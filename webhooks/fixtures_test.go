package webhooks_test

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

// landing is where a change ended up: kind is status, inbound, event:<domain>
// or orphan; what is the status, message type, event name or field.
type landing struct {
	Kind, Tenant, What, Subject string
}

func ev(domain, tenant, event, subject string) landing {
	return landing{"event:" + domain, tenant, event, subject}
}

// TestFixtures runs every Meta fixture through Archive, Route and Apply and
// checks where each landed. Fixtures naming WABAs nobody owns yet must wait
// as orphans and land once their owner is onboarded.
func TestFixtures(t *testing.T) {
	e := newEnv(t)
	tenants := map[string]uuid.UUID{"main": e.seedMain(t)}
	second := e.seedTenant(t, "second")
	e.seedPhone(t, second, e.seedWABA(t, second, wabaSecond), phoneSecond, displaySec)
	partner := e.seedTenant(t, "partner")
	e.seedWABA(t, partner, wabaPartner)
	tenants["second"], tenants["partner"] = second, partner
	names := map[uuid.UUID]string{}
	for n, id := range tenants {
		names[id] = n
	}

	tests := map[string]struct {
		want []landing
		// adoptBy names the tenant that onboards the orphan's WABA.
		adoptBy string
	}{
		"account_alerts-1":                  {want: []landing{ev("quality", "main", "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED", "506914307656634")}},
		"account_review_update-1":           {want: []landing{ev("account", "main", "APPROVED", wabaMain)}},
		"account_update-1":                  {want: []landing{ev("account", "main", "ACCOUNT_DELETED", wabaMain)}},
		"account_update-2":                  {want: []landing{ev("account", "main", "ACCOUNT_RESTRICTION", wabaMain)}},
		"account_update-3":                  {want: []landing{ev("account", "main", "ACCOUNT_VIOLATION", wabaMain)}},
		"account_update-4":                  {want: []landing{ev("account", "partner", "AD_ACCOUNT_LINKED", wabaPartner)}},
		"account_update-5":                  {want: []landing{ev("account", "main", "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE", wabaMain)}},
		"account_update-6":                  {want: []landing{ev("account", "main", "DISABLED_UPDATE", wabaMain)}},
		"account_update-7":                  {want: []landing{ev("account", "partner", "MM_LITE_TERMS_SIGNED", wabaPartner)}},
		"account_update-8":                  {want: []landing{ev("account", "partner", "PARTNER_ADDED", wabaPartner)}},
		"account_update-9":                  {want: []landing{{"orphan", "", "account_update", wabaAppIn}}, adoptBy: "partner"},
		"account_update-10":                 {want: []landing{{"orphan", "", "account_update", wabaAppOut}}, adoptBy: "partner"},
		"account_update-11":                 {want: []landing{ev("account", "main", "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE", wabaMain)}},
		"account_update-12":                 {want: []landing{ev("account", "partner", "PARTNER_REMOVED", wabaPartner)}},
		"account_update-13":                 {want: []landing{ev("account", "partner", "PARTNER_REMOVED", wabaPartner)}},
		"account_update-14":                 {want: []landing{ev("account", "main", "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE", wabaMain)}},
		"account_update-15":                 {want: []landing{ev("account", "main", "VOLUME_BASED_PRICING_TIER_UPDATE", wabaMain)}},
		"account_update-16":                 {want: []landing{ev("account", "main", "ACCOUNT_OFFBOARDED", wabaMain)}},
		"account_update-17":                 {want: []landing{ev("account", "main", "ACCOUNT_RECONNECTED", wabaMain)}},
		"account_update-18":                 {want: []landing{ev("account", "second", "PARTNER_ADDED", wabaSecond)}},
		"account_update-19":                 {want: []landing{ev("account", "main", "PARTNER_REMOVED", wabaMain)}},
		"business_capability_update-1":      {want: []landing{{"orphan", "", "business_capability_update", wabaCapacity}}, adoptBy: "main"},
		"message_template_quality_update-1": {want: []landing{ev("templates", "main", "YELLOW", "806312974732579")}},
		"message_template_status_update-1":  {want: []landing{ev("templates", "main", "APPROVED", "1689556908129832")}},
		"message_template_status_update-2":  {want: []landing{ev("templates", "main", "REJECTED", "1689556908129835")}},
		"message_template_status_update-3":  {want: []landing{ev("templates", "second", "APPROVED", "64244916695")}},
		"messages-1":                        {want: []landing{{"inbound", "main", "text", "16505551234"}}},
		"messages-2":                        {want: []landing{{"status", "main", "delivered", "16505551234"}}},
		"messages-3":                        {want: []landing{{"status", "main", "sent", "16505551234"}}},
		"messages-4":                        {want: []landing{{"status", "main", "sent", "16505551234"}}},
		"messages-5":                        {want: []landing{{"status", "main", "failed", "16505551234"}}},
		"messages-6":                        {want: []landing{ev("messaging", "main", "ERROR", "130429")}},
		"messages-7":                        {want: []landing{ev("optins", "main", "user_changed_number", "16505551234")}},
		"messages-8":                        {want: []landing{{"inbound", "main", "button", "16505551234"}}},
		"messages-9":                        {want: []landing{{"status", "main", "delivered", "16505551234"}}},
		"messages-10":                       {want: []landing{{"status", "main", "delivered", "US.13491208655302741918"}}},
		"messages-11":                       {want: []landing{{"inbound", "main", "text", "US.13491208655302741918"}}},
		"messages-12":                       {want: []landing{{"inbound", "main", "text", "16505551234"}}},
		"messages-13":                       {want: []landing{{"inbound", "main", "unsupported", "16505551234"}}},
		"messages-14":                       {want: []landing{{"status", "main", "failed", "16505551234"}}},
		"messages-15":                       {want: []landing{ev("messaging", "main", "ERROR", "131035")}},
		"phone_number_name_update-1":        {want: []landing{ev("quality", "main", "APPROVED", phoneMain)}},
		"phone_number_name_update-2":        {want: []landing{ev("quality", "second", "APPROVED", phoneSecond)}},
		"phone_number_quality_update-1":     {want: []landing{ev("quality", "main", "THROUGHPUT_UPGRADE", phoneMain)}},
		"phone_number_quality_update-2":     {want: []landing{ev("quality", "second", "FLAGGED", phoneSecond)}},
		"security-1":                        {want: []landing{ev("security", "main", "PIN_RESET_REQUEST", phoneMain)}},
		"template_category_update-1":        {want: []landing{ev("templates", "main", webhooks.EventCategoryImpending, "278077987957091")}},
		"template_category_update-2":        {want: []landing{ev("templates", "main", webhooks.EventCategoryUpdated, "278077987957091")}},
		"user_preferences-1":                {want: []landing{ev("optins", "main", "resume", "16505551234")}},
	}

	all := fixtures(t)
	for name := range all {
		if _, ok := tests[name]; !ok {
			t.Errorf("fixture %s has no expectation", name)
		}
	}
	for _, name := range sortedKeys(tests) {
		tc := tests[name]
		t.Run(name, func(t *testing.T) {
			raw, ok := all[name]
			if !ok {
				t.Fatalf("fixture %s missing", name)
			}
			// Some fixtures share message ids; each case starts from empty
			// message tables so it sees its own rows.
			e.exec(t, `TRUNCATE message_statuses, inbound_messages, tenant_events`)
			e.run(t, raw)
			id := e.archiveID(t, raw)
			if diff := cmp.Diff(tc.want, e.landings(t, id, names)); diff != "" {
				t.Fatalf("landing (-want +got):\n%s", diff)
			}
			if got, err := e.svc.GetArchive(e.ctx, id); err != nil || got.Status != webhooks.StatusRouted || string(got.Body) != string(raw) {
				t.Fatalf("archive entry: status %q, exact body %v, err %v", got.Status, string(got.Body) == string(raw), err)
			}
			if tc.adoptBy == "" {
				return
			}
			var orphan landing
			for _, l := range tc.want {
				orphan = l
			}
			e.seedWABA(t, tenants[tc.adoptBy], orphan.Subject)
			batches, err := e.svc.AdoptOrphans(e.ctx, func(context.Context, []webhooks.TenantBatch) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			e.apply(t, batches)
			got := e.landings(t, id, names)
			if len(got) != 1 || got[0].Kind != "event:"+domainOfField(orphan.What) || got[0].Tenant != tc.adoptBy {
				t.Fatalf("after adoption landed as %+v, want an event of %s", got, tc.adoptBy)
			}
			if n := e.count(t, `SELECT count(*) FROM webhook_routes WHERE archive_id = $1 AND tenant_id = $2`, id, tenants[tc.adoptBy]); n != 1 {
				t.Fatalf("adoption recorded %d routes, want 1", n)
			}
		})
	}
}

func domainOfField(field string) string {
	if field == "account_update" {
		return "account"
	}
	return "quality"
}

func (e *env) archiveID(t testing.TB, raw []byte) int64 {
	t.Helper()
	var id int64
	if err := e.db.QueryRow(e.ctx, `SELECT id FROM webhook_archive WHERE body = $1`, raw).Scan(&id); err != nil {
		t.Fatalf("archived body: %v", err)
	}
	return id
}

// landings lists everything that came of one archived body. Subjects of
// statuses and inbound messages are the counterpart's wa_id, else BSUID.
func (e *env) landings(t testing.TB, archiveID int64, names map[uuid.UUID]string) []landing {
	t.Helper()
	rows, err := e.db.Query(e.ctx, `
SELECT 'status', tenant_id, status, coalesce(recipient_id, recipient_user_id, '') FROM message_statuses WHERE archive_id = $1
UNION ALL SELECT 'inbound', tenant_id, type, coalesce(from_wa_id, from_user_id, '') FROM inbound_messages WHERE archive_id = $1
UNION ALL SELECT 'event:' || domain, tenant_id, event, subject FROM tenant_events WHERE archive_id = $1
UNION ALL SELECT 'orphan', NULL, field, waba_id FROM webhook_orphans WHERE archive_id = $1 AND adopted_at IS NULL
ORDER BY 1, 3, 4`, archiveID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (landing, error) {
		var l landing
		var tenant *uuid.UUID
		err := row.Scan(&l.Kind, &tenant, &l.What, &l.Subject)
		if tenant != nil {
			l.Tenant = names[*tenant]
		}
		return l, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
