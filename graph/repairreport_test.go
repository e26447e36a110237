package graph_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// The repair report counts by China's calendar days, whatever the clock's zone: a step taken at
// 00:30 in Jiangsu (16:30 UTC the day before) belongs to its Jiangsu day. Steps are written at
// instants around midnight in China and in UTC over four days, and repairReport over each day and
// over spans of days is compared with an oracle that buckets the same instants by their date in
// UTC+8 (domain.md's dates are Jiangsu's; vocab.Clock.Today judges them there).
func TestRepairReportCountsChinaDays(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		ctx := authz.SystemContext(context.Background())
		s := setupRepair(t, env, "RD")
		var apps []int
		for range 8 {
			apps = append(apps, atoi(t, createApplication(t, env, s, nil)))
		}
		cst := time.FixedZone("CST", 8*3600)
		first := time.Date(2026, 3, 9, 0, 0, 0, 0, cst)
		r := rand.New(rand.NewPCG(3, 9))
		states := []string{"SUBMITTED", "ACCEPTED", "COMPLETED"}
		type step struct {
			app   int
			state string
			day   string // its date in China
		}
		var steps []step
		for i := range 60 {
			d := r.IntN(4)
			var at time.Time
			switch i % 4 {
			case 0: // the last second of a day in China, then its first
				at = first.AddDate(0, 0, d+1).Add(-time.Second)
			case 1:
				at = first.AddDate(0, 0, d)
			case 2: // UTC midnight: 08:00 in China
				at = time.Date(2026, 3, 9+d, 0, 0, 0, 0, time.UTC)
			default:
				at = first.AddDate(0, 0, d).Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
			}
			st := step{apps[r.IntN(len(apps))], states[r.IntN(len(states))], at.In(cst).Format(time.DateOnly)}
			if err := env.db.Client.RepairTransition.Create().SetApplicationID(st.app).SetFromState("DRAFT").SetToState(st.state).
				SetActor("t").SetActorRole("clerk").SetActorDepartment("market-320500").SetAt(at.UTC()).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, st)
		}
		co := env.as("demo-credit-office")
		co.t = t
		days := []string{"2026-03-08", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"}
		for i, from := range days {
			for _, to := range days[i:min(i+3, len(days))] {
				want := map[string]map[int]bool{}
				for _, st := range steps {
					if st.day >= from && st.day <= to {
						if want[st.state] == nil {
							want[st.state] = map[int]bool{}
						}
						want[st.state][st.app] = true
					}
				}
				var rep struct {
					RepairReport []struct {
						Department, State string
						Count             int
					}
				}
				co.mustData(`query($f: Date!, $t: Date!) { repairReport(from: $f, to: $t) { department state count } }`,
					map[string]any{"f": from, "t": to}, &rep)
				var got, wantRows []string
				for _, row := range rep.RepairReport {
					got = append(got, fmt.Sprint(row.Department, " ", row.State, " ", row.Count))
				}
				for state, apps := range want {
					wantRows = append(wantRows, fmt.Sprint("market-320500 ", state, " ", len(apps)))
				}
				slices.Sort(got)
				slices.Sort(wantRows)
				if !slices.Equal(got, wantRows) {
					t.Errorf("repairReport %s to %s: %v; the steps' days in China give %v", from, to, got, wantRows)
				}
			}
		}
		// The widest span the Date type allows counts every step.
		var all struct{ RepairReport []struct{ Count int } }
		co.mustData(`{ repairReport(from: "0001-01-01", to: "9999-12-31") { count } }`, nil, &all)
		total := 0
		for _, row := range all.RepairReport {
			total += row.Count
		}
		var want int
		if err := env.db.SQL.QueryRow(`SELECT COUNT(*) FROM (SELECT DISTINCT application_id, to_state FROM repair_transitions) s`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if total != want {
			t.Errorf("repairReport over all dates counts %d; %d application and state pairs are stored", total, want)
		}
	})
}
