package graph_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A repair acts on its record as the record stands when each step is taken, whatever another
// workflow — an upheld objection, expiry, a removal — did to it since the step before (domain.md
// §4, §5.3): submission and completion need the record in publicity on the day (published, its
// window not ended, a listing not removed: the rule of inPublicity), and a revocation
// republishes only a record its repair left REPAIRED. For a penalty and for a listing each
// change — none, WITHDRAWN as an upheld objection leaves it, EXPIRED, the window ended
// yesterday or ending today, a listing removed — is made before submission, before completion
// and after completion, and the step's answer and the record afterwards are compared with that
// rule read back by SQL. One withdrawal goes through the objection workflow itself: the path
// is open to every caller who may object. An approved application whose record has left
// publicity can be withdrawn (domain.md §5.3: any non-final state).
func TestRepairTakesTheRecordAsItStands(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		ctx := authz.SystemContext(context.Background())
		clerk, co, reviewer, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-reviewer"), env.as("demo-market-supervisor")
		for _, c := range []*testEnv{clerk, co, reviewer, sup} {
			c.t = t
		}
		today := vocab.SystemClock.Today()
		ymd := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
		dep := env.departmentID("market-320500")
		entities := sqlIDs(t, env, `SELECT id FROM market_entities ORDER BY id LIMIT 2`)
		commitments := map[string]string{}
		commitment := func(entity string) string {
			if id, ok := commitments[entity]; ok {
				return id
			}
			var c struct{ CreateCreditCommitment struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $e: ID!, $src: String!) { createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "rs",
				sourceRecordID: $src, kind: REPAIR, text: "承诺", signedOn: "2026-09-01", relatedMatter: "信用修复"}) { id } }`,
				map[string]any{"d": dep, "e": entity, "src": "C-" + entity}, &c)
			commitments[entity] = c.CreateCreditCommitment.ID
			return commitments[entity]
		}
		n := 0
		// record creates a published, repairable record whose minimum period has passed, and a
		// draft application to repair it.
		record := func(kind string) (table, id, app string) {
			n++
			src := fmt.Sprintf("RS-%d", n)
			in := map[string]any{"departmentID": dep, "obligationsFulfilled": true, "materials": "缴款凭证"}
			if kind == "penalty" {
				p := penaltyInput(env, "market-320500", src)
				p["in"].(map[string]any)["violationType"] = "虚假广告 " + src // each its own kind of violation
				var out struct{ CreateAdministrativePenalty struct{ ID string } }
				clerk.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`, p, &out)
				table, id = "administrative_penalties", out.CreateAdministrativePenalty.ID
				in["penaltyID"], in["commitmentID"] = id, commitment(p["in"].(map[string]any)["entityID"].(string))
			} else {
				l, err := env.db.Client.ListEntry.Create().SetDepartmentID(dep).SetEntityID(atoi(t, entities[1])).SetSourceSystem("rs").
					SetSourceRecordID(src).SetSeverity(vocab.General).SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).
					SetListedOn(today.AddDate(0, 0, -30)).SetReason("r").SetBasis("b").SetDecisionNo(src).Save(ctx)
				if err != nil {
					t.Fatal(err)
				}
				table, id = "list_entries", fmt.Sprint(l.ID)
				in["listEntryID"], in["commitmentID"] = id, commitment(entities[1])
			}
			var out struct{ CreateRepairApplication struct{ ID string } }
			clerk.mustData(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`, map[string]any{"in": in}, &out)
			return table, id, out.CreateRepairApplication.ID
		}
		walk := []struct {
			who *testEnv
			to  string
		}{{clerk, "SUBMITTED"}, {co, "ACCEPTED"}, {reviewer, "INITIAL_APPROVED"}, {reviewer, "UNDER_AUTHORITY_REVIEW"}, {sup, "APPROVED"},
			{co, "COMPLETED"}, {co, "REVOKED"}}
		stepTo := func(app, to string) { // the steps before to, each of which must pass
			for _, s := range walk {
				if s.to == to {
					return
				}
				vars := map[string]any{"id": app, "to": s.to}
				if s.to == "REVOKED" {
					vars["r"] = "承诺不实"
				}
				s.who.mustData(transition, vars, nil)
			}
		}
		// The changes another workflow makes, as it makes them (objection.withdraw, Expire, a
		// removal), by SQL; each ? is the day its number says, bound as the driver binds a date.
		type set struct {
			clause string
			days   []int
		}
		changes := map[string]map[string]set{
			"administrative_penalties": {
				"none":          {},
				"withdrawn":     {"status = 'WITHDRAWN', publicity_stopped_on = ?, under_objection = false", []int{0}},
				"expired":       {"status = 'EXPIRED', publicity_deadline = ?", []int{-1}},
				"window ended":  {"publicity_deadline = ?", []int{-1}},
				"window ending": {"publicity_deadline = ?", []int{0}},
			},
			"list_entries": {
				"none":          {},
				"withdrawn":     {"status = 'WITHDRAWN', removed_on = ?, removal_reason = 'CORRECTED', under_objection = false", []int{0}},
				"expired":       {"status = 'EXPIRED', planned_end_on = ?", []int{-1}},
				"window ended":  {"planned_end_on = ?", []int{-1}},
				"window ending": {"planned_end_on = ?", []int{0}},
				"removed":       {"removed_on = ?, removal_reason = 'DECISION_REVOKED'", []int{-1}},
			},
		}
		change := func(table, id, what string) {
			c := changes[table][what]
			if c.clause == "" {
				return
			}
			var args []any
			for _, d := range c.days {
				args = append(args, today.AddDate(0, 0, d))
			}
			if _, err := env.db.SQL.Exec(`UPDATE `+table+` SET `+c.clause+` WHERE id = ?`, append(args, atoi(t, id))...); err != nil {
				t.Fatal(err)
			}
		}
		types := map[string]string{"administrative_penalties": "AdministrativePenalty", "list_entries": "ListEntry"}
		inPublicityToday := func(table, id string) bool {
			return env.count(table, "id = ? AND "+inPublicity[types[table]].rule, atoi(t, id), ymd(0)) == 1
		}
		// state is what a repair changes of a record: its status and its stop or removal.
		state := func(table, id string) string {
			cols := "status, publicity_stopped_on, NULL"
			if table == "list_entries" {
				cols = "status, removed_on, removal_reason"
			}
			var status string
			var stopped, reason sql.NullString
			if err := env.db.SQL.QueryRow(`SELECT `+cols+` FROM `+table+` WHERE id = ?`, atoi(t, id)).Scan(&status, &stopped, &reason); err != nil {
				t.Fatal(err)
			}
			if len(stopped.String) > 10 {
				stopped.String = stopped.String[:10]
			}
			return fmt.Sprintf("%s stopped %q reason %q", status, stopped.String, reason.String)
		}
		answer := func(app, to string) string {
			vars := map[string]any{"id": app, "to": to}
			if to == "REVOKED" {
				vars["r"] = "承诺不实"
			}
			res := co.post(transition, vars)
			if to == "SUBMITTED" {
				res = clerk.post(transition, vars)
			}
			if len(res.Errors) > 0 {
				return fmt.Sprint(res.Errors[0].Extensions["code"])
			}
			return "ok"
		}
		appState := func(app string) string {
			return sqlStrings(t, env, `SELECT state FROM repair_applications WHERE id = ?`, atoi(t, app))[0]
		}
		met := map[string]bool{}
		for _, kind := range []string{"penalty", "listing"} {
			for _, step := range []string{"SUBMITTED", "COMPLETED", "REVOKED"} {
				for what := range changes[map[string]string{"penalty": "administrative_penalties", "listing": "list_entries"}[kind]] {
					table, id, app := record(kind)
					stepTo(app, step)
					change(table, id, what)
					before, wasState := state(table, id), appState(app)
					inPub := inPublicityToday(table, id)
					repaired := sqlStrings(t, env, `SELECT status FROM `+table+` WHERE id = ?`, atoi(t, id))[0] == "REPAIRED"
					got := answer(app, step)
					// The oracle.
					want, after := "CONFLICT", before
					switch {
					case step == "REVOKED":
						want = "ok"
						if repaired {
							after = `PUBLISHED stopped "" reason ""`
						}
					case inPub && step == "SUBMITTED":
						want = "ok"
					case inPub:
						want = "ok"
						after = fmt.Sprintf("REPAIRED stopped %q reason %q", ymd(0), map[string]string{"penalty": "", "listing": "EARLY_REPAIR"}[kind])
					}
					met[fmt.Sprint(step, " ", want, " ", before != after)] = true
					if got != want {
						t.Errorf("%s %s, %s before %s: %s; the record as it stands gives %s (record %s)", kind, id, what, step, got, want, before)
					}
					if now := state(table, id); now != after {
						t.Errorf("%s %s, %s before %s: record %s after the step, want %s", kind, id, what, step, now, after)
					}
					if wantApp := map[bool]string{true: step, false: wasState}[want == "ok"]; appState(app) != wantApp {
						t.Errorf("%s %s, %s before %s: application %s, want %s", kind, id, what, step, appState(app), wantApp)
					}
					if step == "COMPLETED" && got == "CONFLICT" { // nothing left to repair: the applicant withdraws
						clerk.mustData(transition, map[string]any{"id": app, "to": "WITHDRAWN"}, nil)
						if got := state(table, id); got != before || appState(app) != "WITHDRAWN" {
							t.Errorf("%s %s, %s: withdrawing the approved application left it %s and the record %s", kind, id, what, appState(app), got)
						}
					}
				}
			}
		}
		for _, k := range []string{"SUBMITTED ok false", "SUBMITTED CONFLICT false", "COMPLETED ok true", "COMPLETED CONFLICT false",
			"REVOKED ok true", "REVOKED ok false"} {
			if !met[k] {
				t.Errorf("no case %q: the test proves little (%v)", k, met)
			}
		}

		// Through the objection workflow: a repaired penalty's objection that it should never
		// have been published is upheld; revoking the repair leaves it withdrawn.
		table, id, app := record("penalty")
		stepTo(app, "REVOKED")
		var o struct{ FileObjection struct{ ID string } }
		co.mustData(`mutation($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: SHOULD_NOT_PUBLISH, description: "决定已被复议撤销"}) { id } }`,
			map[string]any{"p": id}, &o)
		for _, s := range []struct {
			who     *testEnv
			to, why string
		}{{co, "ACCEPTED", ""}, {co, "PLATFORM_CHECK", ""}, {co, "FORWARDED", ""}, {sup, "PROVIDER_CHECK", ""}, {sup, "UPHELD", "复议决定撤销"}} {
			vars := map[string]any{"id": o.FileObjection.ID, "to": s.to}
			if s.why != "" {
				vars["r"] = s.why
			}
			s.who.mustData(`mutation($id: ID!, $to: ObjectionState!, $r: String) { transitionObjection(id: $id, to: $to, reason: $r) { state } }`, vars, nil)
		}
		co.mustData(transition, map[string]any{"id": app, "to": "REVOKED", "r": "承诺不实"}, nil)
		if got := state(table, id); got != fmt.Sprintf("WITHDRAWN stopped %q reason \"\"", ymd(0)) {
			t.Errorf("revoking the repair of a penalty withdrawn on objection left it %s", got)
		}
	})
}
