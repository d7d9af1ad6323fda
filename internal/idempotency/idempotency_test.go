package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/idempotency"
	"github.com/wabsp/wabsp/internal/pgtest"
)

func TestRunOncePerKey(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE idem (tenant_id uuid, operation text, key text, request_sha256 bytea,
		response jsonb, PRIMARY KEY (tenant_id, operation, key))`); err != nil {
		t.Fatal(err)
	}
	tenant := uuid.New()
	writes := 0
	run := func(key, request string, fail bool) (int, bool, error) {
		var v int
		var replayed bool
		err := db.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			v, replayed, err = idempotency.Run(ctx, tx, "idem", tenant, "create", key, []byte(request), func() (int, error) {
				if fail {
					return 0, errors.New("write failed")
				}
				writes++
				return writes, nil
			})
			return err
		})
		return v, replayed, err
	}
	tests := []struct {
		name         string
		key, request string
		fail         bool
		want         int
		wantReplayed bool
		wantCode     apperr.Code
		wantErr      bool
	}{
		{"no key writes every time", "", "a", false, 1, false, "", false},
		{"a failed write leaves no claim", "k1", "a", true, 0, false, "", true},
		{"first use writes", "k1", "a", false, 2, false, "", false},
		{"same key and request replays", "k1", "a", false, 2, true, "", false},
		{"same key, other request conflicts", "k1", "b", false, 0, false, apperr.Conflict, true},
		{"too long a key is invalid", strings.Repeat("k", idempotency.MaxKeyLen+1), "a", false, 0, false, apperr.Invalid, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, replayed, err := run(tc.key, tc.request, tc.fail)
			if (err != nil) != tc.wantErr || (tc.wantCode != "" && apperr.CodeOf(err) != tc.wantCode) {
				t.Fatalf("err %v, want error %v with code %q", err, tc.wantErr, tc.wantCode)
			}
			if !tc.wantErr && (v != tc.want || replayed != tc.wantReplayed) {
				t.Fatalf("got %d replayed %v, want %d replayed %v", v, replayed, tc.want, tc.wantReplayed)
			}
		})
	}
}
