package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A market supervision penalty published under SAMR Order 45 can be repaired only while its
// subject is on neither the abnormal-operations nor the serious-dishonesty list and has not been
// penalised again by market supervision for the same violation (Order 45 art. 14; domain.md §5.1
// item 4) — further conditions of a regime, kept as dated REPAIR_BARS rows. Each case is an
// entity with a penalty to repair (market, under Order 45; or labour, under the national
// rules), a listing (none; each list in force; removed, ended yesterday or today, listed from
// tomorrow, under objection, expired; another sector's list) and another penalty (none; the
// same violation later, the same day or earlier; by another sector; another violation; the
// same later but withdrawn; the same of another entity). A version of the bars from tomorrow
// that adds the wage-arrears list must not apply yet. Each submission is compared with an
// oracle reading the penalty's rule set, the bars in force and the rows by SQL.
func TestRepairOfAMarketPenaltyNeedsAClearRecord(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 260)
		ctx := authz.SystemContext(context.Background())
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		if err := env.db.Client.ScaleRule.Create().SetScale(vocab.ScaleRepairBars).SetEffectiveFrom(day(1)).
			SetParams(vocab.ScaleParams{Bars: []vocab.RepairBar{{RuleSets: []string{"SAMR-ORDER-45"},
				Lists: []string{"MS_ABNORMAL_OPERATION", "MS_SERIOUS_ILLEGAL_DISHONEST", "HR_WAGE_ARREARS"}, SameViolationAgain: true}}}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		free := sqlIDs(t, env, `SELECT id FROM market_entities WHERE id NOT IN (SELECT entity_id FROM list_entries WHERE entity_id IS NOT NULL)
			AND legal_representative_id IS NOT NULL ORDER BY id`)
		uscc := func(id string) string {
			return sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, id))[0]
		}
		type sector struct{ dep, token string }
		market, labour := sector{"market-320500", "demo-market-clerk"}, sector{"labour-320000", "demo-labour-clerk"}
		n := 0
		penalty := func(s sector, entity, violation string, decided time.Time) string {
			n++
			in := penaltyInput(env, s.dep, fmt.Sprintf("RB-%d", n))
			m := in["in"].(map[string]any)
			m["entityID"], m["counterpartyUscc"], m["violationType"], m["decisionDate"] = entity, uscc(entity), violation, decided.Format(time.DateOnly)
			var out struct{ CreateAdministrativePenalty struct{ ID string } }
			env.as(s.token).mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`, in, &out)
			return out.CreateAdministrativePenalty.ID
		}
		decided := day(-400)
		listings := map[string]func(entity string){
			"none": func(string) {},
		}
		listing := func(name, listType, set string, args ...any) {
			listings[name] = func(entity string) {
				n++
				l, err := env.db.Client.ListEntry.Create().SetDepartmentID(env.departmentID("market-320500")).SetEntityID(atoi(t, entity)).
					SetSourceSystem("rb").SetSourceRecordID(fmt.Sprintf("RB-L%d", n)).SetSeverity(vocab.General).
					SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).SetListedOn(day(-30)).SetReason("r").SetBasis("b").
					SetDecisionNo(fmt.Sprintf("RB-L%d", n)).Save(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := env.db.SQL.Exec(`UPDATE list_entries SET list_type = ?`+set+` WHERE id = ?`, append(append([]any{listType}, args...), l.ID)...); err != nil {
					t.Fatal(err)
				}
			}
		}
		listing("abnormal", "MS_ABNORMAL_OPERATION", "")
		listing("serious", "MS_SERIOUS_ILLEGAL_DISHONEST", "")
		listing("abnormal removed", "MS_ABNORMAL_OPERATION", ", removed_on = ?, removal_reason = 'EARLY_REPAIR'", day(-1))
		listing("abnormal ended yesterday", "MS_ABNORMAL_OPERATION", ", planned_end_on = ?", day(-1))
		listing("abnormal ends today", "MS_ABNORMAL_OPERATION", ", planned_end_on = ?", day(0))
		listing("abnormal from tomorrow", "MS_ABNORMAL_OPERATION", ", listed_on = ?", day(1))
		listing("abnormal under objection", "MS_ABNORMAL_OPERATION", ", under_objection = ?", true)
		listing("serious expired", "MS_SERIOUS_ILLEGAL_DISHONEST", ", status = 'EXPIRED'")
		listing("wage arrears", "HR_WAGE_ARREARS", "")
		others := map[string]func(entity, neighbour, violation string){
			"none":            func(string, string, string) {},
			"same later":      func(e, _, v string) { penalty(market, e, v, day(-100)) },
			"same that day":   func(e, _, v string) { penalty(market, e, v, decided) },
			"same earlier":    func(e, _, v string) { penalty(market, e, v, day(-500)) },
			"same by labour":  func(e, _, v string) { penalty(labour, e, v, day(-100)) },
			"other later":     func(e, _, v string) { penalty(market, e, v+"（另案）", day(-100)) },
			"same of another": func(_, nb, v string) { penalty(market, nb, v, day(-100)) },
			"same later, withdrawn": func(e, _, v string) {
				id := penalty(market, e, v, day(-100))
				if _, err := env.db.SQL.Exec(`UPDATE administrative_penalties SET status = 'WITHDRAWN' WHERE id = ?`, atoi(t, id)); err != nil {
					t.Fatal(err)
				}
			},
		}
		type scenario struct {
			record        sector
			listing, also string
		}
		var cases []scenario
		for _, s := range []sector{market, labour} {
			for l := range listings {
				cases = append(cases, scenario{s, l, "none"})
			}
			for o := range others {
				cases = append(cases, scenario{s, "none", o})
			}
		}
		r := rand.New(rand.NewPCG(3, 14))
		names := func(m map[string]func(string)) []string {
			var k []string
			for n := range m {
				k = append(k, n)
			}
			slices.Sort(k)
			return k
		}
		var otherNames []string
		for o := range others {
			otherNames = append(otherNames, o)
		}
		slices.Sort(otherNames)
		for range 16 {
			ls := names(listings)
			cases = append(cases, scenario{[]sector{market, labour}[r.IntN(2)], ls[r.IntN(len(ls))], otherNames[r.IntN(len(otherNames))]})
		}
		if len(free) < 2*len(cases)+2*(len(cases)-16) {
			t.Fatalf("%d entities without listings for %d cases and their runs after approval", len(free), len(cases))
		}
		seen := map[string]int{}
		for i, c := range cases {
			entity, neighbour := free[2*i], free[2*i+1]
			violation := fmt.Sprintf("虚假宣传-%d", i)
			pid := penalty(c.record, entity, violation, decided)
			listings[c.listing](entity)
			others[c.also](entity, neighbour, violation)
			app := repairApplication(env.as(c.record.token), c.record.dep, entity, "penaltyID", pid)
			want, why := barOracle(t, env, pid, today)
			seen[why]++
			res := env.as(c.record.token).post(transition, map[string]any{"id": app, "to": "SUBMITTED"})
			got := "ok"
			if len(res.Errors) > 0 {
				got = fmt.Sprint(res.Errors[0].Extensions["code"])
				if got == "CONFLICT" && !strings.Contains(res.Errors[0].Message, "SAMR-ORDER-45") {
					t.Errorf("case %d (%+v): the refusal %q does not name the regime", i, c, res.Errors[0].Message)
				}
			}
			if got != want {
				t.Errorf("case %d (%s penalty, listing %q, other penalty %q): %s; the regime's conditions give %s (%s)", i, c.record.dep, c.listing, c.also, got, want, why)
			}
		}
		for _, why := range []string{"no bar for the regime", "clear", "listed", "penalised again"} {
			if seen[why] == 0 {
				t.Errorf("no case was decided by %q: the test proves little there (%v)", why, seen)
			}
		}
		// The same listings and penalties arriving after the approval: the execution (COMPLETED)
		// stops publicity early on the record as it stands that day, so it meets the regime's
		// conditions then too. A refused execution leaves the application APPROVED and the
		// penalty published.
		done := 2 * len(cases)
		seen = map[string]int{}
		for i, c := range cases[:len(cases)-16] {
			entity, neighbour := free[done+2*i], free[done+2*i+1]
			violation := fmt.Sprintf("虚假宣传-后-%d", i)
			pid := penalty(c.record, entity, violation, decided)
			sec := strings.Split(c.record.dep, "-")[0]
			app := repairApplication(env.as(c.record.token), c.record.dep, entity, "penaltyID", pid)
			for _, step := range []struct{ token, to string }{{c.record.token, "SUBMITTED"}, {"demo-credit-office", "ACCEPTED"},
				{"demo-" + sec + "-reviewer", "INITIAL_APPROVED"}, {"demo-" + sec + "-reviewer", "UNDER_AUTHORITY_REVIEW"}, {"demo-" + sec + "-supervisor", "APPROVED"}} {
				env.as(step.token).mustData(transition, map[string]any{"id": app, "to": step.to}, nil)
			}
			listings[c.listing](entity)
			others[c.also](entity, neighbour, violation)
			want, why := barOracle(t, env, pid, today)
			seen[why]++
			res := env.as("demo-credit-office").post(transition, map[string]any{"id": app, "to": "COMPLETED"})
			got := "ok"
			if len(res.Errors) > 0 {
				got = fmt.Sprint(res.Errors[0].Extensions["code"])
			}
			if got != want {
				t.Errorf("after approval, case %d (%s penalty, listing %q, other penalty %q): %s; the regime's conditions give %s (%s)", i, c.record.dep, c.listing, c.also, got, want, why)
			}
			state := sqlStrings(t, env, `SELECT state FROM repair_applications WHERE id = ?`, atoi(t, app))
			status := sqlStrings(t, env, `SELECT status FROM administrative_penalties WHERE id = ?`, atoi(t, pid))
			if wantState, wantStatus := map[string]string{"ok": "COMPLETED", "CONFLICT": "APPROVED"}[want], map[string]string{"ok": "REPAIRED", "CONFLICT": "PUBLISHED"}[want]; state[0] != wantState || status[0] != wantStatus {
				t.Errorf("after approval, case %d: application %s and penalty %s, want %s and %s", i, state[0], status[0], wantState, wantStatus)
			}
		}
		for _, why := range []string{"no bar for the regime", "clear", "listed", "penalised again"} {
			if seen[why] == 0 {
				t.Errorf("after approval, no case was decided by %q (%v)", why, seen)
			}
		}
	})
}

// barOracle answers submitting a repair of penalty id, every other condition met, under the
// REPAIR_BARS version in force today read back by SQL: "ok" or "CONFLICT", and why.
func barOracle(t *testing.T, env *testEnv, id string, today time.Time) (string, string) {
	t.Helper()
	ymd := today.Format(time.DateOnly)
	params := barsInForce(t, env, today)
	var bars struct {
		Bars []struct {
			RuleSets, Lists    []string
			SameViolationAgain bool
		}
	}
	if err := json.Unmarshal(params, &bars); err != nil {
		t.Fatal(err)
	}
	var ruleSet, sector, violation, decided string
	var entity int
	if err := env.db.SQL.QueryRow(`SELECT COALESCE(publicity_rule_set, ''), sector, violation_type, SUBSTR(decision_date, 1, 10), entity_id
		FROM administrative_penalties WHERE id = ?`, atoi(t, id)).Scan(&ruleSet, &sector, &violation, &decided, &entity); err != nil {
		t.Fatal(err)
	}
	why := "no bar for the regime"
	for _, b := range bars.Bars {
		if !slices.Contains(b.RuleSets, ruleSet) {
			continue
		}
		why = "clear"
		if len(b.Lists) > 0 {
			lists := "'" + strings.Join(b.Lists, "','") + "'"
			if env.count("list_entries", `entity_id = ? AND list_type IN (`+lists+`) AND status = 'PUBLISHED' AND under_objection = ?
				AND (exemption IS NULL OR exemption = '') AND removed_on IS NULL AND SUBSTR(listed_on, 1, 10) <= ?
				AND (planned_end_on IS NULL OR SUBSTR(planned_end_on, 1, 10) >= ?) AND (measures_end_on IS NULL OR SUBSTR(measures_end_on, 1, 10) >= ?)`,
				entity, false, ymd, ymd, ymd) > 0 {
				return "CONFLICT", "listed"
			}
		}
		if b.SameViolationAgain && env.count("administrative_penalties", `entity_id = ? AND id <> ? AND sector = ? AND violation_type = ?
			AND status <> 'WITHDRAWN' AND SUBSTR(decision_date, 1, 10) >= ?`, entity, atoi(t, id), sector, violation, decided) > 0 {
			return "CONFLICT", "penalised again"
		}
	}
	return "ok", why
}

// barsInForce reads the REPAIR_BARS version in force on today back by SQL: its parameters, as
// stored.
func barsInForce(t *testing.T, env *testEnv, today time.Time) []byte {
	t.Helper()
	ymd := today.Format(time.DateOnly)
	var params []byte
	err := env.db.SQL.QueryRow(`SELECT params FROM scale_rules WHERE scale = 'REPAIR_BARS' AND SUBSTR(effective_from, 1, 10) <= ?
		AND (effective_to IS NULL OR SUBSTR(effective_to, 1, 10) > ?) ORDER BY effective_from DESC LIMIT 1`, ymd, ymd).Scan(&params)
	if err != nil {
		t.Fatal(err)
	}
	return params
}

// repairApplication signs a REPAIR commitment of entity with dep and makes a DRAFT repair
// application of the record named by kind (penaltyID or listEntryID) and id, obligations met,
// as caller; it returns the application's ID.
func repairApplication(caller *testEnv, dep, entity, kind, id string) string {
	var cm struct{ CreateCreditCommitment struct{ ID string } }
	caller.mustData(`mutation($d: ID!, $e: ID!, $src: String!) { createCreditCommitment(input: {departmentID: $d, entityID: $e,
		sourceSystem: "repair-test", sourceRecordID: $src, kind: REPAIR, text: "承诺", signedOn: "2026-09-01", relatedMatter: "信用修复"}) { id } }`,
		map[string]any{"d": caller.departmentID(dep), "e": entity, "src": "C-" + kind + "-" + id}, &cm)
	var app struct{ CreateRepairApplication struct{ ID string } }
	caller.mustData(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`,
		map[string]any{"in": map[string]any{kind: id, "departmentID": caller.departmentID(dep), "commitmentID": cm.CreateCreditCommitment.ID,
			"obligationsFulfilled": true, "materials": "履行凭证"}}, &app)
	return app.CreateRepairApplication.ID
}
