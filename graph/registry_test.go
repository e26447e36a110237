package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

type entityPage struct {
	MarketEntities struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct {
			Node struct {
				ID                  string
				Uscc                string
				Name                string
				EntityKind          string
				DivisionCode        string
				CityCode            string
				LegalRepresentative *struct{ Name string }
			}
		}
	}
}

// The "done when": the demo data answers the first query, and a wrong check character
// is refused with BAD_USER_INPUT while the entity count stays the same.
func TestDemoQueryAndRejectedUSCC(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 200)
		var page entityPage
		env.mustData(`{ marketEntities(first: 5) { totalCount edges { node { uscc name } } } }`, nil, &page)
		if page.MarketEntities.TotalCount != 200 || len(page.MarketEntities.Edges) != 5 {
			t.Fatalf("totalCount %d, %d edges; want 200 and 5", page.MarketEntities.TotalCount, len(page.MarketEntities.Edges))
		}
		before := env.count("market_entities", "")
		got := env.wantError(`mutation($in: CreateMarketEntityInput!) { createMarketEntity(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"uscc": "91350100M000100Y42", "name": "福州测试有限公司"}}, "BAD_USER_INPUT", "uscc")
		if !strings.Contains(got.Message, "check character") {
			t.Errorf("message %q does not explain the check character", got.Message)
		}
		if after := env.count("market_entities", ""); after != before {
			t.Errorf("entity count changed from %d to %d", before, after)
		}
	})
}

func TestCreateMarketEntityDerivesFields(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		var out struct {
			CreateMarketEntity struct {
				Uscc, OrgCode, EntityKind, DivisionCode, CityCode, UsccStatus, RegisteredCapital string
				Division                                                                         struct{ Name string }
			}
		}
		env.mustData(`mutation($in: CreateMarketEntityInput!) { createMarketEntity(input: $in) {
			uscc orgCode entityKind divisionCode cityCode usccStatus registeredCapital division { name } } }`,
			map[string]any{"in": map[string]any{"uscc": " 9132-0214-7455 5531 8w", "name": "无锡测试科技有限公司",
				"registeredCapital": "1234.567891", "establishedOn": "2003-01-15", "industryCode": "C3971"}}, &out)
		got := out.CreateMarketEntity
		want := "91320214745555318W/745555318/ENTERPRISE/320214/320200/OK/1234.567891/新吴区"
		if s := strings.Join([]string{got.Uscc, got.OrgCode, got.EntityKind, got.DivisionCode, got.CityCode,
			got.UsccStatus, got.RegisteredCapital, got.Division.Name}, "/"); s != want {
			t.Errorf("derived fields mismatch\n got %s\nwant %s", s, want)
		}
		// A pilot code that fails the checksum is allow-listed; a company from another province is fine.
		env.mustData(`mutation { a: createMarketEntity(input: {uscc: "91350211M0000XUF46", name: "厦门试点企业"}) { usccStatus division { name } }
			b: createMarketEntity(input: {uscc: "91110000600037341L", name: "北京某公司"}) { divisionCode } }`, nil, nil)
		if n := env.count("market_entities", "uscc_status = 'CHECKSUM_EXCEPTION'"); n != 1 {
			t.Errorf("%d checksum exceptions stored, want 1", n)
		}
	})
}

// Bad input of every kind is refused with the field named, and nothing is written.
func TestInvalidInputWritesNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		dep := env.departmentID("market-320500")
		var ent struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID, Uscc string } }
			}
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id uscc } } } }`, nil, &ent)
		entityID, entityUSCC := ent.MarketEntities.Edges[0].Node.ID, ent.MarketEntities.Edges[0].Node.Uscc
		// The placeholder names an individual business by its registration number.
		if _, err := env.db.SQL.Exec(`UPDATE market_entities SET registration_no = '320500600123456' WHERE id = ?`, atoi(t, entityID)); err != nil {
			t.Fatal(err)
		}
		penalty := func(over map[string]any) map[string]any {
			in := map[string]any{
				"departmentID": dep, "entityID": entityID, "sourceSystem": "test", "sourceRecordID": "T-1",
				"severity": "GENERAL", "counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON",
				"counterpartyUscc": entityUSCC, "decisionNo": "苏市监罚字〔2025〕1号", "violationType": "虚假广告",
				"violationFacts": "发布虚假广告", "legalBasis": "《广告法》第五十五条", "penaltyCategories": []string{"FINE"},
				"penaltyContent": "罚款1万元", "fineAmount": "1", "decisionDate": "2025-05-01",
				"authorityName": "苏州市市场监督管理局", "authorityUscc": "11320500014000003W",
				"dataSourceUnit": "苏州市市场监督管理局", "dataSourceUnitUscc": "11320500014000003W",
			}
			for k, v := range over {
				if v == nil {
					delete(in, k)
				} else {
					in[k] = v
				}
			}
			return map[string]any{"in": in}
		}
		// A valid authority USCC for the fixtures above.
		authority := validUSCC("11320500", "01400000")
		fix := func(m map[string]any) map[string]any {
			in := m["in"].(map[string]any)
			in["authorityUscc"], in["dataSourceUnitUscc"] = authority, authority
			return m
		}
		const createEntity = `mutation($in: CreateMarketEntityInput!) { createMarketEntity(input: $in) { id } }`
		const createPerson = `mutation($in: CreateNaturalPersonInput!) { createNaturalPerson(input: $in) { id } }`
		const createPenalty = `mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`
		tests := []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"forbidden letters", createEntity, map[string]any{"in": map[string]any{"uscc": "9111000060003IOZSV", "name": "x"}}, "uscc"},
			{"short code", createEntity, map[string]any{"in": map[string]any{"uscc": "9132021474555", "name": "x"}}, "uscc"},
			{"placeholder on an entity", createEntity, map[string]any{"in": map[string]any{"uscc": "00000000000000000X", "name": "x"}}, "uscc"},
			{"unknown Jiangsu division", createEntity, map[string]any{"in": map[string]any{"uscc": validUSCC("91329999", "60003734"), "name": "x"}}, "uscc"},
			{"empty name", createEntity, map[string]any{"in": map[string]any{"uscc": "91320214745555318W", "name": ""}}, "name"},
			{"future establishment", createEntity, map[string]any{"in": map[string]any{"uscc": "91320214745555318W", "name": "x", "establishedOn": "2099-01-01"}}, "establishedOn"},
			{"negative capital", createEntity, map[string]any{"in": map[string]any{"uscc": "91320214745555318W", "name": "x", "registeredCapital": "-5"}}, "registeredCapital"},
			{"bad date", createEntity, map[string]any{"in": map[string]any{"uscc": "91320214745555318W", "name": "x", "establishedOn": "2020-02-30"}}, "establishedOn"},
			{"bad industry code", createEntity, map[string]any{"in": map[string]any{"uscc": "91320214745555318W", "name": "x", "industryCode": "99"}}, "industryCode"},
			{"ID check char", createPerson, map[string]any{"in": map[string]any{"idNumber": "110105194912310021", "name": "张三"}}, "idNumber"},
			{"ID future birth", createPerson, map[string]any{"in": map[string]any{"idNumber": "110105209912310021", "name": "张三"}}, "idNumber"},
			{"ID bad province", createPerson, map[string]any{"in": map[string]any{"idNumber": "990105194912310021", "name": "张三"}}, "idNumber"},
			{"passport too short", createPerson, map[string]any{"in": map[string]any{"idType": "PASSPORT", "idNumber": "E1", "name": "张三"}}, "idNumber"},
			{"empty decision number", createPenalty, fix(penalty(map[string]any{"decisionNo": ""})), "decisionNo"},
			{"blank decision number", createPenalty, fix(penalty(map[string]any{"decisionNo": "   "})), "decisionNo"},
			{"negative fine", createPenalty, fix(penalty(map[string]any{"fineAmount": "-1"})), "fineAmount"},
			{"future decision", createPenalty, fix(penalty(map[string]any{"decisionDate": "2099-01-01"})), "decisionDate"},
			{"fine without amount", createPenalty, fix(penalty(map[string]any{"fineAmount": nil})), "fineAmount"},
			{"legal person without USCC", createPenalty, fix(penalty(map[string]any{"counterpartyUscc": nil})), "counterpartyUscc"},
			{"placeholder without registration number", createPenalty, fix(penalty(map[string]any{"counterpartyUscc": "00000000000000000X", "counterpartyCategory": "INDIVIDUAL_BUSINESS"})), "registrationNo"},
			{"bad counterparty USCC", createPenalty, fix(penalty(map[string]any{"counterpartyUscc": "91320214745555318X"})), "counterpartyUscc"},
			{"bad authority USCC", createPenalty, penalty(map[string]any{"authorityUscc": "11320500014000003X"}), "authorityUscc"},
			{"no categories", createPenalty, fix(penalty(map[string]any{"penaltyCategories": []string{}})), "penaltyCategories"},
			{"unknown category", createPenalty, fix(penalty(map[string]any{"penaltyCategories": []string{"SPANKING"}})), "penaltyCategories"},
			{"no severity", createPenalty, fix(penalty(map[string]any{"severity": nil})), "severity"},
			{"no subject", createPenalty, fix(penalty(map[string]any{"entityID": nil})), "entityID"},
			{"unknown department", createPenalty, fix(penalty(map[string]any{"departmentID": 1})), "departmentID"},
		}
		tables := []string{"market_entities", "natural_persons", "administrative_penalties"}
		before := map[string]int{}
		for _, tb := range tables {
			before[tb] = env.count(tb, "")
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				env.t = t
				as := env
				if tt.query == createPerson {
					// Persons are recorded by who may read personal data; a clerk hears only
					// that it may not (TestWritesAnswerOnlyThoseWhoMayWrite).
					as = env.as("demo-credit-office")
				}
				as.wantError(tt.query, tt.vars, "BAD_USER_INPUT", tt.field)
			})
		}
		env.t = t
		for _, tb := range tables {
			if n := env.count(tb, ""); n != before[tb] {
				t.Errorf("%s: %d rows after refused inputs, want %d", tb, n, before[tb])
			}
		}
		// The same fixture, corrected, is accepted: the table above tests one fault at a time.
		env.mustData(createPenalty, fix(penalty(nil)), nil)
		// The placeholder with a registration number is accepted on a penalty.
		env.mustData(createPenalty, fix(penalty(map[string]any{"sourceRecordID": "T-2", "decisionNo": "苏市监罚字〔2025〕2号",
			"counterpartyUscc": "00000000000000000X", "counterpartyCategory": "INDIVIDUAL_BUSINESS", "registrationNo": "320500600123456"})), nil)
	})
}

// validUSCC completes the first 8 characters and an 8-character body into a valid code.
func validUSCC(head, body string) string {
	const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	orgW := []int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * orgW[i]
	}
	oc := "0123456789X0"[11-sum%11]
	first := head + body + string(oc)
	w := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum = 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(charset, first[i]) * w[i]
	}
	return first + string(charset[(31-sum%31)%31])
}

func TestFilterAndCountAgreeWithSQL(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 300)
		tests := []struct {
			name, where string
			sqlWhere    string
			args        []any
		}{
			{"city", `{cityCode: "320500"}`, "city_code = ?", []any{"320500"}},
			{"kind", `{entityKind: INDIVIDUAL_BUSINESS}`, "entity_kind = ?", []any{"INDIVIDUAL_BUSINESS"}},
			{"status", `{status: REVOKED}`, "status = ?", []any{"REVOKED"}},
			{"name prefix", `{nameHasPrefix: "苏州"}`, "name LIKE ?", []any{"苏州%"}},
			{"division in", `{divisionCodeIn: ["320102", "320106", "320505"]}`, "division_code IN (?, ?, ?)", []any{"320102", "320106", "320505"}},
			{"risk tier D", `{riskTier: D}`, "risk_tier = 'D'", nil},
			{"tiers C and D in Nanjing", `{cityCode: "320100", riskTierIn: [C, D]}`, "city_code = '320100' AND risk_tier IN ('C', 'D')", nil},
			{"farmers' cooperatives in Xuzhou", `{cityCode: "320300", entityKind: FARMERS_COOPERATIVE}`, "city_code = '320300' AND entity_kind = 'FARMERS_COOPERATIVE'", nil},
		}
		nonEmpty := 0
		for _, tt := range tests {
			var page entityPage
			env.mustData(fmt.Sprintf(`{ marketEntities(first: 100, where: %s) { totalCount edges { node { id } } } }`, tt.where), nil, &page)
			want := env.count("market_entities", tt.sqlWhere, tt.args...)
			if page.MarketEntities.TotalCount != want || len(page.MarketEntities.Edges) != min(want, 100) {
				t.Errorf("%s: totalCount %d, %d edges; SQL counts %d", tt.name, page.MarketEntities.TotalCount, len(page.MarketEntities.Edges), want)
			}
			if want > 0 {
				nonEmpty++
			}
		}
		if nonEmpty < len(tests)-2 {
			t.Errorf("only %d of %d filters matched any demo entity: the demo data is too thin to test filtering", nonEmpty, len(tests))
		}
	})
}

func TestPaginationAndOrdering(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 120)
		seen := map[string]bool{}
		var names []string
		after := any(nil)
		for pages := 0; ; pages++ {
			var page entityPage
			env.mustData(`query($after: Cursor) { marketEntities(first: 25, after: $after, orderBy: [{field: USCC}]) {
				totalCount pageInfo { hasNextPage endCursor } edges { node { id uscc } } } }`, map[string]any{"after": after}, &page)
			for _, ed := range page.MarketEntities.Edges {
				if seen[ed.Node.ID] {
					t.Fatalf("entity %s returned twice", ed.Node.ID)
				}
				seen[ed.Node.ID] = true
				names = append(names, ed.Node.Uscc)
			}
			if !page.MarketEntities.PageInfo.HasNextPage {
				break
			}
			after = page.MarketEntities.PageInfo.EndCursor
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != 120 {
			t.Errorf("walked %d entities, want 120", len(seen))
		}
		if !sort.StringsAreSorted(names) {
			t.Error("ordering by USCC is not sorted across pages")
		}
		// Descending by name, and the last page from the end.
		var desc entityPage
		env.mustData(`{ marketEntities(last: 10, orderBy: [{field: NAME, direction: DESC}]) { edges { node { name } } } }`, nil, &desc)
		if len(desc.MarketEntities.Edges) != 10 {
			t.Fatalf("last: 10 gave %d edges", len(desc.MarketEntities.Edges))
		}
		for i := 1; i < len(desc.MarketEntities.Edges); i++ {
			if desc.MarketEntities.Edges[i-1].Node.Name < desc.MarketEntities.Edges[i].Node.Name {
				t.Fatalf("DESC order broken at %d", i)
			}
		}
	})
}

func TestLegalRepresentativeFollowsRoles(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		var out struct {
			E struct{ ID string }
			P struct {
				ID, Gender, BirthDate, DivisionCode string
			}
			Q struct{ ID string }
		}
		env.mustData(`mutation { e: createMarketEntity(input: {uscc: "913205056082348768", name: "苏州虎丘测试有限公司"}) { id } }`, nil, &out)
		// Registered by the credit office, which reads personal data; the clerk reads them masked.
		env.as("demo-credit-office").mustData(`mutation {
			p: createNaturalPerson(input: {idNumber: "11010519491231002x", name: "李四"}) { id }
			q: createNaturalPerson(input: {idNumber: "440524188001010014", name: "王五"}) { id }
		}`, nil, &out)
		env.mustData(`query($id: ID!) { p: node(id: $id) { ... on NaturalPerson { id gender birthDate divisionCode } } }`, map[string]any{"id": out.P.ID}, &out)
		if out.P.Gender != "" || out.P.BirthDate != "" || out.P.DivisionCode != "" {
			t.Errorf("a clerk without the personal-data permission reads the derived fields: %+v", out.P)
		}
		var derived struct {
			Node struct{ Gender, BirthDate, DivisionCode string }
		}
		env.as("demo-credit-office").mustData(`query($id: ID!) { node(id: $id) { ... on NaturalPerson { gender birthDate divisionCode } } }`,
			map[string]any{"id": out.P.ID}, &derived)
		if p := derived.Node; p.Gender != "FEMALE" || p.BirthDate != "1949-12-31" || p.DivisionCode != "110105" {
			t.Errorf("derived person fields = %+v", p)
		}
		role := `mutation($e: ID!, $p: ID!, $from: Date) { createEntityRole(input: {entityID: $e, personID: $p, role: LEGAL_REPRESENTATIVE, startedOn: $from}) { id } }`
		var r1, r2 struct{ CreateEntityRole struct{ ID string } }
		env.mustData(role, map[string]any{"e": out.E.ID, "p": out.P.ID, "from": "2010-01-01"}, &r1)
		rep := func() string {
			var q struct {
				Node struct{ LegalRepresentative *struct{ Name string } }
			}
			env.mustData(`query($id: ID!) { node(id: $id) { ... on MarketEntity { legalRepresentative { name } } } }`, map[string]any{"id": out.E.ID}, &q)
			if q.Node.LegalRepresentative == nil {
				return ""
			}
			return q.Node.LegalRepresentative.Name
		}
		if got := rep(); got != "李四" {
			t.Fatalf("legal representative %q, want 李四", got)
		}
		env.mustData(role, map[string]any{"e": out.E.ID, "p": out.Q.ID, "from": "2020-06-01"}, &r2)
		env.mustData(`mutation($id: ID!) { updateEntityRole(id: $id, input: {endedOn: "2020-05-31"}) { id } }`, map[string]any{"id": r1.CreateEntityRole.ID}, nil)
		if got := rep(); got != "王五" {
			t.Fatalf("legal representative %q after the change, want 王五", got)
		}
		env.mustData(`mutation($id: ID!) { updateEntityRole(id: $id, input: {endedOn: "2021-01-31"}) { id } }`, map[string]any{"id": r2.CreateEntityRole.ID}, nil)
		if got := rep(); got != "" {
			t.Fatalf("legal representative %q after all roles ended, want none", got)
		}
		env.wantError(`mutation($id: ID!) { updateEntityRole(id: $id, input: {endedOn: "2019-01-31"}) { id } }`,
			map[string]any{"id": r2.CreateEntityRole.ID}, "BAD_USER_INPUT", "")
		// A duplicate person is a conflict naming the field.
		env.as("demo-credit-office").wantError(`mutation { createNaturalPerson(input: {idNumber: "11010519491231002X", name: "重复"}) { id } }`, nil, "CONFLICT", "idNumber")
	})
}
