package sending

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// TestSubmitBurstLargerThanPool submits more sends at once than the
// database pool has connections: each must be decided and recorded, none
// left waiting for a second connection while holding the first.
func TestSubmitBurstLargerThanPool(t *testing.T) {
	const poolSize, burst = 2, 8
	owner, url := pgtest.NewWithURL(t)
	tenant := tenantstest.MustCreateTenant(t, tenantstest.NewService(t, owner), "A")
	ctx := context.Background()
	db, err := pg.Open(ctx, url, poolSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	sub := NewSubmitter(db, optins.NewService(db), func(context.Context, Send) error { return nil })
	// The deadline only stops a deadlocked run; it is not a measure.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	errs := make(chan error, burst)
	for i := range burst {
		go func() {
			_, _, err := sub.Submit(ctx, tenant.ID, Request{PhoneNumberID: "9001", To: fmt.Sprintf("1650555%04d", i),
				Message: Message{Type: TypeText, Text: &Text{Body: "hi"}}}, "")
			errs <- err
		}()
	}
	for range burst {
		if err := <-errs; err != nil {
			t.Errorf("Submit = %v", err)
		}
	}
	var n int
	if err := owner.QueryRow(context.Background(), `SELECT count(*) FROM sends WHERE tenant_id = $1`, tenant.ID).Scan(&n); err != nil || n != burst {
		t.Errorf("%d sends recorded (%v); want %d", n, err, burst)
	}
}
