package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A procedure's time limit is the version in force on the day the step starts: for every limit
// of the reference data, two later versions are stored, and the day before each, its first day
// and a day long after must give the version then in force — never a later one, never an
// earlier one once replaced.
func TestTimeLimitsAreTheVersionInForce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		limits := db.Client.TimeLimit.Query().AllX(ctx)
		if len(limits) == 0 {
			t.Fatal("the reference data has no time limits")
		}
		d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
		for _, l := range limits {
			for i, from := range []string{"2026-04-01", "2026-06-01"} {
				db.Client.TimeLimit.Create().SetProcedure(l.Procedure).SetStep(l.Step).SetWorkingDays(l.WorkingDays + 10*(i+1)).
					SetEffectiveFrom(d(from)).SaveX(ctx)
			}
		}
		for _, l := range limits {
			for _, tt := range []struct {
				day  string
				plus int
			}{{"2026-03-31", 0}, {"2026-04-01", 10}, {"2026-05-31", 10}, {"2026-06-01", 20}, {"2030-01-01", 20}} {
				got, err := workflow.Limit(ctx, db.Client, string(l.Procedure), string(l.Step), d(tt.day))
				if err != nil {
					t.Fatal(err)
				}
				if want := l.WorkingDays + tt.plus; got != want {
					t.Errorf("%s/%s on %s: %d working days, want %d", l.Procedure, l.Step, tt.day, got, want)
				}
			}
		}
		// Before any version, the step has no limit to count: an error, not a guess.
		if _, err := workflow.Limit(ctx, db.Client, string(limits[0].Procedure), string(limits[0].Step), d("2019-12-31")); err == nil {
			t.Error("a limit before its first version was answered")
		}
	})
}
