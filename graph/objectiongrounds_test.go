package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// withdrawnOn says, per objection ground of domain.md §6, whether an upheld objection takes the
// record out of publicity (it should not be public: not to be published, past its period, a
// duplicate, a breach of privacy or trade secrets) or corrects it and leaves it public (wrong,
// missing, differing from the issuing authority's data).
var withdrawnOn = map[string]bool{
	"SHOULD_NOT_PUBLISH": true, "PAST_PERIOD": true, "DUPLICATE": true, "PRIVACY": true,
	"WRONG": false, "MISSING": false, "DIFFERS_FROM_SOURCE": false,
}

// An upheld objection does what its ground calls for, for every ground the schema offers and
// every kind of record objected to (penalty, listing, rating): withdrawn (WITHDRAWN, out of
// publicity from today, the listing removed as CORRECTED) or corrected (the correction
// required, the record still public), the objection mark cleared either way.
func TestUpheldObjectionsFollowTheirGrounds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		ctx := authz.SystemContext(context.Background())
		var grounds []string
		for _, v := range introspect(env).types["ObjectionGrounds"].EnumValues {
			grounds = append(grounds, v.Name)
			if _, ok := withdrawnOn[v.Name]; !ok {
				t.Errorf("objection ground %s has no outcome in this test: say from domain.md §6 whether it withdraws or corrects", v.Name)
			}
		}
		if len(grounds) != len(withdrawnOn) {
			t.Fatalf("the schema's grounds %v differ from the test's", grounds)
		}
		co, public := env.as("demo-credit-office"), env.as("")
		co.t, public.t = t, t
		const move = `mutation($id: ID!, $to: ObjectionState!, $r: String, $c: String) { transitionObjection(id: $id, to: $to, reason: $r, correction: $c) { state } }`
		entity := atoi(t, penaltyInput(env, "market-320500", "x")["in"].(map[string]any)["entityID"].(string))
		for i, g := range grounds {
			for _, kind := range []string{"penaltyID", "listEntryID", "ratingID"} {
				var id, table string
				switch kind {
				case "ratingID":
					var r struct{ CreateSectorRating struct{ ID string } }
					env.as("demo-market-clerk").mustData(`mutation($d: ID!, $e: ID!, $src: String!) { createSectorRating(input: {departmentID: $d, entityID: $e,
						sourceSystem: "og", sourceRecordID: $src, scheme: MARKET_RISK_CLASS, grade: "C", period: "2026-11", validFrom: "2026-11-01"}) { id } }`,
						map[string]any{"d": env.departmentID("market-320500"), "e": entity, "src": fmt.Sprintf("OG-R%d", i)}, &r)
					id, table = r.CreateSectorRating.ID, "sector_ratings"
				case "penaltyID":
					var p struct{ CreateAdministrativePenalty struct{ ID string } }
					env.as("demo-market-clerk").mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`,
						penaltyInput(env, "market-320500", fmt.Sprintf("OG-%d", i)), &p)
					id, table = p.CreateAdministrativePenalty.ID, "administrative_penalties"
				default:
					no := fmt.Sprintf("OG-L%d", i)
					l, err := env.db.Client.ListEntry.Create().SetDepartmentID(env.departmentID("market-320500")).SetEntityID(entity).
						SetSourceSystem("og").SetSourceRecordID(no).SetSeverity(vocab.General).SetListType(listentry.ListTypeMS_ABNORMAL_OPERATION).
						SetListedOn(vocab.SystemClock.Today().AddDate(0, 0, -20)).SetReason("r").SetBasis("b").SetDecisionNo(no).Save(ctx)
					if err != nil {
						t.Fatal(err)
					}
					id, table = fmt.Sprint(l.ID), "list_entries"
				}
				what := fmt.Sprintf("%s upheld on %s", table, g)
				var o struct{ FileObjection struct{ ID string } }
				co.mustData(fmt.Sprintf(`mutation($r: ID!) { fileObjection(input: {%s: $r, grounds: %s, description: "异议"}) { id } }`, kind, g),
					map[string]any{"r": id}, &o)
				for _, to := range []string{"ACCEPTED", "PLATFORM_CHECK"} {
					co.mustData(move, map[string]any{"id": o.FileObjection.ID, "to": to}, nil)
				}
				uphold := map[string]any{"id": o.FileObjection.ID, "to": "UPHELD", "r": "经核查属实"}
				if !withdrawnOn[g] {
					// A correction ground needs the correction made.
					co.wantError(move, uphold, "BAD_USER_INPUT", "correction")
					uphold["c"] = "已更正"
				}
				co.mustData(move, uphold, nil)
				status := sqlStrings(t, env, `SELECT status FROM `+table+` WHERE id = ?`, atoi(t, id))[0]
				var shown struct{ Node *struct{ ID string } }
				public.mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &shown)
				if n := env.count(table, "id = ? AND under_objection = TRUE", atoi(t, id)); n != 0 {
					t.Errorf("%s: still marked under objection", what)
				}
				if table == "sector_ratings" {
					// A rating has no publicity window: withdrawn or kept, as the ground says.
					if want := map[bool]string{true: "WITHDRAWN", false: "PUBLISHED"}[withdrawnOn[g]]; status != want {
						t.Errorf("%s: %s, want %s", what, status, want)
					}
				} else if withdrawnOn[g] {
					stopped := "publicity_stopped_on"
					if table == "list_entries" {
						stopped = "removed_on"
						if env.count(table, "id = ? AND removal_reason = 'CORRECTED'", atoi(t, id)) != 1 {
							t.Errorf("%s: the listing's removal reason is not CORRECTED", what)
						}
					}
					if status != "WITHDRAWN" || shown.Node != nil || env.count(table, "id = ? AND SUBSTR("+stopped+", 1, 10) = ?", atoi(t, id), todayMinus(0)) != 1 {
						t.Errorf("%s: %s, shown to the public %v, %s not today; want it withdrawn from today", what, status, shown.Node != nil, stopped)
					}
				} else if status != "PUBLISHED" || shown.Node == nil {
					t.Errorf("%s: %s, shown to the public %v; want it corrected and still public", what, status, shown.Node != nil)
				}
			}
		}
	})
}
