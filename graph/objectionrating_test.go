package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A subject can object to a sector rating it holds wrong, as to a penalty or a listing
// (domain.md §6: wrong records of any kind): accepted, the rating is marked and leaves the
// composite evaluation until the decision; an upheld objection that it should not be published
// withdraws it for good; a refusal or a correction puts it back. Every path of the served state
// machine is walked on a rating of its own entity, and after each step the mark and the
// entity's evaluation are compared with the oracle: the evaluation equals that of an entity
// with no records exactly when the rating is marked or withdrawn, and otherwise counts the
// rating. The rating's subject files about its own rating; another subject cannot see it;
// naming two records or none is refused naming the field, and writes nothing.
func TestARatingUnderObjectionLeavesTheEvaluation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-supervisor")
		clerk.t, co.t, sup.t = t, t, t
		n := 0
		entity := func() (string, string) {
			n++
			var out struct{ CreateMarketEntity struct{ ID, Uscc string } }
			clerk.mustData(`mutation($u: String!, $n: String!) { createMarketEntity(input: {uscc: $u, name: $n}) { id uscc } }`,
				map[string]any{"u": validUSCC("91320505", fmt.Sprintf("MA%06d", n)), "n": fmt.Sprintf("苏州评级异议%d公司", n)}, &out)
			return out.CreateMarketEntity.ID, out.CreateMarketEntity.Uscc
		}
		rating := func(e string) string {
			var r struct{ CreateSectorRating struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $e: ID!, $src: String!) { createSectorRating(input: {departmentID: $d, entityID: $e,
				sourceSystem: "orat", sourceRecordID: $src, scheme: MARKET_RISK_CLASS, grade: "D", period: "2026-11", validFrom: "2026-11-01"}) { id } }`,
				map[string]any{"d": env.departmentID("market-320500"), "e": e, "src": "R-" + e}, &r)
			return r.CreateSectorRating.ID
		}
		evaluation := func(e string) string {
			var out struct{ Node json.RawMessage }
			co.mustData(`query($id: ID!) { node(id: $id) { ... on MarketEntity { evaluation { tier score scoreTier gates components { scheme sourceGrade weight } } } } }`,
				map[string]any{"id": e}, &out)
			return string(out.Node)
		}
		// The evaluation of an entity with no records: an entity is evaluated on its first
		// record, so this one is evaluated by hand.
		empty, _ := entity()
		if err := evaluator.Recompute(authz.SystemContext(context.Background()), env.db.Client, vocab.SystemClock, atoi(t, empty)); err != nil {
			t.Fatal(err)
		}
		none := evaluation(empty)
		counted, _ := entity()
		rating(counted)
		with := evaluation(counted)
		if with == none {
			t.Fatalf("a D rating leaves the evaluation as it is without records (%s): the test cannot tell", none)
		}
		marked := func(r string) bool {
			return env.count("sector_ratings", "id = ? AND under_objection = ?", atoi(t, r), true) == 1
		}
		withdrawn := func(r string) bool {
			return env.count("sector_ratings", "id = ? AND status = 'WITHDRAWN'", atoi(t, r)) == 1
		}
		const file = `mutation($r: ID!) { fileObjection(input: {ratingID: $r, grounds: SHOULD_NOT_PUBLISH, description: "评级依据已撤销"}) { id state allowedNextStates } }`
		inForce := map[string]bool{"ACCEPTED": true, "PLATFORM_CHECK": true, "FORWARDED": true, "PROVIDER_CHECK": true}
		check := func(path []string, e, r string) {
			t.Helper()
			wantMark := inForce[path[len(path)-1]]
			if marked(r) != wantMark {
				t.Errorf("after %v the rating is marked %v, want %v", path, marked(r), wantMark)
			}
			want := with
			if wantMark || withdrawn(r) {
				want = none
			}
			if got := evaluation(e); got != want {
				t.Errorf("after %v (marked %v, withdrawn %v) the evaluation is %s, want %s", path, marked(r), withdrawn(r), got, want)
			}
		}
		var holder, r string
		ended := map[bool]int{}
		paths := walkObjectionPaths(t, co, sup, func() map[string]any {
			holder, _ = entity()
			r = rating(holder)
			return map[string]any{"r": r}
		}, file, func(path []string, final bool) {
			check(path, holder, r)
			if final {
				ended[withdrawn(r)]++
			}
		})
		if paths < 8 || ended[true] == 0 || ended[false] == 0 {
			t.Errorf("walked %d paths of the objection machine, ending withdrawn / kept %v", paths, ended)
		}

		// The rating's subject objects to its own rating; another subject does not see it.
		own, ownUSCC := entity()
		r = rating(own)
		_, otherUSCC := entity()
		env.issue(authz.IssueRequest{Name: "rating-subject", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: ownUSCC})
		env.issue(authz.IssueRequest{Name: "rating-other", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: otherUSCC})
		before := env.count("objections", "")
		env.as("rating-other").wantError(file, map[string]any{"r": r}, "NOT_FOUND", "")
		if env.count("objections", "") != before {
			t.Error("another subject's refused objection wrote a row")
		}
		var o struct{ FileObjection struct{ ID string } }
		env.as("rating-subject").mustData(file, map[string]any{"r": r}, &o)
		if marked(r) {
			t.Error("the subject's filing marked its rating before the credit office accepted it")
		}
		env.as("rating-subject").wantError(file, map[string]any{"r": r}, "CONFLICT", "") // one objection at a time
		var seen struct{ Objections struct{ TotalCount int } }
		env.as("rating-subject").mustData(`{ objections { totalCount } }`, nil, &seen)
		if seen.Objections.TotalCount != 1 {
			t.Errorf("the subject sees %d objections, want its own one", seen.Objections.TotalCount)
		}
		var others struct{ Objections struct{ TotalCount int } }
		env.as("rating-other").mustData(`{ objections { totalCount } }`, nil, &others)
		if others.Objections.TotalCount != 0 {
			t.Errorf("another subject sees %d objections, want none", others.Objections.TotalCount)
		}

		// Two records named, or none: refused naming the field, nothing written.
		p := penaltyInput(env, "market-320500", "ORAT-P")
		var pen struct{ CreateAdministrativePenalty struct{ ID string } }
		clerk.mustData(createPenaltyQ, p, &pen)
		before = env.count("objections", "")
		co.wantError(`mutation($p: ID!, $r: ID!) { fileObjection(input: {penaltyID: $p, ratingID: $r, grounds: WRONG, description: "x"}) { id } }`,
			map[string]any{"p": pen.CreateAdministrativePenalty.ID, "r": rating(empty)}, "BAD_USER_INPUT", "penaltyID")
		co.wantError(`mutation { fileObjection(input: {grounds: WRONG, description: "x"}) { id } }`, nil, "BAD_USER_INPUT", "penaltyID")
		if env.count("objections", "") != before {
			t.Error("a refused filing wrote an objection")
		}
	})
}
