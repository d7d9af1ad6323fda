package pg_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

func TestTenantTxSeesOnlyItsTenant(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	a, b := uuid.New(), uuid.New()
	for i, id := range []uuid.UUID{a, b} {
		if _, err := db.Exec(ctx, `INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)`, id, "T", []string{"ta", "tb"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"no tenant filter still scoped", `SELECT count(*) FROM tenants`, 1},
		{"other tenant's id is invisible", `SELECT count(*) FROM tenants WHERE id = '` + b.String() + `'`, 0},
		{"own id is visible", `SELECT count(*) FROM tenants WHERE id = '` + a.String() + `'`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			err := db.InTenantTx(ctx, a, func(tx pgx.Tx) error { return tx.QueryRow(ctx, tc.query).Scan(&n) })
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Fatalf("got %d rows, want %d", n, tc.want)
			}
		})
	}
	t.Run("insert for another tenant is refused", func(t *testing.T) {
		err := db.InTenantTx(ctx, a, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($1, $2, '123')`, uuid.New(), b)
			return err
		})
		if err == nil {
			t.Fatal("insert into another tenant succeeded")
		}
	})
	t.Run("system tx sees all", func(t *testing.T) {
		var n int
		if err := db.InTx(ctx, func(tx pgx.Tx) error { return tx.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("got %d, want 2", n)
		}
	})
}

func TestTranslate(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	id := uuid.New()
	insert := func() error {
		_, err := db.Exec(ctx, `INSERT INTO tenants (id, name, slug) VALUES ($1, 'x', 'dup')`, id)
		return pg.Translate(err, "tenant")
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	if got := apperr.CodeOf(insert()); got != apperr.Conflict {
		t.Fatalf("duplicate: code %q, want %q", got, apperr.Conflict)
	}
	err := pg.Translate(db.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'none'`).Scan(new(uuid.UUID)), "tenant")
	if got := apperr.CodeOf(err); got != apperr.NotFound {
		t.Fatalf("missing: code %q, want %q", got, apperr.NotFound)
	}
}

func TestMigrationStatusIsCurrent(t *testing.T) {
	db := pgtest.New(t)
	cur, latest, err := db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cur != latest || cur == 0 {
		t.Fatalf("current %d, latest %d", cur, latest)
	}
}
