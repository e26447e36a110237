package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/sectors/calendar"
	"github.com/creditgraph/creditgraph/sectors/exchange"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

const loadCalendarQ = `mutation($f: Upload!, $dry: Boolean!) { loadCalendar(file: $f, dryRun: $dry) {
	years days replaced committed moved { record field count } } }`

type calendarLoad struct {
	LoadCalendar struct {
		Years          []int
		Days, Replaced int
		Committed      bool
		Moved          []struct {
			Record, Field string
			Count         int
		}
	}
}

// recountedColumns are the deadlines a calendar load counts again, by the record and field the
// load reports them as (TestEveryDeadlineColumnIsCountedAgainOrExempt keeps this list whole).
var recountedColumns = map[string]string{
	"repair application acceptBy": "repair_applications.accept_by", "repair application decideBy": "repair_applications.decide_by",
	"repair application syncBy": "repair_applications.sync_by", "repair application dueOn": "repair_applications.due_on",
	"objection dueOn": "objections.due_on", "objection forwardBy": "objections.forward_by",
	"penalty withdrawBy": "administrative_penalties.withdraw_by", "penalty publishBy": "administrative_penalties.publish_by",
}

// The credit office loads the State Council's notice through GraphQL. A dry run reports what
// the load would do and stores nothing; the load stores the year and reports, by record and
// field, exactly the deadlines that moved (read back by SQL before and after). A file with a
// bad line is refused naming the line, and every other role — clerks, supervisors, auditors,
// the subject and person roles, the public — is refused; neither changes anything.
func TestLoadCalendarUpload(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		// Penalties decided around 8 May 2026: their 20 working days to publish cross Tuesday
		// 12 May, which the notice below makes a holiday the stored calendar lacks.
		for i, on := range []string{"2026-04-20", "2026-05-06", "2026-05-08", "2026-05-12", "2026-06-15"} {
			in := penaltyInput(env, "market-320500", fmt.Sprintf("CAL-%d", i))
			in["in"].(map[string]any)["decisionDate"] = on
			env.mustData(createPenaltyQ, in, nil)
		}
		var file strings.Builder
		file.WriteString("日期,类型,名称\n")
		rows, err := env.db.SQL.Query("SELECT day, working, name FROM holidays WHERE day >= '2026-01-01' AND day < '2027-01-01' ORDER BY day")
		if err != nil {
			t.Fatal(err)
		}
		stored := 0
		for rows.Next() {
			var day time.Time
			var working bool
			var name string
			if err := rows.Scan(&day, &working, &name); err != nil {
				t.Fatal(err)
			}
			kind := "休"
			if working {
				kind = "班"
			}
			fmt.Fprintf(&file, "%s,%s,%s\n", day.Format(time.DateOnly), kind, name)
			stored++
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		file.WriteString("2026-05-12,休,测试假日\n")
		notice := []byte(file.String())

		// snapshot reads every recounted deadline by SQL.
		snapshot := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			for _, col := range recountedColumns {
				table, column, _ := strings.Cut(col, ".")
				rows, err := env.db.SQL.Query("SELECT id, " + column + " FROM " + table)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id int
					var v *time.Time
					if err := rows.Scan(&id, &v); err != nil {
						t.Fatal(err)
					}
					if v != nil {
						out[fmt.Sprintf("%s %d", col, id)] = v.Format(time.DateOnly)
					}
				}
				if err := rows.Close(); err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		holidays := func() int { return env.count("holidays", "") }
		before, days := snapshot(), holidays()
		unchanged := func(when string) {
			t.Helper()
			if got := snapshot(); fmt.Sprint(got) != fmt.Sprint(before) || holidays() != days {
				t.Errorf("%s changed the calendar (%d days, was %d) or deadlines", when, holidays(), days)
			}
		}

		// Every demo token but the credit office's, and the public, through the API; and the
		// same viewers in the data layer, where the holidays' policy decides without the API's
		// gate (calendar.Replace).
		days2026, err := calendar.Parse(strings.NewReader(string(notice)), exchange.CSV)
		if err != nil {
			t.Fatal(err)
		}
		for _, token := range append(slices.Sorted(maps.Keys(env.secrets)), "") {
			if token == "demo-credit-office" {
				continue
			}
			r := env.as(token).upload(loadCalendarQ, map[string]any{"dry": false}, "notice.csv", notice)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%q loading the calendar: %+v, want FORBIDDEN", token, r.Errors)
			}
			v := authz.PublicViewer(env.authorizer)
			if token != "" {
				if v, err = env.tokens.Authenticate(context.Background(), "Bearer "+env.secrets[token]); err != nil {
					t.Fatal(err)
				}
			}
			tx, err := env.db.Client.Tx(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			_, err = calendar.Replace(authz.NewContext(context.Background(), v), tx.Client(), days2026)
			_ = tx.Rollback()
			if !errors.Is(err, privacy.Deny) {
				t.Errorf("%q replacing the calendar in the data layer: %v, want it forbidden", token, err)
			}
		}
		unchanged("refused loads")

		co := env.as("demo-credit-office")
		bad := strings.Replace(string(notice), "2026-05-12,休,测试假日", "2026-05-12,半,测试假日", 1)
		r := co.upload(loadCalendarQ, map[string]any{"dry": false}, "notice.csv", []byte(bad))
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "file" ||
			!strings.Contains(r.Errors[0].Message, fmt.Sprintf("line %d", stored+2)) {
			t.Errorf("a bad line: %+v, want BAD_USER_INPUT on file naming line %d", r.Errors, stored+2)
		}
		unchanged("a bad file")

		load := func(dry bool) calendarLoad {
			t.Helper()
			r := co.upload(loadCalendarQ, map[string]any{"dry": dry}, "notice.csv", notice)
			if len(r.Errors) > 0 {
				t.Fatalf("dry run %v: %+v", dry, r.Errors)
			}
			var out calendarLoad
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		dry := load(true)
		unchanged("a dry run")
		got := load(false)
		after := snapshot()
		if n := env.count("holidays", "SUBSTR(day, 1, 10) = '2026-05-12'"); n != 1 || holidays() != days+1 {
			t.Errorf("after the load: %d days (was %d), 12 May stored %d times", holidays(), days, n)
		}
		moved := map[string]int{}
		for k, v := range after {
			if before[k] != v {
				col, _, _ := strings.Cut(k, " ")
				moved[col]++
			}
		}
		reported := map[string]int{}
		for _, m := range got.LoadCalendar.Moved {
			col, ok := recountedColumns[m.Record+" "+m.Field]
			if !ok {
				t.Errorf("the load reports %s %s, which is no recounted deadline", m.Record, m.Field)
			}
			reported[col] += m.Count
		}
		if fmt.Sprint(reported) != fmt.Sprint(moved) || moved["administrative_penalties.publish_by"] < 3 {
			t.Errorf("the load reports %v moved; by SQL %v moved (the test needs at least three publishBy)", reported, moved)
		}
		g := got.LoadCalendar
		if !g.Committed || dry.LoadCalendar.Committed || fmt.Sprint(g.Years) != "[2026]" || g.Days != stored+1 || g.Replaced != stored ||
			fmt.Sprint(dry.LoadCalendar.Moved) != fmt.Sprint(g.Moved) {
			t.Errorf("the load answered %+v; the dry run %+v", g, dry.LoadCalendar)
		}
	})
}
