package graph_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Objections are filed through the credit office or the record's own sector — by a writer who
// acts for the department that made the record — or by the record's subject (domain.md §6:
// the single window, or the providing department): not by another sector's department that
// reads the record in publicity, another city's bureau, an auditor or the public. Every token
// the demo issues, and a subject token, files an objection against a penalty of each
// provincial department and of two city bureaus; the answer is compared with an oracle that
// reads the token's role, department and unit back by SQL. A refusal is FORBIDDEN where the
// caller sees the record and NOT_FOUND where it does not (node answers null) — an auditor, who
// never writes, is refused before any record is looked up — and writes nothing.
func TestObjectionsAreFiledByTheWindowTheSectorOrTheSubject(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		deps := []string{"environment-320000", "labour-320000", "transport-320000", "market-320000", "market-320500", "market-320100"}
		penalty := penaltiesOf(env, deps, "OF")
		subjectEntity := sqlIDs(t, env, `SELECT entity_id FROM administrative_penalties WHERE id = ?`, atoi(t, penalty["market-320500"]))[0]
		env.issue(authz.IssueRequest{Name: "filer-subject", Role: authz.RoleSubject, Department: "credit_office",
			SubjectUSCC: sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, subjectEntity))[0]})
		other := sqlIDs(t, env, `SELECT id FROM market_entities WHERE id <> ? ORDER BY id LIMIT 1`, atoi(t, subjectEntity))[0]
		env.issue(authz.IssueRequest{Name: "filer-other-subject", Role: authz.RoleSubject, Department: "credit_office",
			SubjectUSCC: sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, other))[0]})

		type token struct {
			name, role, department string
			unit                   sql.NullString
			entity                 sql.NullInt64
		}
		var tokens []token
		rows, err := env.db.SQL.Query(`SELECT name, role, department, unit, subject_entity_id FROM api_tokens ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var tk token
			if err := rows.Scan(&tk.name, &tk.role, &tk.department, &tk.unit, &tk.entity); err != nil {
				t.Fatal(err)
			}
			if tk.role != authz.RolePerson { // persons have no penalty here; TestOwnFileTokensActOnlyForThemselves
				tokens = append(tokens, tk)
			}
		}
		rows.Close()
		tokens = append(tokens, token{name: "", role: "public"})

		const file = `mutation($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: WRONG, description: "金额有误"}) { id } }`
		seen := map[string]int{}
		for _, tk := range tokens {
			for _, dep := range deps {
				pid := penalty[dep]
				var entity int64
				if err := env.db.SQL.QueryRow(`SELECT entity_id FROM administrative_penalties WHERE id = ?`, atoi(t, pid)).Scan(&entity); err != nil {
					t.Fatal(err)
				}
				// The oracle.
				sector := strings.Split(dep, "-")[0]
				may := false
				switch tk.role {
				case authz.RoleCreditOffice:
					may = true
				case authz.RoleSupervisor, authz.RoleClerk:
					may = tk.department == sector && (!tk.unit.Valid || tk.unit.String == "" || tk.unit.String == dep)
				case authz.RoleSubject:
					may = tk.entity.Valid && tk.entity.Int64 == entity
				}
				var node struct{ Node *struct{ ID string } }
				env.as(tk.name).mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": pid}, &node)
				want := "ok"
				switch {
				case !may && tk.role == authz.RoleAuditor: // never writes: refused before any record is looked up
					want = "FORBIDDEN"
				case !may && node.Node != nil:
					want = "FORBIDDEN"
				case !may:
					want = "NOT_FOUND"
				}
				seen[want]++
				before := env.count("objections", "")
				res := env.as(tk.name).post(file, map[string]any{"p": pid})
				got := "ok"
				if len(res.Errors) > 0 {
					got = fmt.Sprint(res.Errors[0].Extensions["code"])
				}
				if got != want {
					t.Errorf("%s (%s of %s, unit %q) filing against %s's penalty: %s, want %s", tk.name, tk.role, tk.department, tk.unit.String, dep, got, want)
				}
				if n := env.count("objections", ""); n != before+map[bool]int{true: 1, false: 0}[got == "ok"] {
					t.Errorf("%s against %s: %d objections written for an answer of %s", tk.name, dep, n-before, got)
				}
				// Filing marks nothing; the objection goes, so that the next caller may file.
				if _, err := env.db.SQL.Exec(`DELETE FROM objections`); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, k := range []string{"ok", "FORBIDDEN", "NOT_FOUND"} {
			if seen[k] == 0 {
				t.Errorf("no filing answered %s: the test proves little (%v)", k, seen)
			}
		}
	})
}

// penaltiesOf records a penalty of each department in deps, by its sector's demo clerk: the
// penalty's ID by department code. prefix keeps the source keys apart.
func penaltiesOf(env *testEnv, deps []string, prefix string) map[string]string {
	clerks := map[string]string{"environment": "demo-environment-clerk", "labour": "demo-labour-clerk", "transport": "demo-transport-clerk", "market": "demo-market-clerk"}
	penalty := map[string]string{}
	for i, dep := range deps {
		var out struct{ CreateAdministrativePenalty struct{ ID string } }
		env.as(clerks[strings.Split(dep, "-")[0]]).mustData(createPenaltyQ, penaltyInput(env, dep, fmt.Sprint(prefix, "-", i)), &out)
		penalty[dep] = out.CreateAdministrativePenalty.ID
	}
	return penalty
}
