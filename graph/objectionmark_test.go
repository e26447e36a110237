package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// An objection marks its record from the credit office's acceptance to the decision
// (domain.md §6: SUBMITTED → ACCEPTED + objectionMark | NOT_ACCEPTED), and only the mark
// suspends the record's measures. Every path of the served state machine — read step by step
// from allowedNextStates — is walked on a listing of its own, and after each step the record's
// mark and whether the listing restricts are compared with the oracle: marked exactly in
// ACCEPTED, PLATFORM_CHECK, FORWARDED and PROVIDER_CHECK; restricting when not marked and not
// withdrawn (an upheld objection that it should not be published withdraws it). A subject filing
// objections about its own listing, again after each refusal, is restricted throughout.
func TestObjectionMarksFromAcceptanceToDecision(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-supervisor")
		clerk.t, co.t, sup.t = t, t, t
		var ent struct{ CreateMarketEntity struct{ ID, Uscc string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州异议标记某公司"}) { id uscc } }`, nil, &ent)
		n := 0
		listing := func() string {
			n++
			var l struct{ CreateListEntry struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!, $src: String!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "mark", sourceRecordID: $src, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
				reason: "r", basis: "b", decisionNo: $src}) { id } }`,
				map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID,
					"on": vocab.SystemClock.Today().AddDate(0, -1, 0).Format(time.DateOnly), "src": fmt.Sprint("MARK-", n)}, &l)
			return l.CreateListEntry.ID
		}
		// restricting lists the listings whose decision numbers restrict the entity.
		restricting := func() []string {
			var out restrictionsOut
			env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: BIDDING) { decisionNo } }`, map[string]any{"u": ent.CreateMarketEntity.Uscc}, &out)
			var nos []string
			for _, r := range out.Restrictions {
				nos = append(nos, r.DecisionNo)
			}
			return nos
		}
		marked := func(id string) bool {
			return env.count("list_entries", "id = ? AND under_objection = ?", atoi(t, id), true) == 1
		}
		withdrawn := func(id string) bool {
			return env.count("list_entries", "id = ? AND status = 'WITHDRAWN'", atoi(t, id)) == 1
		}
		const file = `mutation($l: ID!) { fileObjection(input: {listEntryID: $l, grounds: SHOULD_NOT_PUBLISH, description: "决定已撤销"}) { id state allowedNextStates } }`
		const move = `mutation($id: ID!, $to: ObjectionState!) { transitionObjection(id: $id, to: $to, reason: "理由") { state allowedNextStates } }`
		inForce := map[string]bool{"ACCEPTED": true, "PLATFORM_CHECK": true, "FORWARDED": true, "PROVIDER_CHECK": true}
		check := func(path []string, l string) {
			t.Helper()
			state := path[len(path)-1]
			no := sqlStrings(t, env, `SELECT decision_no FROM list_entries WHERE id = ?`, atoi(t, l))[0]
			wantMark := inForce[state]
			wantRestrict := !wantMark && !withdrawn(l)
			if marked(l) != wantMark {
				t.Errorf("after %v the record is marked %v, want %v", path, marked(l), wantMark)
			}
			if got := slices.Contains(restricting(), no); got != wantRestrict {
				t.Errorf("after %v the listing restricts: %v, want %v", path, got, wantRestrict)
			}
		}
		// Walk every path: a fresh listing per path, replaying its steps.
		var l string
		paths := walkObjectionPaths(t, co, sup, func() map[string]any {
			l = listing()
			return map[string]any{"l": l}
		}, file, func(path []string, _ bool) { check(path, l) })
		if paths < 8 {
			t.Errorf("walked %d paths of the objection machine", paths)
		}

		// A subject objecting to its own listing, again and again, stays restricted.
		env.issue(authz.IssueRequest{Name: "mark-subject", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: ent.CreateMarketEntity.Uscc})
		l = listing()
		no := sqlStrings(t, env, `SELECT decision_no FROM list_entries WHERE id = ?`, atoi(t, l))[0]
		for range 3 {
			var o struct{ FileObjection struct{ ID string } }
			env.as("mark-subject").mustData(file, map[string]any{"l": l}, &o)
			if marked(l) || !slices.Contains(restricting(), no) {
				t.Errorf("a subject's filing suspended its listing")
			}
			env.as("mark-subject").wantError(file, map[string]any{"l": l}, "CONFLICT", "") // one objection at a time
			co.mustData(move, map[string]any{"id": o.FileObjection.ID, "to": "NOT_ACCEPTED"}, nil)
		}
	})
}

// walkObjectionPaths walks every path of the served objection machine, read step by step from
// allowedNextStates: for each path it files a fresh objection (vars makes its record and gives
// file's variables; file selects id, state and allowedNextStates) with the credit office, replays
// the path's steps — the credit office's, or else the determining department's supervisor's — and
// calls after with the path so far after each step, and whether the path has ended. It returns
// how many paths it walked.
func walkObjectionPaths(t *testing.T, co, sup *testEnv, vars func() map[string]any, file string, after func(path []string, final bool)) int {
	t.Helper()
	const move = `mutation($id: ID!, $to: ObjectionState!) { transitionObjection(id: $id, to: $to, reason: "理由") { state allowedNextStates } }`
	type step struct {
		State             string
		AllowedNextStates []string
	}
	paths := 0
	var walk func(path []string)
	walk = func(path []string) {
		var filed struct {
			FileObjection struct {
				ID string
				step
			}
		}
		co.mustData(file, vars(), &filed)
		cur, next := []string{filed.FileObjection.State}, filed.FileObjection.AllowedNextStates
		after(cur, len(path) == 1 && len(next) == 0)
		for i, to := range path[1:] {
			var out struct{ TransitionObjection step }
			v := map[string]any{"id": filed.FileObjection.ID, "to": to}
			if r := co.post(move, v); len(r.Errors) == 0 {
				if err := json.Unmarshal(r.Data, &out); err != nil {
					t.Fatal(err)
				}
			} else {
				sup.mustData(move, v, &out) // the determining department's steps
			}
			cur, next = append(cur, out.TransitionObjection.State), out.TransitionObjection.AllowedNextStates
			after(cur, i == len(path)-2 && len(next) == 0)
		}
		paths++
		for _, to := range next {
			walk(append(slices.Clone(path), to))
		}
	}
	walk([]string{"SUBMITTED"})
	return paths
}
