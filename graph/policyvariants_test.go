package graph_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/objection"
	"github.com/creditgraph/creditgraph/ent/priornotice"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// What a policy grants is what a role reads, for any policy the credit office may write, not
// only the built-in one. The supervisor's and the public's record grants are replaced by
// generated ones — read or read_public of one sector, of every sector (records:*) or of the
// token's own (records:own), in every department (*), in the supervisor's department or in
// another — and for each policy every record connection's totalCount is compared, for a market
// supervisor and for the public, with an oracle that reads the grants as the policy file says
// them: a rule applies to a token bound in its department or in *; read shows a sector's rows,
// read_public its rows in publicity (inPublicity); the public is bound to no department, and
// a public rule of one department or of records:own is refused. Workflow documents (prior
// notices, repair applications, objections) name persons and records, so a role reads those of
// a department when it reads the department's sector in full and the registry (read, in a bound
// department); the supervisor's registry grants are dropped in some policies. Without its
// own_file grant a subject token reads nothing of its file.
func TestPolicyVariantsGrantExactlyTheirRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 200)
		addRows(t, env)
		addWorkflows(t, env)
		co := env.as("demo-credit-office")
		co.t = t
		connections := nodeTypes(introspect(env))
		const add = `mutation($in: PolicyRuleInput!) { addPolicyRule(input: $in) { kind } }`
		const remove = `mutation($in: PolicyRuleInput!) { removePolicyRule(input: $in) { kind } }`
		type grant struct{ role, department, resource, action string }
		input := func(g grant) map[string]any {
			return map[string]any{"in": map[string]any{"kind": "PERMISSION", "role": g.role, "department": g.department, "resource": g.resource, "action": g.action}}
		}
		// Away with the built-in record grants of the two roles.
		var rules struct {
			PolicyRules []struct {
				Kind, Role, Department string
				Resource, Action       *string
			}
		}
		co.mustData(`{ policyRules { kind role department resource action } }`, nil, &rules)
		for _, r := range rules.PolicyRules {
			if r.Kind == "PERMISSION" && (r.Role == authz.RoleSupervisor || r.Role == authz.RolePublic) && strings.HasPrefix(deref(r.Resource), "records:") {
				co.mustData(remove, input(grant{r.Role, r.Department, *r.Resource, *r.Action}), nil)
			}
		}
		const home = "market" // the supervisor's department
		resources := []string{"records:*", "records:own"}
		for _, s := range authz.AllSectors {
			resources = append(resources, string(authz.RecordsOf(s)))
		}
		// visible is the oracle's SQL condition on a record table for a role under grants.
		visible := func(role string, grants []grant, table, publicRule string) string {
			var full, public []string
			for _, s := range authz.AllSectors {
				code := authz.DepartmentCode(s)
				for _, g := range grants {
					bound := g.department == "*" || role != authz.RolePublic && g.department == home
					covers := g.resource == "records:*" || g.resource == "records:"+code || g.resource == "records:own" && role != authz.RolePublic && code == home
					if g.role != role || !bound || !covers {
						continue
					}
					switch g.action {
					case "read":
						full = append(full, "'"+string(s)+"'")
					case "read_public":
						public = append(public, "'"+string(s)+"'")
					}
				}
			}
			cond := "1=0"
			if len(full) > 0 {
				cond += " OR sector IN (" + strings.Join(full, ",") + ")"
			}
			if len(public) > 0 {
				cond += " OR sector IN (" + strings.Join(public, ",") + ") AND " + publicRule
			}
			return cond
		}
		// workflowVisible is the oracle's SQL condition on a workflow table: its department's
		// sector is read in full, and the registry is read.
		workflowVisible := func(role string, grants []grant, registry bool) string {
			var full []string
			for _, s := range authz.AllSectors {
				for _, g := range grants {
					bound := g.department == "*" || role != authz.RolePublic && g.department == home
					covers := g.resource == "records:*" || g.resource == "records:"+authz.DepartmentCode(s) ||
						g.resource == "records:own" && role != authz.RolePublic && authz.DepartmentCode(s) == home
					if g.role == role && bound && covers && g.action == "read" {
						full = append(full, "'"+string(s)+"'")
					}
				}
			}
			if !registry || len(full) == 0 {
				return "1=0"
			}
			return "department_id IN (SELECT id FROM departments WHERE sector IN (" + strings.Join(full, ",") + "))"
		}
		registryGrants := []grant{{authz.RoleSupervisor, "*", "registry", "read"}, {authz.RoleSupervisor, "*", "registry", "write"}}
		r := rand.New(rand.NewPCG(7, 11))
		today := vocab.SystemClock.Today().Format("2006-01-02")
		tokens := map[string]string{authz.RoleSupervisor: "demo-market-supervisor", authz.RolePublic: ""}
		seen := map[string]bool{}
		for v := range 10 {
			var grants []grant
			for _, role := range []string{authz.RoleSupervisor, authz.RolePublic} {
				for _, res := range resources {
					for _, act := range []string{"read", "read_public"} {
						if r.IntN(5) > 0 || role == authz.RolePublic && res == "records:own" {
							continue
						}
						dep := "*"
						if role == authz.RoleSupervisor {
							dep = []string{"*", "*", home, "labour"}[r.IntN(4)]
						}
						grants = append(grants, grant{role, dep, res, act})
					}
				}
			}
			if v == 0 && !slices.Contains(grants, grant{authz.RoleSupervisor, "*", "records:*", "read"}) {
				grants = append(grants, grant{authz.RoleSupervisor, "*", "records:*", "read"}) // one policy that shows all
			}
			for _, g := range grants {
				co.mustData(add, input(g), nil)
			}
			registry := v%3 != 1 // the supervisor reads the registry
			if !registry {
				for _, g := range registryGrants {
					co.mustData(remove, input(g), nil)
				}
			}
			// The public is in no department: a rule of one, or of its "own" records, would
			// apply everywhere, and is refused.
			for _, g := range []grant{{authz.RolePublic, home, resources[2+v%5], "read"}, {authz.RolePublic, "*", "records:own", "read"}} {
				co.wantError(add, input(g), "BAD_USER_INPUT", "rule")
			}
			for role, token := range tokens {
				for typ, rule := range inPublicity {
					field := connections[typ]
					var got map[string]struct{ TotalCount int }
					env.as(token).mustData(`{ c: `+field+` { totalCount } }`, nil, &got)
					cond := visible(role, grants, rule.table, rule.rule)
					want := env.count(rule.table, cond, slices.Repeat([]any{today}, strings.Count(cond, "?"))...)
					if got["c"].TotalCount != want {
						t.Errorf("policy %d, %s: %s totalCount %d, the grants give %d (%s; grants %v)", v, role, field, got["c"].TotalCount, want, cond, grants)
					}
					all := env.count(rule.table, "")
					switch {
					case want == 0:
						seen["none"] = true
					case want == all:
						seen["all"] = true
					default:
						seen["some"] = true
					}
				}
				for field, table := range workflowTables {
					var got map[string]struct{ TotalCount int }
					env.as(token).mustData(`{ c: `+field+` { totalCount } }`, nil, &got)
					want := env.count(table, workflowVisible(role, grants, registry && role == authz.RoleSupervisor))
					if got["c"].TotalCount != want {
						t.Errorf("policy %d, %s (registry read %v): %s totalCount %d, the grants give %d (grants %v)", v, role, registry, field, got["c"].TotalCount, want, grants)
					}
					if role == authz.RoleSupervisor {
						seen[fmt.Sprintf("workflow %v %v", want > 0, want < env.count(table, ""))] = true
					}
				}
			}
			for _, g := range grants {
				co.mustData(remove, input(g), nil)
			}
			if !registry {
				for _, g := range registryGrants {
					co.mustData(add, input(g), nil)
				}
			}
		}
		for _, k := range []string{"none", "all", "some", "workflow false true", "workflow true true", "workflow true false"} {
			if !seen[k] {
				t.Errorf("no policy showed %s of a table: the variants prove little (%v)", k, seen)
			}
		}
		// The own file is a grant like the others: without own_file read, a subject token reads
		// nothing of its entity's file.
		uscc := sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id IN (SELECT entity_id FROM administrative_penalties) ORDER BY id LIMIT 1`)[0]
		env.issue(authz.IssueRequest{Name: "variant-subject", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: uscc})
		owned := func() (penalties, entities int) {
			var got struct{ AdministrativePenalties, MarketEntities struct{ TotalCount int } }
			env.as("variant-subject").mustData(`{ administrativePenalties { totalCount } marketEntities { totalCount } }`, nil, &got)
			return got.AdministrativePenalties.TotalCount, got.MarketEntities.TotalCount
		}
		if p, e := owned(); p == 0 || e != 1 {
			t.Fatalf("the subject reads %d penalties and %d entities of its own file", p, e)
		}
		ownFile := grant{authz.RoleSubject, "*", "own_file", "read"}
		co.mustData(remove, input(ownFile), nil)
		if p, e := owned(); p != 0 || e != 0 {
			t.Errorf("without own_file read the subject still reads %d penalties and %d entities", p, e)
		}
		co.mustData(add, input(ownFile), nil)
	})
}

// workflowTables are the workflow documents' connections and tables.
var workflowTables = map[string]string{"priorNotices": "prior_notices", "repairApplications": "repair_applications", "objections": "objections"}

// addWorkflows adds, for each sector, a prior notice served by its provincial department and a
// repair application and an objection about one of its penalties (rows only; no workflow run).
// The credit office records nothing of its own.
func addWorkflows(t *testing.T, env *testEnv) {
	t.Helper()
	ctx := authz.SystemContext(context.Background())
	c := env.db.Client
	persons := sqlIDs(t, env, `SELECT id FROM natural_persons ORDER BY id LIMIT 10`)
	today := vocab.SystemClock.Today()
	for i, s := range authz.AllSectors {
		if s == vocab.CreditOffice {
			continue
		}
		var penalty, dep int
		if err := env.db.SQL.QueryRow(`SELECT p.id, p.department_id FROM administrative_penalties p JOIN departments d ON d.id = p.department_id
			WHERE d.sector = ? ORDER BY p.id LIMIT 1`, string(s)).Scan(&penalty, &dep); err != nil {
			t.Fatalf("a penalty of %s: %v", s, err)
		}
		if err := c.PriorNotice.Create().SetDepartmentID(dep).SetPersonID(atoi(t, persons[i])).SetNoticeNo(fmt.Sprintf("PV-%d", i)).
			SetListType("MS_SERIOUS_ILLEGAL_DISHONEST").SetFacts("f").SetServiceMethod(priornotice.ServiceMethodPOST).
			SetServedOn(today.AddDate(0, 0, -20)).SetReplyDeadline(today.AddDate(0, 0, -5)).Exec(ctx); err != nil {
			t.Fatalf("notice: %v", err)
		}
		if err := c.RepairApplication.Create().SetDepartmentID(dep).SetPenaltyID(penalty).Exec(ctx); err != nil {
			t.Fatalf("repair application: %v", err)
		}
		if err := c.Objection.Create().SetDepartmentID(dep).SetPenaltyID(penalty).SetGrounds(objection.GroundsWRONG).
			SetDescription("d").SetFiledOn(today).Exec(ctx); err != nil {
			t.Fatalf("objection: %v", err)
		}
	}
}
