package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Early removal from SAMR's serious list needs, besides the year on the list, that market
// supervision has imposed no heavier penalty (较重行政处罚) on the subject since the listing
// (Order 44 art. 20; domain.md §5.1 item 4) — a REPAIR_BARS row for the list, naming the
// heavier categories and the fine set by the aggravated principle (art. 2). The cases: a
// serious listing, then a market penalty of each category after it; an aggravated fine after
// it; a heavier one on the listing day, before it, by labour, withdrawn, of another entity, or
// with a lighter category beside it; an abnormal-operations listing (no such bar)
// with a heavier penalty after it. A version of the bars from tomorrow that counts fines too
// must not apply yet. Each application is submitted, and another is carried to approval before
// the penalty arrives and then executed; both are compared with an oracle that reads the bars
// in force and the rows by SQL.
func TestEarlyRemovalFromTheSeriousListNeedsNoHeavierPenaltySince(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 300)
		ctx := authz.SystemContext(context.Background())
		today := vocab.SystemClock.Today()
		day := func(n int) time.Time { return today.AddDate(0, 0, n) }
		if err := env.db.Client.ScaleRule.Create().SetScale(vocab.ScaleRepairBars).SetEffectiveFrom(day(1)).
			SetParams(vocab.ScaleParams{Bars: []vocab.RepairBar{{ListTypes: []string{"MS_SERIOUS_ILLEGAL_DISHONEST"},
				HeavierPenaltyAgain: []vocab.PenaltyCategory{vocab.Fine, vocab.RevokeLicence}}}}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		free := sqlIDs(t, env, `SELECT id FROM market_entities WHERE id NOT IN (SELECT entity_id FROM list_entries WHERE entity_id IS NOT NULL)
			AND id NOT IN (SELECT entity_id FROM administrative_penalties WHERE entity_id IS NOT NULL) AND legal_representative_id IS NOT NULL ORDER BY id`)
		listed := day(-400)
		n := 0
		penalty := func(dep, token, entity string, decided time.Time, aggravated bool, cats ...string) string {
			n++
			uscc := sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, entity))[0]
			in := penaltyInput(env, dep, fmt.Sprintf("RB44-%d", n))
			m := in["in"].(map[string]any)
			m["entityID"], m["counterpartyUscc"], m["decisionDate"], m["penaltyCategories"] = entity, uscc, decided.Format(time.DateOnly), cats
			m["aggravatedFine"] = aggravated
			var out struct{ CreateAdministrativePenalty struct{ ID string } }
			env.as(token).mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`, in, &out)
			return out.CreateAdministrativePenalty.ID
		}
		market := func(e string, on time.Time, cats ...string) string {
			return penalty("market-320500", "demo-market-clerk", e, on, false, cats...)
		}
		type scenario struct {
			list, name string
			also       func(entity, neighbour string)
		}
		var cases []scenario
		for _, c := range vocab.PenaltyCategory("").Values() {
			if c == string(vocab.Detention) {
				continue // never a legal person's (TestAPenaltyNamesItsSubject), and these subjects are legal persons
			}
			cases = append(cases, scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", c + " since", func(e, _ string) { market(e, day(-100), c) }})
		}
		cases = append(cases,
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "none", func(string, string) {}},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "aggravated fine since", func(e, _ string) {
				penalty("market-320500", "demo-market-clerk", e, day(-100), true, "WARNING", "FINE")
			}},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "aggravated fine on the listing day", func(e, _ string) {
				penalty("market-320500", "demo-market-clerk", e, listed, true, "FINE")
			}},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "aggravated fine by labour", func(e, _ string) {
				penalty("labour-320000", "demo-labour-clerk", e, day(-100), true, "FINE")
			}},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "heavier on the listing day", func(e, _ string) { market(e, listed, "REVOKE_LICENCE") }},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "heavier before", func(e, _ string) { market(e, day(-500), "REVOKE_LICENCE") }},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "heavier by labour", func(e, _ string) {
				penalty("labour-320000", "demo-labour-clerk", e, day(-100), false, "REVOKE_LICENCE")
			}},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "heavier of another", func(_, nb string) { market(nb, day(-100), "REVOKE_LICENCE") }},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "warning and heavier", func(e, _ string) { market(e, day(-100), "WARNING", "ORDER_SUSPEND") }},
			scenario{"MS_SERIOUS_ILLEGAL_DISHONEST", "heavier, withdrawn", func(e, _ string) {
				id := market(e, day(-100), "REVOKE_LICENCE")
				if _, err := env.db.SQL.Exec(`UPDATE administrative_penalties SET status = 'WITHDRAWN' WHERE id = ?`, atoi(t, id)); err != nil {
					t.Fatal(err)
				}
			}},
			scenario{"MS_ABNORMAL_OPERATION", "heavier since", func(e, _ string) { market(e, day(-100), "REVOKE_LICENCE") }},
			scenario{"MS_ABNORMAL_OPERATION", "none", func(string, string) {}},
		)
		if len(free) < 4*len(cases) {
			t.Fatalf("%d entities without records for %d cases", len(free), len(cases))
		}
		// apply lists entity and makes its repair application (the commitment signed), DRAFT.
		apply := func(list, entity string) (string, string) {
			n++
			l, err := env.db.Client.ListEntry.Create().SetDepartmentID(env.departmentID("market-320500")).SetEntityID(atoi(t, entity)).
				SetSourceSystem("rb44").SetSourceRecordID(fmt.Sprintf("RB44-L%d", n)).SetSeverity(vocab.Serious).
				SetListType(listentry.ListType(list)).SetListedOn(listed).SetReason("r").SetBasis("b").
				SetDecisionNo(fmt.Sprintf("RB44-L%d", n)).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(l.ID), repairApplication(env.as("demo-market-clerk"), "market-320500", entity, "listEntryID", fmt.Sprint(l.ID))
		}
		step := func(token, app, to string) string {
			res := env.as(token).post(transition, map[string]any{"id": app, "to": to})
			if len(res.Errors) == 0 {
				return "ok"
			}
			if code := fmt.Sprint(res.Errors[0].Extensions["code"]); code != "CONFLICT" {
				t.Fatalf("%s to %s: %v", app, to, res.Errors)
			}
			return "CONFLICT: " + res.Errors[0].Message
		}
		seen := map[string]int{}
		check := func(phase string, i int, c scenario, list, got string) {
			want, why := heavierOracle(t, env, list, today)
			seen[phase+" "+why]++
			if verdict, _, _ := strings.Cut(got, ":"); verdict != want {
				t.Errorf("%s, case %d (%s listing, %s): %s; the bars in force give %s (%s)", phase, i, c.list, c.name, got, want, why)
			} else if want == "CONFLICT" && !strings.Contains(got, c.list) {
				t.Errorf("%s, case %d: the refusal %q does not name the list", phase, i, got)
			}
		}
		for i, c := range cases {
			entity, neighbour := free[4*i], free[4*i+1]
			list, app := apply(c.list, entity)
			c.also(entity, neighbour)
			check("at submission", i, c, list, step("demo-market-clerk", app, "SUBMITTED"))
		}
		for i, c := range cases {
			entity, neighbour := free[4*i+2], free[4*i+3]
			list, app := apply(c.list, entity)
			for _, s := range []struct{ token, to string }{{"demo-market-clerk", "SUBMITTED"}, {"demo-credit-office", "ACCEPTED"},
				{"demo-market-reviewer", "INITIAL_APPROVED"}, {"demo-market-reviewer", "UNDER_AUTHORITY_REVIEW"}, {"demo-market-supervisor", "APPROVED"}} {
				env.as(s.token).mustData(transition, map[string]any{"id": app, "to": s.to}, nil)
			}
			c.also(entity, neighbour)
			got := step("demo-credit-office", app, "COMPLETED")
			check("at execution", i, c, list, got)
			state := sqlStrings(t, env, `SELECT state FROM repair_applications WHERE id = ?`, atoi(t, app))[0]
			removed := env.count("list_entries", `id = ? AND removed_on IS NOT NULL`, atoi(t, list)) == 1
			if ok := got == "ok"; state != map[bool]string{true: "COMPLETED", false: "APPROVED"}[ok] || removed != ok {
				t.Errorf("at execution, case %d: application %s, listing removed %v, after %q", i, state, removed, got)
			}
		}
		for _, phase := range []string{"at submission", "at execution"} {
			for _, why := range []string{"no bar for the list", "clear", "heavier penalty since"} {
				if seen[phase+" "+why] == 0 {
					t.Errorf("%s, no case was decided by %q: the test proves little there (%v)", phase, why, seen)
				}
			}
		}
	})
}

// heavierOracle answers the early removal of listing id, every other condition met, under the
// REPAIR_BARS version in force today read back by SQL: "ok" or "CONFLICT", and why.
func heavierOracle(t *testing.T, env *testEnv, id string, today time.Time) (string, string) {
	t.Helper()
	params := barsInForce(t, env, today)
	var bars struct {
		Bars []struct {
			ListTypes, HeavierPenaltyAgain []string
			AggravatedFineAgain            bool
		}
	}
	if err := json.Unmarshal(params, &bars); err != nil {
		t.Fatal(err)
	}
	var list, sector, listed string
	var entity int
	if err := env.db.SQL.QueryRow(`SELECT list_type, sector, SUBSTR(listed_on, 1, 10), entity_id FROM list_entries WHERE id = ?`, atoi(t, id)).
		Scan(&list, &sector, &listed, &entity); err != nil {
		t.Fatal(err)
	}
	why := "no bar for the list"
	for _, b := range bars.Bars {
		if !slices.Contains(b.ListTypes, list) {
			continue
		}
		why = "clear"
		for _, row := range sqlStrings(t, env, `SELECT CONCAT(CASE WHEN aggravated_fine THEN 'A' ELSE '-' END, penalty_categories) FROM administrative_penalties
			WHERE entity_id = ? AND sector = ? AND status <> 'WITHDRAWN' AND SUBSTR(decision_date, 1, 10) > ?`, entity, sector, listed) {
			var cs []string
			if err := json.Unmarshal([]byte(row[1:]), &cs); err != nil {
				t.Fatal(err)
			}
			if b.AggravatedFineAgain && row[0] == 'A' && slices.Contains(cs, "FINE") {
				return "CONFLICT", "heavier penalty since"
			}
			for _, c := range cs {
				if slices.Contains(b.HeavierPenaltyAgain, c) {
					return "CONFLICT", "heavier penalty since"
				}
			}
		}
	}
	return "ok", why
}

// aggravatedFine records a fine set by the aggravated principle, so it needs the FINE
// category: a create without it, and an update that drops FINE from an aggravated fine or marks
// a penalty without one, are refused naming aggravatedFine, and nothing is written.
func TestAnAggravatedFineIsAFine(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		in := penaltyInput(env, "market-320500", "AGG-1")
		in["in"].(map[string]any)["aggravatedFine"], in["in"].(map[string]any)["penaltyCategories"] = true, []string{"WARNING"}
		clerk.wantError(createPenaltyQ, in, "BAD_USER_INPUT", "aggravatedFine")
		if n := env.count("administrative_penalties", "source_record_id = 'AGG-1'"); n != 0 {
			t.Fatal("the refused penalty was stored")
		}
		in["in"].(map[string]any)["penaltyCategories"] = []string{"WARNING", "FINE"}
		var fine, warning struct{ CreateAdministrativePenalty struct{ ID string } }
		clerk.mustData(createPenaltyQ, in, &fine)
		w := penaltyInput(env, "market-320500", "AGG-2")
		w["in"].(map[string]any)["penaltyCategories"] = []string{"WARNING"}
		clerk.mustData(createPenaltyQ, w, &warning)
		const update = `mutation($id: ID!, $in: UpdateAdministrativePenaltyInput!) { updateAdministrativePenalty(id: $id, input: $in) { id } }`
		clerk.wantError(update, map[string]any{"id": fine.CreateAdministrativePenalty.ID, "in": map[string]any{"penaltyCategories": []string{"WARNING"}}},
			"BAD_USER_INPUT", "aggravatedFine")
		clerk.wantError(update, map[string]any{"id": warning.CreateAdministrativePenalty.ID, "in": map[string]any{"aggravatedFine": true}},
			"BAD_USER_INPUT", "aggravatedFine")
		got := sqlStrings(t, env, `SELECT CONCAT(source_record_id, ':', CASE WHEN aggravated_fine THEN 'A' ELSE '-' END, penalty_categories)
			FROM administrative_penalties WHERE source_record_id LIKE 'AGG-%' ORDER BY source_record_id`)
		if want := []string{`AGG-1:A["WARNING","FINE"]`, `AGG-2:-["WARNING"]`}; !slices.Equal(got, want) {
			t.Errorf("after the refused updates: %v, want %v", got, want)
		}
	})
}
