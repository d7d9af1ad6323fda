package pg_test

import (
	"context"
	"testing"

	"github.com/wabsp/wabsp/internal/pgtest"
)

// distributionExempt lists tables that carry a tenant_id column but are not
// tenant-owned in the sharding sense: they are looked up across tenants by a
// globally unique Meta or credential identifier, or their tenant_id is
// optional (partner or system rows). They stay reference (or coordinator
// local) tables when the schema is distributed on tenant_id
// (docs/scaling.md), so their keys need not contain tenant_id. Keep this list
// short: every entry is a table that cannot shard.
var distributionExempt = map[string]string{
	"wabas":                 "routing: webhook entries name a WABA id, not a tenant",
	"phone_numbers":         "routing: webhook metadata names a phone number id, not a tenant",
	"api_clients":           "authentication: a bearer token's client_id is resolved before the tenant is known",
	"console_users":         "sign-in: an email is resolved before the tenant is known; admins have no tenant",
	"audit_log":             "system actions have no tenant",
	"webhook_orphans":       "changes no tenant claims, by definition without a tenant",
	"webhook_subscriptions": "partner subscriptions span tenants and have no tenant_id",
	"webhook_idempotency":   "partner-level claims have no tenant_id",
}

// TestTenantKeysIncludeTenantID keeps the schema distributable on tenant_id:
// a distributed table's primary key and every unique constraint must contain
// the distribution column, or the database cannot enforce them per shard.
func TestTenantKeysIncludeTenantID(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	rows, err := db.Query(ctx, `
		SELECT c.relname, i.relname
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		JOIN pg_index x ON x.indrelid = c.oid AND x.indisunique
		JOIN pg_class i ON i.oid = x.indexrelid
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND NOT a.attnum = ANY ((x.indkey::int2[])[0:x.indnkeyatts - 1])
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, index string
		if err := rows.Scan(&table, &index); err != nil {
			t.Fatal(err)
		}
		if _, ok := distributionExempt[table]; ok {
			continue
		}
		t.Errorf("%s: unique index %s does not include tenant_id", table, index)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestExemptTablesExist keeps the exemption list from outliving its tables.
func TestExemptTablesExist(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	for table := range distributionExempt {
		t.Run(table, func(t *testing.T) {
			var n int
			err := db.QueryRow(ctx, `SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
				WHERE c.relname = $1 AND a.attname = 'tenant_id'`, table).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("exempt table %s has no tenant_id column; drop it from the list", table)
			}
		})
	}
}

// TestTenantForeignKeysCarryTenantID keeps foreign keys between tenant tables
// co-locatable: a distributed table may only reference another distributed
// table through the distribution column.
func TestTenantForeignKeysCarryTenantID(t *testing.T) {
	db := pgtest.New(t)
	rows, err := db.Query(context.Background(), `
		SELECT f.conrelid::regclass::text, f.confrelid::regclass::text, f.conname
		FROM pg_constraint f
		JOIN pg_class c ON c.oid = f.conrelid AND NOT c.relispartition
		JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attname = 'tenant_id'
		JOIN pg_attribute ra ON ra.attrelid = f.confrelid AND ra.attname = 'tenant_id'
		WHERE f.contype = 'f' AND NOT a.attnum = ANY (f.conkey)
		ORDER BY 1, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, ref, name string
		if err := rows.Scan(&table, &ref, &name); err != nil {
			t.Fatal(err)
		}
		_, exemptTable := distributionExempt[table]
		_, exemptRef := distributionExempt[ref]
		if exemptTable || exemptRef {
			continue
		}
		t.Errorf("%s: foreign key %s to %s does not include tenant_id", table, name, ref)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
