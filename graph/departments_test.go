package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A department's records carry its sector — who may read and write them — and its code keys
// what it sent (an import's source system is exchange:<code>). So a department that rows point
// at keeps both: a sector changed under its records split them between two sectors, and a code
// changed made a file imported again new records, and left the tokens bound to it as their
// bureau handling none. A department nothing points at or names yet may still be corrected. The invariant is read from the schema: in every table with a sector and a
// department, each row's sector is its department's.
func TestDepartmentsWithRecordsKeepTheirSectorAndCode(t *testing.T) {
	var checked []string
	for _, table := range migrate.Tables {
		if table.HasColumn("sector") && table.HasColumn("department_id") {
			checked = append(checked, table.Name)
		}
	}
	if len(checked) < 5 {
		t.Fatalf("%d tables with a sector and a department: the test lost its reach", len(checked))
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		office := env.as("demo-credit-office")
		env.as("demo-market-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320500", "DEP-1"), nil)
		const update = `mutation($id: ID!, $in: UpdateDepartmentInput!) { updateDepartment(id: $id, input: $in) { id code sector } }`
		dep := env.departmentID("market-320500")
		// A token that may not change departments is refused as such, and learns nothing of
		// what points at one.
		for _, token := range []string{"demo-market-clerk", "demo-labour-clerk"} {
			got := env.as(token).wantError(update, map[string]any{"id": dep, "in": map[string]any{"sector": "LABOUR"}}, "FORBIDDEN", "")
			if strings.Contains(got.Message, "administrative_penalties") {
				t.Errorf("%s: the refusal tells what points at the department: %q", token, got.Message)
			}
		}
		for _, in := range []map[string]any{{"sector": "LABOUR"}, {"code": "market-320599"}, {"code": "market-320599", "name": "改名"}} {
			got := office.wantError(update, map[string]any{"id": dep, "in": in}, "CONFLICT", "")
			for field := range in {
				if field != "name" && !strings.Contains(got.Message, field) {
					t.Errorf("%v: the refusal does not name %s: %q", in, field, got.Message)
				}
			}
		}
		if n := env.count("departments", "id = ? AND code = 'market-320500' AND sector = 'MARKET' AND name <> '改名'", dep); n != 1 {
			t.Error("a refused update changed the department")
		}
		// Its name may change; so may the sector and code of a department without records.
		office.mustData(update, map[string]any{"id": dep, "in": map[string]any{"name": "苏州市市场监督管理局（更名）"}}, nil)
		var made struct{ CreateDepartment struct{ ID string } }
		office.mustData(`mutation { createDepartment(input: {code: "market-320599", name: "新设局", sector: MARKET, divisionCode: "320500", level: CITY}) { id } }`, nil, &made)
		office.mustData(update, map[string]any{"id": made.CreateDepartment.ID, "in": map[string]any{"sector": "LABOUR", "code": "labour-320599"}}, nil)
		// Once a token names it as its bureau, the code stays: the token would handle no
		// department, or a later one given the code.
		if _, err := env.tokens.Issue(context.Background(), authz.IssueRequest{Name: "bureau-599", Department: "labour", Role: authz.RoleClerk,
			Unit: "labour-320599"}); err != nil {
			t.Fatal(err)
		}
		got := office.wantError(update, map[string]any{"id": made.CreateDepartment.ID, "in": map[string]any{"code": "labour-320598"}}, "CONFLICT", "")
		if !strings.Contains(got.Message, "tokens") {
			t.Errorf("the refusal does not say what names the code: %q", got.Message)
		}
		for _, table := range checked {
			if n := env.count(table+" r JOIN departments d ON d.id = r.department_id", "r.sector <> d.sector"); n != 0 {
				t.Errorf("%s: %d rows whose sector is not their department's", table, n)
			}
		}
	})
}
