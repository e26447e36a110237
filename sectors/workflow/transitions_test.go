package workflow_test

import (
	"errors"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/sectors/objection"
	"github.com/creditgraph/creditgraph/sectors/repair"
	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/seed/seedtest"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Every transition of both workflows, tried by every demo role on a record of Suzhou's market
// bureau: allowed exactly for its actor — the determining department's steps for the sector's
// tokens and Suzhou's, never for Nanjing's bureau of the same sector (谁认定、谁修复) —
// FORBIDDEN for the others; a step the state does not allow is CONFLICT.
func TestEveryTransitionPerRole(t *testing.T) {
	authorizer := demoAuthorizer(t)
	roles := []string{"demo-credit-office", "demo-market-clerk", "demo-market-reviewer", "demo-market-supervisor", "demo-labour-clerk",
		"demo-labour-supervisor", "demo-auditor-all", "demo-auditor-market", "demo-market-suzhou-supervisor", "demo-market-nanjing-supervisor",
		"demo-market-nanjing-clerk"}
	units := map[string]string{"demo-market-suzhou-supervisor": "market-320500", "demo-market-nanjing-supervisor": "market-320100",
		"demo-market-nanjing-clerk": "market-320100"}
	viewer := func(name string) *authz.Viewer {
		return &authz.Viewer{TokenName: name, Unit: units[name], Perms: authorizer.Permissions(authz.TokenSubject(name))}
	}
	owner := authz.Owner{Sector: vocab.Market, Department: "market-320500"}
	isActor := func(name string, a authz.Actor) bool {
		switch a {
		case authz.CreditOffice:
			return name == "demo-credit-office"
		case authz.Applicant, authz.Determining:
			return name == "demo-market-clerk" || name == "demo-market-reviewer" || name == "demo-market-supervisor" || name == "demo-market-suzhou-supervisor"
		case authz.InitialReviewer: // the market department's clerks (初审)
			return name == "demo-market-clerk" || name == "demo-market-reviewer"
		case authz.Decider: // the role above them in the market department (复审)
			return name == "demo-market-supervisor" || name == "demo-market-suzhou-supervisor"
		}
		return false
	}
	check := func(what string, step func(from, to string, v *authz.Viewer) error, machine map[string][]workflow.Edge[string], all []string) {
		tried := 0
		for from, edges := range machine {
			for _, e := range edges {
				for _, name := range roles {
					err := step(from, e.To, viewer(name))
					tried++
					switch {
					case isActor(name, e.Actor) && err != nil && !errors.Is(err, derrors.InvalidArgument):
						t.Errorf("%s %s→%s by %s refused: %v", what, from, e.To, name, err)
					case !isActor(name, e.Actor) && !errors.Is(err, derrors.Forbidden):
						t.Errorf("%s %s→%s by %s: %v, want FORBIDDEN", what, from, e.To, name, err)
					}
				}
			}
			for _, to := range all {
				allowed := false
				for _, e := range edges {
					allowed = allowed || e.To == to
				}
				if !allowed {
					if err := step(from, to, viewer("demo-credit-office")); !errors.Is(err, derrors.Conflict) {
						t.Errorf("%s %s→%s: %v, want CONFLICT", what, from, to, err)
					}
				}
			}
		}
		if tried < 50 {
			t.Errorf("%s: only %d role × transition pairs tried", what, tried)
		}
	}
	rm := map[string][]workflow.Edge[string]{}
	for s, es := range repair.Transitions {
		for _, e := range es {
			rm[string(s)] = append(rm[string(s)], workflow.Edge[string]{To: string(e.To), Actor: e.Actor, Reason: e.Reason})
		}
	}
	repairStates := statesOf(rm)
	check("repair", func(from, to string, v *authz.Viewer) error {
		_, err := repair.Transitions.Step("a repair application", repair.State(from), repair.State(to), v, owner, "reason")
		return err
	}, rm, repairStates)
	om := map[string][]workflow.Edge[string]{}
	for s, es := range objection.Transitions {
		for _, e := range es {
			om[string(s)] = append(om[string(s)], workflow.Edge[string]{To: string(e.To), Actor: e.Actor, Reason: e.Reason})
		}
	}
	objectionStates := statesOf(om)
	check("objection", func(from, to string, v *authz.Viewer) error {
		_, err := objection.Transitions.Step("an objection", objection.State(from), objection.State(to), v, owner, "reason")
		return err
	}, om, objectionStates)
}

// statesOf lists every state a machine names.
func statesOf(m map[string][]workflow.Edge[string]) []string {
	seen := map[string]bool{}
	for from, es := range m {
		seen[from] = true
		for _, e := range es {
			seen[e.To] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	return out
}

// demoAuthorizer is the built-in policy with the demo tokens' bindings, on a fresh database.
func demoAuthorizer(t *testing.T) *authz.Authorizer {
	t.Helper()
	return seedtest.DemoAccess(t, storagetest.OpenSQLite(t, storagetest.Options{})).Authorizer
}
