package workers

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/pgtest"
)

type fakeFinalizer struct {
	n   int
	err error
}

func (f *fakeFinalizer) FinalizeDue(context.Context) (int, error) { return f.n, f.err }

func TestBillingFinalizeTask(t *testing.T) {
	db := pgtest.New(t)
	tests := []struct {
		name    string
		fin     fakeFinalizer
		wantErr bool
		runs    int
	}{
		{name: "records the run", fin: fakeFinalizer{n: 3}, runs: 1},
		{name: "a failure is retried and not recorded", fin: fakeFinalizer{n: 1, err: errors.New("db down")}, wantErr: true, runs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &BillingTasks{Billing: &tt.fin, DB: db}
			mux := asynq.NewServeMux()
			b.Register(mux)
			err := mux.ProcessTask(context.Background(), NewBillingFinalizeTask())
			if (err != nil) != tt.wantErr {
				t.Fatalf("ProcessTask: %v, want error %v", err, tt.wantErr)
			}
			var runs int
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM maintenance_runs WHERE task = $1`,
				TypeBillingFinalize).Scan(&runs); err != nil {
				t.Fatal(err)
			}
			if runs != tt.runs {
				t.Errorf("%d runs recorded, want %d", runs, tt.runs)
			}
		})
	}
}
