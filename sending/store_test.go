package sending

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func insertSend(t *testing.T, db interface {
	InTenantTx(context.Context, uuid.UUID, func(pgx.Tx) error) error
}, s Send) Send {
	t.Helper()
	var out Send
	err := db.InTenantTx(context.Background(), s.TenantID, func(tx pgx.Tx) error {
		var err error
		out, err = Insert(context.Background(), tx, s)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func templateSend(tenantID uuid.UUID, to string, state State) Send {
	return Send{ID: uuid.New(), TenantID: tenantID, PhoneNumberID: "9001", Recipient: to, State: state,
		Message: Message{Type: TypeTemplate, Template: &Template{Name: "spring", Language: "en_US"}}}
}

func TestStoreLifecycleAndIsolation(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	a := tenantstest.MustCreateTenant(t, svc, "A")
	b := tenantstest.MustCreateTenant(t, svc, "B")
	ctx := context.Background()
	st := NewStore(db)

	s := insertSend(t, db, templateSend(a.ID, "15550001", StateQueued))
	got, ok, err := st.Begin(ctx, a.ID, s.ID)
	if err != nil || !ok || got.Attempts != 1 || got.State != StateSending {
		t.Fatalf("Begin = %+v, %v, %v", got, ok, err)
	}
	if err := st.MarkSent(ctx, a.ID, s.ID, "wamid.1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Begin(ctx, a.ID, s.ID); err != nil || ok {
		t.Fatalf("Begin on a sent send = %v, %v; want not begun", ok, err)
	}
	got, err = st.Get(ctx, a.ID, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{StateSent, "wamid.1", "spring"}, []any{got.State, got.Wamid, got.Message.Template.Name}); diff != "" {
		t.Errorf("stored send (-want +got):\n%s", diff)
	}
	if _, err := st.Get(ctx, b.ID, s.ID); err == nil {
		t.Error("tenant B read tenant A's send")
	} else if e, ok := apperr.As(err); !ok || e.Code != apperr.NotFound {
		t.Errorf("tenant B Get = %v; want not found", err)
	}
	dup := templateSend(a.ID, "15550002", StateQueued)
	dup = insertSend(t, db, dup)
	if err := st.MarkSent(ctx, a.ID, dup.ID, "wamid.1"); err == nil {
		t.Error("a second send with the same wamid was stored")
	}
}

func TestStoreListAndRecentRecipients(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	a := tenantstest.MustCreateTenant(t, svc, "A")
	ctx := context.Background()
	st := NewStore(db)
	for _, c := range []struct {
		to    string
		state State
	}{{"15550001", StateSent}, {"15550001", StateQueued}, {"15550002", StateQueued}, {"15550003", StateRefused}} {
		insertSend(t, db, templateSend(a.ID, c.to, c.state))
	}
	tests := []struct {
		name  string
		state State
		want  int
	}{
		{name: "all", want: 4},
		{name: "queued", state: StateQueued, want: 2},
		{name: "refused", state: StateRefused, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			p := paging.Page{Limit: 1}
			for {
				l, err := st.List(ctx, a.ID, tc.state, p)
				if err != nil {
					t.Fatal(err)
				}
				n += len(l.Items)
				if l.NextCursor == "" {
					break
				}
				p.Cursor = l.NextCursor
			}
			if n != tc.want {
				t.Errorf("listed %d sends; want %d", n, tc.want)
			}
		})
	}
	err := db.InTenantTx(ctx, a.ID, func(tx pgx.Tx) error {
		n, seen, err := RecentRecipients(ctx, tx, a.ID, "15550002", time.Now())
		if err != nil {
			return err
		}
		if n != 2 || !seen {
			t.Errorf("RecentRecipients = %d, %v; want 2, true (refused sends do not count)", n, seen)
		}
		n, seen, err = RecentRecipients(ctx, tx, a.ID, "15550009", time.Now().Add(25*time.Hour))
		if n != 0 || seen {
			t.Errorf("RecentRecipients a day later = %d, %v; want 0, false", n, seen)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
