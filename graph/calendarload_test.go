package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/schema/field"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/sectors/calendar"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Loading the State Council's notice counts every stored deadline again: repair applications
// and objections are taken through their stages, penalties withdrawn, and market penalties
// decided (SAMR's days to publish them), on the days of the last weeks of 2026, so that their deadlines in working days reach into 2027, whose holidays
// are stored provisional. Then a notice for 2027 with a holiday and a make-up working day the
// provisional days lack is loaded. Before the load, counting again on the unchanged calendar
// changes nothing (the recount counts as the workflows did); after it, every deadline of
// every record — running or kept for the record, set or empty — is what an oracle counts
// from the day the test took the step, the time limit in force then (read by SQL) and the
// calendar's rows (read by SQL), and the load reports exactly the deadlines that moved.
func TestACalendarLoadCountsEveryDeadlineAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var now atomic.Int64
		day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
		at := func(d time.Time) { now.Store(d.Add(4 * time.Hour).Unix()) } // noon in China
		at(day("2026-12-21"))
		clock := vocab.Clock(func() time.Time { return time.Unix(now.Load(), 0).UTC() })
		env := newEnvWith(t, e, 5, storage.Options{Clock: clock})
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		clerk, co, reviewer, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-reviewer"), env.as("demo-market-supervisor")

		// started records, for the oracle, the deadlines each record must hold: field → the
		// procedure's step and the day it started counting; a field not named must be empty.
		type start struct {
			procedure, step string
			on              time.Time
		}
		type key struct {
			record string
			id     int
		}
		want := map[key]map[string]start{}
		expect := func(k key, field, procedure, step string, on time.Time) {
			if want[k] == nil {
				want[k] = map[string]start{}
			}
			want[k][field] = start{procedure, step, on}
		}

		// Repair: application i is created on 2026-12-30 + i and taken through the stages of
		// its path a day apart; its deadlines count from the day of each stage.
		paths := [][]string{
			{"SUBMITTED"},
			{"SUBMITTED", "ACCEPTED"},
			{"SUBMITTED", "ACCEPTED", "INITIAL_APPROVED", "UNDER_AUTHORITY_REVIEW"},
			{"SUBMITTED", "ACCEPTED", "INITIAL_APPROVED", "UNDER_AUTHORITY_REVIEW", "APPROVED"},
			{"SUBMITTED", "ACCEPTED", "INITIAL_APPROVED", "UNDER_AUTHORITY_REVIEW", "APPROVED", "COMPLETED"},
			{"SUBMITTED", "NEEDS_SUPPLEMENT", "SUBMITTED"},
			{"SUBMITTED", "ACCEPTED", "INITIAL_REJECTED"},
		}
		who := map[string]*testEnv{"SUBMITTED": clerk, "ACCEPTED": co, "NEEDS_SUPPLEMENT": co, "INITIAL_APPROVED": reviewer,
			"INITIAL_REJECTED": reviewer, "UNDER_AUTHORITY_REVIEW": reviewer, "APPROVED": sup, "COMPLETED": co}
		for i, path := range paths {
			d := day("2026-12-30").AddDate(0, 0, i)
			at(d)
			s := setupRepair(t, env, fmt.Sprintf("CAL-%d", i))
			app := createApplication(t, env, s, nil)
			k := key{"repair application", atoi(t, app)}
			running := ""
			for _, to := range path {
				d = d.AddDate(0, 0, 1)
				at(d)
				vars := map[string]any{"id": app, "to": to}
				if to == "NEEDS_SUPPLEMENT" || to == "INITIAL_REJECTED" {
					vars["r"] = "材料不全"
				}
				who[to].mustData(transition, vars, nil)
				switch to {
				case "SUBMITTED":
					expect(k, "acceptBy", "REPAIR", "ACCEPT", d)
				case "ACCEPTED":
					expect(k, "decideBy", "REPAIR", "DECIDE", d)
				case "APPROVED":
					expect(k, "syncBy", "REPAIR", "SYNC", d)
				}
				running = to
			}
			// dueOn is the deadline of the stage that runs: the office's, not the applicant's.
			switch running {
			case "SUBMITTED":
				expect(k, "dueOn", "REPAIR", "ACCEPT", want[k]["acceptBy"].on)
			case "ACCEPTED", "INITIAL_APPROVED", "UNDER_AUTHORITY_REVIEW":
				expect(k, "dueOn", "REPAIR", "DECIDE", want[k]["decideBy"].on)
			case "APPROVED":
				expect(k, "dueOn", "REPAIR", "SYNC", want[k]["syncBy"].on)
			}
		}

		// Objections: objection i of each series is filed on its first day + i against a penalty
		// of its own and moved a day a stage.
		objPaths := [][]string{{}, {"ACCEPTED"}, {"ACCEPTED", "PLATFORM_CHECK"}, {"ACCEPTED", "PLATFORM_CHECK", "FORWARDED"},
			{"ACCEPTED", "PLATFORM_CHECK", "FORWARDED", "PROVIDER_CHECK"}, {"ACCEPTED", "PLATFORM_CHECK", "UPHELD"}}
		objWho := map[string]*testEnv{"ACCEPTED": co, "PLATFORM_CHECK": co, "FORWARDED": co, "PROVIDER_CHECK": sup, "UPHELD": co}
		for n := range 2 * len(objPaths) {
			i, path := n%len(objPaths), objPaths[n%len(objPaths)]
			d := day([]string{"2026-12-29", "2027-01-04"}[n/len(objPaths)]).AddDate(0, 0, i)
			at(d)
			var p struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(createPenaltyQ, penaltyInput(env, "market-320500", fmt.Sprintf("CALO-%d", n)), &p)
			var f struct{ FileObjection struct{ ID string } }
			co.mustData(`mutation($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: WRONG, description: "金额有误"}) { id } }`,
				map[string]any{"p": p.CreateAdministrativePenalty.ID}, &f)
			k := key{"objection", atoi(t, f.FileObjection.ID)}
			stage, stageStep, platform := d, "MARK", time.Time{}
			for _, to := range path {
				d = d.AddDate(0, 0, 1)
				at(d)
				vars := map[string]any{"id": f.FileObjection.ID, "to": to}
				if to == "UPHELD" {
					vars["r"], vars["c"] = "金额更正为三万元", "罚款金额（万元）：3"
				}
				objWho[to].mustData(`mutation($id: ID!, $to: ObjectionState!, $r: String, $c: String) { transitionObjection(id: $id, to: $to, reason: $r, correction: $c) { id } }`, vars, nil)
				switch to {
				case "ACCEPTED":
					stage, stageStep = d, "PLATFORM_CHECK"
				case "FORWARDED":
					stage, stageStep, platform = d, "PROVIDER_CHECK", time.Time{}
				case "PLATFORM_CHECK":
					platform = d
				case "UPHELD":
					stageStep, platform = "", time.Time{}
				}
			}
			if stageStep != "" {
				expect(k, "dueOn", "OBJECTION", stageStep, stage)
			}
			if !platform.IsZero() {
				expect(k, "forwardBy", "OBJECTION", "FORWARD", platform)
			}
		}

		// Withdrawals: penalty i's revocation took effect on 2026-12-28 + i, recorded the day after.
		for i := range 6 {
			effective := day("2026-12-28").AddDate(0, 0, i)
			at(effective.AddDate(0, 0, 1))
			var p struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(createPenaltyQ, penaltyInput(env, "market-320500", fmt.Sprintf("CALW-%d", i)), &p)
			sup.mustData(withdrawQ, map[string]any{"id": p.CreateAdministrativePenalty.ID, "reason": "REVOKED", "basis": "苏行复〔2026〕1号",
				"on": effective.Format(time.DateOnly)}, nil)
			expect(key{"penalty", atoi(t, p.CreateAdministrativePenalty.ID)}, "withdrawBy", "PENALTY", "WITHDRAW", effective)
		}

		// Market penalties decided around new year: SAMR's publication deadline counts from the
		// decision (Order 45 art. 9). Every penalty whose rule counts its window from
		// publication — by SQL: published under a rule set with such rules — has one.
		for i := range 8 {
			decided := day("2026-12-08").AddDate(0, 0, 4*i)
			at(day("2027-01-08"))
			in := penaltyInput(env, "market-320500", fmt.Sprintf("CALP-%d", i))
			in["in"].(map[string]any)["decisionDate"] = decided.Format(time.DateOnly)
			clerk.mustData(createPenaltyQ, in, nil)
		}
		rows, err := env.db.SQL.Query(`SELECT id, decision_date FROM administrative_penalties WHERE publicity_start IS NOT NULL
			AND publicity_rule_set IN (SELECT rule_set FROM publicity_rules WHERE start_anchor = 'PUBLICATION_DATE')`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int
			var decided string
			if err := rows.Scan(&id, &decided); err != nil {
				t.Fatal(err)
			}
			expect(key{"penalty", id}, "publishBy", "PENALTY", "PUBLISH", day(decided[:10]))
		}
		rows.Close()

		// stored reads every deadline of every record of the three kinds.
		stored := func() map[key]map[string]time.Time {
			out := map[key]map[string]time.Time{}
			put := func(k key, field string, v *time.Time) {
				if out[k] == nil {
					out[k] = map[string]time.Time{}
				}
				if v != nil {
					out[k][field] = *v
				}
			}
			for _, a := range c.RepairApplication.Query().AllX(ctx) {
				k := key{"repair application", a.ID}
				put(k, "acceptBy", a.AcceptBy)
				put(k, "decideBy", a.DecideBy)
				put(k, "syncBy", a.SyncBy)
				put(k, "dueOn", a.DueOn)
			}
			for _, o := range c.Objection.Query().AllX(ctx) {
				k := key{"objection", o.ID}
				put(k, "dueOn", o.DueOn)
				put(k, "forwardBy", o.ForwardBy)
			}
			for _, p := range c.AdministrativePenalty.Query().AllX(ctx) {
				put(key{"penalty", p.ID}, "withdrawBy", p.WithdrawBy)
				put(key{"penalty", p.ID}, "publishBy", p.PublishBy)
			}
			return out
		}
		// oracle counts a deadline from the calendar's rows and the limits' rows, read by SQL.
		oracle := func(s start) time.Time {
			return deadlineOracle(t, env, s.procedure, s.step, s.on)
		}
		check := func(when string) map[key]map[string]time.Time {
			t.Helper()
			got := stored()
			for k, fields := range got {
				for _, field := range []string{"acceptBy", "decideBy", "syncBy", "dueOn", "forwardBy", "withdrawBy", "publishBy"} {
					v, has := fields[field]
					s, wanted := want[k][field]
					switch {
					case wanted && !has:
						t.Errorf("%s: %s %d has no %s", when, k.record, k.id, field)
					case has && !wanted:
						t.Errorf("%s: %s %d has %s %s, want none", when, k.record, k.id, field, v.Format(time.DateOnly))
					case has && !v.Equal(oracle(s)):
						t.Errorf("%s: %s %d %s is %s, want %s (%s/%s from %s)", when, k.record, k.id, field, v.Format(time.DateOnly),
							oracle(s).Format(time.DateOnly), s.procedure, s.step, s.on.Format(time.DateOnly))
					}
				}
			}
			return got
		}
		before := check("as the workflows counted them")
		if changes, err := calendar.Recount(ctx, c, time.Time{}); err != nil || len(changes) != 0 {
			t.Fatalf("counting again on the same calendar changed %v (%v)", changes, err)
		}

		// The notice for 2027: New Year's Day as provisional, and what the statutory days could
		// not know — Monday 4 January off, Saturday 9 January worked.
		days := []calendar.Day{
			{Date: day("2027-01-01"), Name: "元旦"}, {Date: day("2027-01-04"), Name: "元旦"},
			{Date: day("2027-01-09"), Working: true, Name: "元旦调休"},
			{Date: day("2027-02-05"), Name: "春节"}, {Date: day("2027-02-08"), Name: "春节"},
		}
		tx, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := calendar.Replace(ctx, tx.Client(), days)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := env.count("holidays", "day >= '2027-01-01' AND day < '2028-01-01'"); n != len(days) || rep.Days != len(days) || len(rep.Years) != 1 || rep.Years[0] != 2027 {
			t.Errorf("2027 holds %d days after loading %d (report %+v)", n, len(days), rep)
		}
		if n := env.count("holidays", "provisional"); n != 0 {
			t.Errorf("%d provisional days left", n)
		}
		after := check("after the notice")
		moved := map[string]bool{}
		for k, fields := range after {
			for field, v := range fields {
				if !v.Equal(before[k][field]) {
					moved[fmt.Sprintf("%s %d %s", k.record, k.id, field)] = true
				}
			}
		}
		reported := map[string]bool{}
		for _, ch := range rep.Changes {
			name := fmt.Sprintf("%s %d %s", ch.Record, ch.ID, ch.Field)
			reported[name] = true
			if !moved[name] {
				t.Errorf("the load reports %s moved (%s → %s); it did not", name, ch.Was.Format(time.DateOnly), ch.Now.Format(time.DateOnly))
			}
		}
		for name := range moved {
			if !reported[name] {
				t.Errorf("%s moved unreported", name)
			}
		}
		// The test is only a test if the notice moved deadlines of every kind and left others.
		kinds := map[string]bool{}
		for name := range moved {
			for _, kind := range []string{"acceptBy", "decideBy", "dueOn", "forwardBy", "withdrawBy", "publishBy"} {
				if len(name) > len(kind) && name[len(name)-len(kind):] == kind {
					kinds[kind] = true
				}
			}
		}
		total := 0
		for _, fields := range after {
			total += len(fields)
		}
		if len(kinds) < 5 || !kinds["publishBy"] || len(moved) == total {
			t.Errorf("the notice moved %d of %d deadlines, of the kinds %v: the test needs some of most kinds moved and some kept", len(moved), total, kinds)
		}
	})
}

// Every stored deadline is either counted again when the calendar changes (the test above
// checks each of those) or named here with why the calendar does not move it. Found from the
// schema: a date column named as a deadline (…_by, due_…, …deadline…) that is neither fails,
// so a new deadline counted in working days cannot be forgotten by the load.
func TestEveryDeadlineColumnIsCountedAgainOrExempt(t *testing.T) {
	recounted := map[string]bool{} // checked by TestACalendarLoadCountsEveryDeadlineAgain and TestLoadCalendarUpload
	for _, col := range recountedColumns {
		recounted[col] = true
	}
	exempt := map[string]string{
		"administrative_penalties.publicity_deadline": "counted in calendar months and years (民法典 arts. 201–202), not working days",
		"credit_commitments.publicity_deadline":       "counted in calendar months and years, not working days",
		"list_entries.order_deadline":                 "the deadline the department's order set, as the order states it",
		"prior_notices.reply_deadline":                "the reply deadline the notice states, as served",
	}
	seen := 0
	for _, tb := range migrate.Tables {
		for _, c := range tb.Columns {
			name := tb.Name + "." + c.Name
			if c.Type != field.TypeTime || !(strings.HasSuffix(c.Name, "_by") || strings.HasPrefix(c.Name, "due_") || strings.Contains(c.Name, "deadline")) {
				continue
			}
			seen++
			if !recounted[name] && exempt[name] == "" {
				t.Errorf("%s is a deadline neither counted again when the calendar changes nor exempt with a reason", name)
			}
		}
	}
	if seen != len(recounted)+len(exempt) {
		t.Errorf("%d deadline columns in the schema, %d named here: a name here is stale", seen, len(recounted)+len(exempt))
	}
}

// deadlineOracle is the tests' own count of a deadline in working days: the working days of
// procedure's step in force on start, read from time_limits by SQL, counted from start over the
// holidays table as it stands (a weekend is off unless listed as worked, a listed holiday off).
func deadlineOracle(t *testing.T, env *testEnv, procedure, step string, start time.Time) time.Time {
	t.Helper()
	off := map[string]bool{} // day → a holiday (true) or a make-up working day (false)
	for _, working := range []bool{false, true} {
		for _, d := range sqlStrings(t, env, `SELECT day FROM holidays WHERE working = ?`, working) {
			off[d[:10]] = !working
		}
	}
	n := 0
	if err := env.db.SQL.QueryRow("SELECT working_days FROM time_limits WHERE `procedure` = ? AND step = ? AND SUBSTR(effective_from, 1, 10) <= ? ORDER BY effective_from DESC LIMIT 1",
		procedure, step, start.Format(time.DateOnly)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	d := start
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		holiday, listed := off[d.Format(time.DateOnly)]
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		if listed && !holiday || !listed && !weekend {
			n--
		}
	}
	return d
}
