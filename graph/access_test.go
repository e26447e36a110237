package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/publicity"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// visibleRecords is, per demo role, the SQL condition for the records it may see: its own
// sectors in full, the others' rows in publicity when it reads them publicly.
func visibleRecords(role string, public string) string {
	all := "1=1"
	switch role {
	case "demo-credit-office", "demo-auditor-all":
		return all
	case "demo-auditor-market", "demo-market-clerk":
		return "sector = 'MARKET'"
	case "demo-labour-clerk":
		return "sector = 'LABOUR'"
	case "demo-market-supervisor":
		return "(sector = 'MARKET' OR " + public + ")"
	case "demo-environment-supervisor":
		return "(sector = 'ENVIRONMENT' OR " + public + ")"
	case "":
		return public
	}
	panic("no expectation for " + role)
}

// Every role's lists and totalCount equal an independent SQL count of what it may see.
func TestEachRoleSeesExactlyItsRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 600)
		today := vocab.SystemClock.Today()
		penaltyPublic := "(status = 'PUBLISHED' AND publicity_deadline >= ?)"
		listPublic := "(status = 'PUBLISHED' AND removed_on IS NULL AND (planned_end_on IS NULL OR planned_end_on >= ?))"
		roles := []string{"demo-credit-office", "demo-auditor-all", "demo-auditor-market", "demo-market-clerk",
			"demo-labour-clerk", "demo-market-supervisor", "demo-environment-supervisor", ""}
		var publicPenalties int
		for _, role := range roles {
			t.Run("role="+role, func(t *testing.T) {
				c := env.as(role)
				c.t = t
				var got struct {
					MarketEntities, AdministrativePenalties, ListEntries, NaturalPersons, EntityRoles struct{ TotalCount int }
					Page                                                                              struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
				c.mustData(`{ marketEntities { totalCount } administrativePenalties { totalCount } listEntries { totalCount }
					naturalPersons { totalCount } entityRoles { totalCount }
					page: administrativePenalties(first: 1000) { edges { node { id } } } }`, nil, &got)
				argsFor := func(cond string) []any {
					if strings.Contains(cond, "?") {
						return []any{today}
					}
					return nil
				}
				pen := visibleRecords(role, penaltyPublic)
				lst := visibleRecords(role, listPublic)
				wantPen := c.count("administrative_penalties", pen, argsFor(pen)...)
				wantList := c.count("list_entries", lst, argsFor(lst)...)
				wantPersons := c.count("natural_persons", "")
				if role == "" {
					wantPersons = 0
					publicPenalties = wantPen
				}
				if got.MarketEntities.TotalCount != 600 {
					t.Errorf("sees %d entities, want all 600 (registration data is public)", got.MarketEntities.TotalCount)
				}
				if got.AdministrativePenalties.TotalCount != wantPen || len(got.Page.Edges) != wantPen {
					t.Errorf("penalties: totalCount %d, %d edges; SQL says %d", got.AdministrativePenalties.TotalCount, len(got.Page.Edges), wantPen)
				}
				if got.ListEntries.TotalCount != wantList {
					t.Errorf("list entries: totalCount %d; SQL says %d", got.ListEntries.TotalCount, wantList)
				}
				if got.NaturalPersons.TotalCount != wantPersons {
					t.Errorf("persons: totalCount %d; want %d", got.NaturalPersons.TotalCount, wantPersons)
				}
				if role == "" && got.EntityRoles.TotalCount != 0 {
					t.Errorf("the public sees %d roles", got.EntityRoles.TotalCount)
				}
			})
		}
		all := env.count("administrative_penalties", "")
		if publicPenalties == 0 || publicPenalties == all {
			t.Errorf("%d of %d penalties are public: the demo data does not exercise the publicity window", publicPenalties, all)
		}
	})
}

// A hidden row is absent everywhere: node(id) answers null, nested edges and their counts agree.
func TestHiddenRowsAreAbsentEverywhere(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 600)
		// An environment penalty whose publicity has ended: made here, not hoped for in the demo.
		hidden, entity := oldEnvironmentPenalty(t, env)
		clerk := env.as("demo-market-clerk")
		var out struct {
			Node   *struct{ ID string }
			Entity struct {
				Penalties struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
		}
		clerk.mustData(`query($p: ID!, $e: ID!) { node(id: $p) { id } entity: node(id: $e) { ... on MarketEntity { penalties { totalCount edges { node { id } } } } } }`,
			map[string]any{"p": fmt.Sprint(hidden), "e": fmt.Sprint(entity)}, &out)
		if out.Node != nil {
			t.Error("node(id) returned a penalty the market clerk may not see")
		}
		want := env.count("administrative_penalties", "entity_id = ? AND sector = 'MARKET'", entity)
		if out.Entity.Penalties.TotalCount != want || len(out.Entity.Penalties.Edges) != want {
			t.Errorf("nested penalties: totalCount %d, %d edges; want %d", out.Entity.Penalties.TotalCount, len(out.Entity.Penalties.Edges), want)
		}
		// The credit office sees it.
		var co struct{ Node *struct{ ID string } }
		env.as("demo-credit-office").mustData(`query($p: ID!) { node(id: $p) { id } }`, map[string]any{"p": fmt.Sprint(hidden)}, &co)
		if co.Node == nil {
			t.Error("the credit office does not see the penalty")
		}
	})
}

// penaltyInput is a published penalty of department dep: a warning and a fine above the low
// limit, decided 2026-05-01 (for market supervision: SAMR Order 45, 6 months to 3 years).
func penaltyInput(env *testEnv, dep string, src string) map[string]any {
	var ent struct {
		MarketEntities struct {
			Edges []struct{ Node struct{ ID, Uscc string } }
		}
	}
	env.as("demo-credit-office").mustData(`{ marketEntities(first: 1, orderBy: [{field: USCC}]) { edges { node { id uscc } } } }`, nil, &ent)
	n := ent.MarketEntities.Edges[0].Node
	authority := validUSCC("11320000", "01400000")
	return map[string]any{"in": map[string]any{
		"departmentID": env.departmentID(dep), "entityID": n.ID, "sourceSystem": "access-test", "sourceRecordID": src,
		"severity": "GENERAL", "counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": n.Uscc,
		"decisionNo": "测罚〔2025〕" + src, "violationType": "虚假广告", "violationFacts": "事实", "legalBasis": "依据",
		"penaltyCategories": []string{"WARNING", "FINE"}, "fineAmount": "5", "penaltyContent": "警告，罚款五万元", "decisionDate": "2026-05-01",
		"authorityName": "某局", "authorityUscc": authority, "dataSourceUnit": "某局", "dataSourceUnitUscc": authority,
	}}
}

const createPenaltyQ = `mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id sector } }`

// Writes outside the caller's department or role are refused with FORBIDDEN and change nothing.
func TestWritesOutOfScopeAreForbidden(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 50)
		before := env.count("administrative_penalties", "")
		beforeEntities := env.count("market_entities", "")
		for _, tt := range []struct{ token, dep string }{
			{"demo-labour-clerk", "market-320500"},      // another sector's department
			{"demo-market-supervisor", "labour-320000"}, // supervisors write only their own sector
			{"demo-credit-office", "market-320000"},     // the credit office manages lists, not penalties
			{"demo-auditor-all", "market-320000"},       // auditors never write
			{"demo-auditor-market", "market-320000"},
			{"", "market-320000"}, // the public never writes
		} {
			c := env.as(tt.token)
			c.wantError(createPenaltyQ, penaltyInput(env, tt.dep, "F-"+tt.token), "FORBIDDEN", "")
		}
		for _, token := range []string{"demo-auditor-all", ""} {
			env.as(token).wantError(`mutation { createMarketEntity(input: {uscc: "91320214745555318W", name: "某公司"}) { id } }`, nil, "FORBIDDEN", "")
		}
		if n := env.count("administrative_penalties", ""); n != before {
			t.Errorf("penalties %d after refused writes, want %d", n, before)
		}
		if n := env.count("market_entities", ""); n != beforeEntities {
			t.Errorf("entities %d after refused writes, want %d", n, beforeEntities)
		}
		// The right clerk may, and updating another sector's record is refused too.
		var ok struct{ CreateAdministrativePenalty struct{ ID, Sector string } }
		env.as("demo-market-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320500", "OK-1"), &ok)
		if ok.CreateAdministrativePenalty.Sector != "MARKET" {
			t.Errorf("sector %q", ok.CreateAdministrativePenalty.Sector)
		}
		const update = `mutation($id: ID!) { updateAdministrativePenalty(id: $id, input: {remark: "x"}) { id } }`
		// A supervisor of another sector sees the penalty (it is public) but may not change it;
		// to a clerk of another sector it does not exist at all.
		env.as("demo-labour-supervisor").wantError(update, map[string]any{"id": ok.CreateAdministrativePenalty.ID}, "FORBIDDEN", "")
		env.as("demo-labour-clerk").wantError(update, map[string]any{"id": ok.CreateAdministrativePenalty.ID}, "NOT_FOUND", "")
		if n := env.count("administrative_penalties", "remark = 'x'"); n != 0 {
			t.Error("a refused update changed the penalty")
		}
		// The credit office manages list entries of any sector.
		env.as("demo-credit-office").mustData(`mutation($d: ID!, $e: ID!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "t",
			sourceRecordID: "CO-L1", severity: SERIOUS, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: "2026-01-02", reason: "欠薪", basis: "第五条", decisionNo: "列9号"}) { id } }`,
			map[string]any{"d": env.departmentID("labour-320000"), "e": penaltyInput(env, "labour-320000", "x")["in"].(map[string]any)["entityID"]}, nil)
	})
}

// Personal data: masked for everyone without the permission and a purpose; unmasked reads are
// logged with their purpose; the public sees no persons and only masked names on records.
func TestPersonalDataMaskedAndLogged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-market-clerk")
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {idNumber: "32050219800101123X", name: "张三丰"}) { id } }`, nil, &p)
		// Stored sealed: the number appears nowhere in the table.
		if n := env.count("natural_persons", "id_number LIKE '%19800101%' OR id_number_masked = '32050219800101123X'"); n != 0 {
			t.Fatal("the ID number is stored in clear")
		}
		read := func(token string, purpose any) string {
			var out struct{ Node struct{ IDNumber string } }
			env.as(token).mustData(`query($id: ID!, $p: String) { node(id: $id) { ... on NaturalPerson { idNumber(purpose: $p) } } }`,
				map[string]any{"id": p.CreateNaturalPerson.ID, "p": purpose}, &out)
			return out.Node.IDNumber
		}
		const masked, full = "3205**********123X", "32050219800101123X"
		for _, tt := range []struct {
			token   string
			purpose any
			want    string
		}{
			{"demo-market-supervisor", "稽查", masked}, // no personal-data permission
			{"demo-market-clerk", nil, masked},
			{"demo-auditor-market", nil, masked}, // the permission, but no purpose
			{"demo-auditor-market", "2026年信用修复抽查", full},
			{"demo-credit-office", "联合惩戒核查", full},
		} {
			if got := read(tt.token, tt.purpose); got != tt.want {
				t.Errorf("%s with purpose %v reads %q, want %q", tt.token, tt.purpose, got, tt.want)
			}
		}
		if n := env.count("audit_logs", "purpose = '联合惩戒核查' AND kind = 'PERSONAL_DATA_READ' AND token_name = 'demo-credit-office'"); n != 1 {
			t.Errorf("%d audit rows for the credit office's unmasked read, want 1", n)
		}
		if n := env.count("audit_logs", "purpose = '2026年信用修复抽查' AND kind = 'AUDITOR_READ'"); n != 1 {
			t.Errorf("%d audit rows for the auditor's unmasked read, want 1", n)
		}
		// Lookup by number works through the keyed hash, for the personal-data permission with a
		// purpose (logged), at most five times a request; without them it is refused.
		var found struct{ PersonByIdNumber *struct{ Name string } }
		co := env.as("demo-credit-office")
		co.mustData(`{ personByIdNumber(idNumber: "32050219800101123x", purpose: "联合惩戒核查身份") { name } }`, nil, &found)
		if found.PersonByIdNumber == nil || found.PersonByIdNumber.Name != "张三丰" {
			t.Errorf("personByIdNumber = %+v", found.PersonByIdNumber)
		}
		if n := env.count("audit_logs", "purpose = '联合惩戒核查身份' AND kind = 'PERSONAL_DATA_READ'"); n != 1 {
			t.Errorf("%d audit rows for the lookup, want 1", n)
		}
		co.wantError(`{ personByIdNumber(idNumber: "32050219800101123x") { name } }`, nil, "BAD_USER_INPUT", "purpose")
		co.wantError(aliased(6, `a%d: personByIdNumber(idNumber: "32050219800101123x", purpose: "核查") { name }`), nil, "BAD_USER_INPUT", "idNumber")
		clerk.wantError(`{ personByIdNumber(idNumber: "32050219800101123x", purpose: "核查") { name } }`, nil, "FORBIDDEN", "")
		// The public: no persons, no lookup, and a person's penalty shows a masked name.
		pub := env.as("")
		var none struct{ NaturalPersons struct{ TotalCount int } }
		pub.mustData(`{ naturalPersons { totalCount } }`, nil, &none)
		if none.NaturalPersons.TotalCount != 0 {
			t.Errorf("the public sees persons: %+v", none)
		}
		pub.wantError(`{ personByIdNumber(idNumber: "32050219800101123X", purpose: "好奇") { name } }`, nil, "FORBIDDEN", "")
		in := penaltyInput(env, "market-320500", "P-1")["in"].(map[string]any)
		delete(in, "entityID")
		delete(in, "counterpartyUscc")
		in["personID"], in["counterpartyCategory"], in["counterpartyName"] = p.CreateNaturalPerson.ID, "NATURAL_PERSON", "张三丰"
		in["decisionDate"] = vocab.SystemClock.Today().AddDate(0, -1, 0).Format(time.DateOnly)
		clerk.mustData(createPenaltyQ, map[string]any{"in": in}, nil)
		var pubPen struct {
			AdministrativePenalties struct {
				Edges []struct {
					Node struct {
						CounterpartyName string
						Person           *struct{ Name string }
					}
				}
			}
		}
		pub.mustData(`{ administrativePenalties(where: {sourceSystem: "access-test"}) { edges { node { counterpartyName person { name } } } } }`, nil, &pubPen)
		if len(pubPen.AdministrativePenalties.Edges) != 1 {
			t.Fatalf("the public sees %d of the new penalties, want 1", len(pubPen.AdministrativePenalties.Edges))
		}
		if n := pubPen.AdministrativePenalties.Edges[0].Node; n.CounterpartyName != "张**" || n.Person != nil {
			t.Errorf("the public sees %+v, want the masked name and no person", n)
		}
	})
}

// The audit log records mutations and auditors' queries, never raw variables, and is visible
// to the credit office and, within scope, to auditors.
func TestAuditLog(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		env.as("demo-market-clerk").mustData(`mutation Register { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州审计测试有限公司"}) { id } }`, nil, nil)
		env.as("demo-credit-office").mustData(`mutation Record { createNaturalPerson(input: {idNumber: "11010519491231002X", name: "李四"}) { id } }`, nil, nil)
		env.as("demo-labour-clerk").wantError(createPenaltyQ, penaltyInput(env, "market-320500", "A-1"), "FORBIDDEN", "")
		env.as("demo-auditor-market").mustData(`query Inspect { marketEntities(first: 1) { totalCount } }`, nil, nil)
		env.as("demo-market-supervisor").mustData(`{ marketEntities(first: 1) { totalCount } }`, nil, nil) // not logged
		checks := []struct{ where string }{
			{"token_name = 'demo-market-clerk' AND kind = 'MUTATION' AND operation = 'Register' AND outcome = 'OK' AND department = 'market' AND role = 'clerk'"},
			{"token_name = 'demo-credit-office' AND kind = 'MUTATION' AND operation = 'Record' AND outcome = 'OK' AND purpose = 'registering a person by identity number'"},
			{"token_name = 'demo-labour-clerk' AND kind = 'MUTATION' AND outcome = 'FORBIDDEN'"},
			{"token_name = 'demo-auditor-market' AND kind = 'AUDITOR_READ' AND operation = 'Inspect'"},
		}
		for _, c := range checks {
			if n := env.count("audit_logs", c.where); n != 1 {
				t.Errorf("%d audit rows where %s, want 1", n, c.where)
			}
		}
		if n := env.count("audit_logs", "token_name = 'demo-market-supervisor'"); n != 0 {
			t.Errorf("a supervisor's plain query was logged %d times", n)
		}
		if n := env.count("audit_logs", "variables_digest LIKE '%11010519%' OR operation LIKE '%11010519%'"); n != 0 {
			t.Error("the audit log holds raw personal data")
		}
		total := env.count("audit_logs", "")
		market := env.count("audit_logs", "department = 'market'")
		for _, tt := range []struct {
			token string
			want  int
		}{{"demo-credit-office", total}, {"demo-auditor-market", market}, {"demo-market-supervisor", 0}} {
			var out struct{ AuditLogs struct{ TotalCount int } }
			env.as(tt.token).mustData(`{ auditLogs { totalCount } }`, nil, &out)
			// An auditor's own query is logged after it answers, so it is not in its count.
			if out.AuditLogs.TotalCount != tt.want {
				t.Errorf("%s sees %d audit rows, want %d", tt.token, out.AuditLogs.TotalCount, tt.want)
			}
		}
		// Every scope of departments reads exactly its departments' entries: refusals logged in
		// each department first, then an auditor of each nonempty set of departments.
		for _, d := range []string{"environment", "transport"} {
			env.as("demo-"+d+"-clerk").wantError(createPenaltyQ, penaltyInput(env, "market-320500", "A-"+d), "FORBIDDEN", "")
		}
		deps := []string{"environment", "labour", "transport", "market", "credit_office"}
		for mask := 1; mask < 1<<len(deps); mask++ {
			var scope, quoted []string
			for i, d := range deps {
				if mask&(1<<i) != 0 {
					scope, quoted = append(scope, d), append(quoted, "'"+d+"'")
				}
			}
			name := fmt.Sprint("audit-scope-", mask)
			env.issue(authz.IssueRequest{Name: name, Role: authz.RoleAuditor, Department: scope[0], Scope: scope})
			want := env.count("audit_logs", "department IN ("+strings.Join(quoted, ",")+")")
			var out struct{ AuditLogs struct{ TotalCount int } }
			env.as(name).mustData(`{ auditLogs { totalCount } }`, nil, &out)
			if out.AuditLogs.TotalCount != want || want == 0 {
				t.Errorf("an auditor of %v sees %d audit rows; its departments have %d", scope, out.AuditLogs.TotalCount, want)
			}
		}
		// No API changes it, and the data layer refuses even internal updates.
		if _, err := env.db.Client.AuditLog.Update().Save(authz.SystemContext(context.Background())); err == nil {
			t.Error("the audit log was updated")
		}
		if _, err := env.db.Client.AuditLog.Delete().Exec(authz.SystemContext(context.Background())); err == nil {
			t.Error("the audit log was deleted")
		}
	})
}

// Unknown, malformed, expired and revoked tokens get HTTP 401 UNAUTHENTICATED and no data.
func TestAuthentication(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 5)
	ctx := context.Background()
	if err := env.tokens.Revoke(ctx, "demo-labour-clerk"); err != nil {
		t.Fatal(err)
	}
	soon := authz.TokenService{Client: env.db.Client, Authorizer: env.authorizer, Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }}
	expired, err := soon.Issue(ctx, authz.IssueRequest{Name: "short-lived", Role: authz.RoleClerk, Department: "market", Expires: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for name, header := range map[string]string{
		"revoked":   "Bearer " + env.secrets["demo-labour-clerk"],
		"expired":   "Bearer " + expired,
		"unknown":   "Bearer cg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"malformed": "Bearer not-a-token",
		"basic":     "Basic dXNlcjpwYXNz",
		"empty":     "Bearer ",
	} {
		req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/query", bytes.NewReader([]byte(`{"query":"{ marketEntities { totalCount } }"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var r gqlResponse
		_ = json.Unmarshal(body, &r)
		if res.StatusCode != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || string(r.Data) != "null" {
			t.Errorf("%s token: %d %s", name, res.StatusCode, body)
		}
	}
}

func TestIntrospectionNeedsAToken(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 0)
	const q = `{ __schema { queryType { name } } }`
	if r := env.as("").post(q, nil); len(r.Errors) == 0 {
		t.Error("the public may introspect")
	}
	env.as("demo-auditor-all").mustData(q, nil, nil)
}

// The credit office changes the policy through GraphQL; the change applies at once here and,
// through Watch, on other instances; invalid rules are refused.
func TestPolicyManagementThroughGraphQL(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		co := env.as("demo-credit-office")
		binding := map[string]any{"in": map[string]any{"kind": "ROLE_BINDING", "subject": "demo-labour-clerk", "role": "clerk", "department": "market"}}
		const add = `mutation($in: PolicyRuleInput!) { addPolicyRule(input: $in) { kind subject role department } }`
		const remove = `mutation($in: PolicyRuleInput!) { removePolicyRule(input: $in) { kind } }`
		env.as("demo-market-supervisor").wantError(add, binding, "FORBIDDEN", "")
		env.as("demo-auditor-all").wantError(`{ policyRules { role } }`, nil, "FORBIDDEN", "")
		co.wantError(add, map[string]any{"in": map[string]any{"kind": "PERMISSION", "role": "clerk", "department": "market",
			"resource": "everything", "action": "read"}}, "BAD_USER_INPUT", "rule")
		co.wantError(add, map[string]any{"in": map[string]any{"kind": "ROLE_BINDING", "subject": "x", "role": "root", "department": "market"}}, "BAD_USER_INPUT", "rule")

		// A second instance over the same database, watching the policy.
		other, err := authz.New(context.Background(), authz.EntStore{Client: env.db.Client}, nil, authz.Config{Publicity: publicity.Predicate})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go other.Watch(ctx, 20*time.Millisecond)

		labour := env.as("demo-labour-clerk")
		labour.wantError(createPenaltyQ, penaltyInput(env, "market-320500", "PM-1"), "FORBIDDEN", "")
		co.mustData(add, binding, nil)
		labour.mustData(createPenaltyQ, penaltyInput(env, "market-320500", "PM-1"), nil)
		deadline := time.Now().Add(5 * time.Second)
		for !other.Permissions(authz.TokenSubject("demo-labour-clerk")).CanWrite("MARKET") {
			if time.Now().After(deadline) {
				t.Fatal("the other instance did not apply the new binding within 5 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		var rules struct {
			PolicyRules []struct{ Kind, Role, Department string }
		}
		co.mustData(`{ policyRules { kind role department } }`, nil, &rules)
		if len(rules.PolicyRules) < 25 {
			t.Errorf("%d policy rules listed", len(rules.PolicyRules))
		}
		co.mustData(remove, binding, nil)
		labour.wantError(createPenaltyQ, penaltyInput(env, "market-320500", "PM-2"), "FORBIDDEN", "")
		co.wantError(remove, binding, "NOT_FOUND", "")
	})
}

// oldEnvironmentPenalty records, through the API, an environment penalty decided five years
// ago, whose publicity has ended, and returns its ID and its entity's.
func oldEnvironmentPenalty(t *testing.T, env *testEnv) (penalty, entity int64) {
	t.Helper()
	var ent struct {
		MarketEntities struct {
			Edges []struct{ Node struct{ ID, Uscc string } }
		}
	}
	env.mustData(`{ marketEntities(first: 1) { edges { node { id uscc } } } }`, nil, &ent)
	e := ent.MarketEntities.Edges[0].Node
	authority := validUSCC("11320000", "01400000")
	decided := vocab.SystemClock.Today().AddDate(-5, 0, 0).Format(time.DateOnly)
	var out struct{ CreateAdministrativePenalty struct{ ID string } }
	env.as("demo-environment-clerk").mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`,
		map[string]any{"in": map[string]any{
			"departmentID": env.departmentID("environment-320000"), "entityID": e.ID,
			"sourceSystem": "js-env", "sourceRecordID": "ENV-OLD-1", "severity": "GENERAL",
			"counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": e.Uscc,
			"decisionNo": "苏环罚〔旧〕1号", "violationType": "超标排放", "violationFacts": "颗粒物超标",
			"legalBasis": "《大气污染防治法》第九十九条", "penaltyCategories": []string{"WARNING"},
			"penaltyContent": "警告", "decisionDate": decided, "authorityName": "江苏省生态环境厅", "authorityUscc": authority,
			"dataSourceUnit": "江苏省生态环境厅", "dataSourceUnitUscc": authority,
		}}, &out)
	p, err := strconv.ParseInt(out.CreateAdministrativePenalty.ID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(e.ID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return p, id
}

// A token issued by another process (the CLI, another instance) works on this server at once
// with its rights, and revoking it removes every grant it had (README, Access).
func TestTokenIssuedElsewhereWorksAtOnceAndRevocationRemovesGrants(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 200)
		ctx := context.Background()
		// The CLI builds its own authorizer over the same database; this server's polls every 2 s.
		cli, err := authz.New(ctx, authz.EntStore{Client: env.db.Client}, nil, authz.Config{Publicity: publicity.Predicate})
		if err != nil {
			t.Fatal(err)
		}
		tokens := authz.TokenService{Client: env.db.Client, Authorizer: cli}
		secret, err := tokens.Issue(ctx, authz.IssueRequest{Name: "fresh-clerk", Role: authz.RoleClerk, Department: "market"})
		if err != nil {
			t.Fatal(err)
		}
		env.secrets["fresh-clerk"] = secret
		var got struct{ AdministrativePenalties struct{ TotalCount int } }
		env.as("fresh-clerk").mustData(`{ administrativePenalties { totalCount } }`, nil, &got)
		if want := env.count("administrative_penalties", "sector = 'MARKET'"); want == 0 || got.AdministrativePenalties.TotalCount != want {
			t.Errorf("a token issued elsewhere sees %d market penalties at once, want %d", got.AdministrativePenalties.TotalCount, want)
		}
		if err := tokens.Revoke(ctx, "fresh-clerk"); err != nil {
			t.Fatal(err)
		}
		if n := env.count("casbin_rules", "v0 = ?", authz.TokenSubject("fresh-clerk")); n != 0 {
			t.Errorf("%d grants of the revoked token remain", n)
		}
	})
}

// What a caller without the personal-data permission reads about a person never narrows the
// identity number to fewer than 10,000 candidates (issue 12, point 2). Every scalar field of
// NaturalPerson (read from the served schema) is read as each such role; the count is of the
// numbers that agree with what was read: the masked number keeps the first and last four
// characters, so the unknown are two address digits (100) and the birth date (about 36,500
// days since 1926) unless a field gives them away.
func TestPersonalDataCannotBeNarrowed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {idNumber: "32050219800101123X", name: "张三丰"}) { id } }`, nil, &p)
		var fields []string
		for _, f := range introspect(env).types["NaturalPerson"].Fields {
			if name, kind, list := f.Type.named(); !list && (kind == "SCALAR" || kind == "ENUM") && len(f.Args) == 0 || name == "String" && f.Name == "idNumber" {
				fields = append(fields, f.Name)
			}
		}
		for name := range env.secrets {
			if env.authorizer.Permissions(authz.TokenSubject(name)).PersonalData {
				continue
			}
			var out struct{ Node map[string]any }
			r := env.as(name).post(`query($id: ID!) { node(id: $id) { ... on NaturalPerson { `+strings.Join(fields, " ")+` } } }`, map[string]any{"id": p.CreateNaturalPerson.ID})
			if len(r.Errors) > 0 {
				continue // the role may not read persons at all
			}
			_ = json.Unmarshal(r.Data, &out)
			if out.Node == nil {
				continue
			}
			candidates := 100 * 36500
			for field, v := range out.Node {
				if v == nil || v == "" {
					continue
				}
				switch s := fmt.Sprint(v); {
				case field == "birthDate" || strings.Contains(s, "1980-01-01") || strings.Contains(s, "19800101"):
					candidates /= 36500 // the birth date is known
				case field == "divisionCode" || strings.Contains(s, "320502"):
					candidates /= 100 // the address code is known
				}
			}
			if id, _ := out.Node["idNumber"].(string); strings.Count(id, "*") < 10 {
				candidates = 1 // the number is not masked
			}
			if candidates < 10000 {
				t.Errorf("%s narrows the ID number to %d candidates from %v", name, candidates, out.Node)
			}
		}
	})
}

// Internal IDs of persons are not shown to callers who may not read persons (issue 12,
// point 3): every personID field of every type (read from the schema) answers null to them.
func TestPersonIDsAreNotShownToThePublic(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		in := penaltyInput(env, "market-320500", "PID-1")["in"].(map[string]any)
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {name: "王五", idNumber: "32050219800101123X"}) { id } }`, nil, &p)
		in["personID"] = p.CreateNaturalPerson.ID
		in["counterpartyCategory"] = "NATURAL_PERSON"
		delete(in, "entityID") // a natural person's penalty names no entity and no code
		delete(in, "counterpartyUscc")
		in["decisionDate"] = vocab.SystemClock.Today().AddDate(0, -1, 0).Format(time.DateOnly)
		env.mustData(createPenaltyQ, map[string]any{"in": in}, nil)
		sch := introspect(env)
		for _, conn := range sch.connections() {
			hasPersonID := false
			for _, q := range sch.types["Query"].Fields {
				if q.Name != conn.field {
					continue
				}
				name, _, _ := q.Type.named()
				for _, f := range sch.types[strings.TrimSuffix(name, "Connection")].Fields {
					hasPersonID = hasPersonID || f.Name == "personID"
				}
			}
			if !hasPersonID {
				continue
			}
			for _, who := range []string{"", "demo-market-clerk"} {
				r := env.as(who).post(`{ c: `+conn.field+`(first: 100) { edges { node { personID } } } }`, nil)
				if len(r.Errors) > 0 {
					continue
				}
				shown := strings.Count(string(r.Data), `"personID":"`)
				if who == "" && shown > 0 {
					t.Errorf("%s shows %d person IDs to the public", conn.field, shown)
				}
				if who != "" && conn.field == "administrativePenalties" && shown == 0 {
					t.Errorf("%s shows no person IDs to a reader of persons", conn.field)
				}
			}
		}
	})
}
