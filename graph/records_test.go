package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Re-sending a record with the same source key returns the stored one and writes nothing.
func TestCreateRecordIsIdempotent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		var ent struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID, Uscc string } }
			}
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id uscc } } } }`, nil, &ent)
		entity := ent.MarketEntities.Edges[0].Node
		authority := validUSCC("11320000", "01400000")
		in := map[string]any{
			"departmentID": env.departmentID("environment-320000"), "entityID": entity.ID,
			"sourceSystem": "js-env", "sourceRecordID": "ENV-2025-0042", "severity": "GENERAL",
			"counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": entity.Uscc,
			"decisionNo": "苏环罚〔2025〕42号", "violationType": "超标排放", "violationFacts": "颗粒物超标",
			"legalBasis": "《大气污染防治法》第九十九条", "penaltyCategories": []string{"WARNING", "FINE"},
			"penaltyContent": "警告，罚款20万元", "fineAmount": 20, "confiscatedAmount": "0.5", "decisionDate": "2025-03-01",
			"validUntil": "2026-03-01", "authorityName": "江苏省生态环境厅", "authorityUscc": authority,
			"dataSourceUnit": "江苏省生态环境厅", "dataSourceUnitUscc": authority,
		}
		const create = `mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) {
			id sector fineAmount confiscatedAmount penaltyCategories department { code } entity { uscc } } }`
		type result struct {
			CreateAdministrativePenalty struct {
				ID, Sector, FineAmount, ConfiscatedAmount string
				PenaltyCategories                         []string
				Department                                struct{ Code string }
				Entity                                    struct{ Uscc string }
			}
		}
		var first, second result
		envClerk := env.as("demo-environment-clerk")
		envClerk.mustData(create, map[string]any{"in": in}, &first)
		envClerk.mustData(create, map[string]any{"in": in}, &second)
		p := first.CreateAdministrativePenalty
		if p.ID != second.CreateAdministrativePenalty.ID {
			t.Errorf("re-send created a second record: %s and %s", p.ID, second.CreateAdministrativePenalty.ID)
		}
		if p.Sector != "ENVIRONMENT" || p.FineAmount != "20" || p.ConfiscatedAmount != "0.5" ||
			len(p.PenaltyCategories) != 2 || p.Department.Code != "environment-320000" || p.Entity.Uscc != entity.Uscc {
			t.Errorf("stored penalty = %+v", p)
		}
		if n := env.count("administrative_penalties", "source_record_id = 'ENV-2025-0042'"); n != 1 {
			t.Errorf("%d rows for the source key, want 1", n)
		}
		// Another source key with the same decision number of the same department clashes.
		in["sourceRecordID"] = "ENV-2025-0043"
		envClerk.wantError(create, map[string]any{"in": in}, "CONFLICT", "decisionNo")
		// Every record type can be created and read back through its connection.
		dep := env.departmentID("market-320000")
		const createEach = `mutation($d: ID!, $e: ID!) {
			l: createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: "L1", severity: SERIOUS,
				listType: MS_ABNORMAL_OPERATION, listedOn: "2025-01-02", reason: "无法联系", basis: "办法第四条", decisionNo: "列1号"}) { id sector }
			r: createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: "R1",
				scheme: MARKET_RISK_CLASS, grade: "b", period: "2025-12", validFrom: "2025-12-01"}) { grade }
			s: createSpotCheck(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: "S1",
				taskID: "SSLM-1", checkItems: "年报", inspectedOn: "2025-06-01", result: NO_PROBLEM}) { id }
			c: createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: "C1",
				kind: VOLUNTARY, text: "守法经营", signedOn: "2025-01-01", relatedMatter: "主动承诺"}) { fulfilment }
			x: createAdministrativeLicense(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: "X1",
				decisionDocName: "准予许可决定书", decisionNo: "许1号", licenseCategory: ORDINARY, content: "食品销售",
				decisionDate: "2025-01-01", validFrom: "2025-01-01", validTo: "2030-01-01", authorityName: "省局", authorityUscc: "11320000014000003W"}) { state }
		}`
		env.mustData(createEach, map[string]any{"d": dep, "e": entity.ID}, nil)
		env.wantError(`mutation($d: ID!, $e: ID!) { createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "t",
			sourceRecordID: "R2", scheme: MARKET_RISK_CLASS, grade: "E", period: "2025", validFrom: "2025-12-01"}) { id } }`,
			map[string]any{"d": dep, "e": entity.ID}, "BAD_USER_INPUT", "grade")
		env.wantError(`mutation($d: ID!, $e: ID!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: "L2",
			severity: SERIOUS, listType: MS_ABNORMAL_OPERATION, listedOn: "2025-01-02", removedOn: "2024-01-01", removalReason: EXPIRED,
			reason: "欠薪", basis: "第五条", decisionNo: "列2号"}) { id } }`, map[string]any{"d": dep, "e": entity.ID}, "BAD_USER_INPUT", "removedOn")
		var counts struct {
			ListEntries, SectorRatings, SpotChecks, CreditCommitments, AdministrativeLicenses struct{ TotalCount int }
		}
		env.mustData(`{ listEntries(where: {sourceSystem: "t"}) { totalCount } sectorRatings(where: {sourceSystem: "t"}) { totalCount }
			spotChecks(where: {sourceSystem: "t"}) { totalCount } creditCommitments(where: {sourceSystem: "t"}) { totalCount }
			administrativeLicenses(where: {sourceSystem: "t"}) { totalCount } }`, nil, &counts)
		if counts.ListEntries.TotalCount != 1 || counts.SectorRatings.TotalCount != 1 || counts.SpotChecks.TotalCount != 1 ||
			counts.CreditCommitments.TotalCount != 1 || counts.AdministrativeLicenses.TotalCount != 1 {
			t.Errorf("record counts = %+v, want one of each", counts)
		}
		// Re-sending every type's create writes nothing new: one implementation serves them all.
		env.mustData(createEach, map[string]any{"d": dep, "e": entity.ID}, nil)
		for table, n := range map[string]int{"list_entries": 1, "sector_ratings": 1, "spot_checks": 1, "credit_commitments": 1, "administrative_licenses": 1} {
			if got := env.count(table, "source_system = 't'"); got != n {
				t.Errorf("%s: %d rows with source system t after a re-send, want %d", table, got, n)
			}
		}
	})
}

// A transport grade is the one its score and points give (domain.md §3.3: 苏交规〔2024〕2号 for
// operators, the construction scale for highway firms); a clerk's grade that disagrees is
// refused and nothing is written. Cases at every band edge.
func TestTransportGradesFollowScoreAndPoints(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		var ent struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id } } } }`, nil, &ent)
		clerk := env.as("demo-transport-clerk")
		dep := env.departmentID("transport-320000")
		const create = `mutation($d: ID!, $e: ID!, $k: String!, $s: SectorRatingScheme!, $g: String!, $score: Float, $p: Int) {
			createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "grade-test", sourceRecordID: $k,
				scheme: $s, grade: $g, score: $score, points: $p, period: "2025", validFrom: "2025-06-01"}) { grade } }`
		cases := []struct {
			scheme, grade string
			score         float64
			points        int
			ok            bool
		}{
			{"TRANSPORT_OPERATOR_JS", "AA", 90, 0, true},
			{"TRANSPORT_OPERATOR_JS", "AA", 89.9, 0, false},
			{"TRANSPORT_OPERATOR_JS", "A", 80, 0, true},
			{"TRANSPORT_OPERATOR_JS", "B", 60, 30, true},
			{"TRANSPORT_OPERATOR_JS", "B", 40, 19, true},
			{"TRANSPORT_OPERATOR_JS", "C", 40, 20, true},
			{"TRANSPORT_OPERATOR_JS", "B", 40, 20, false},
			{"TRANSPORT_OPERATOR_JS", "D", 39, 20, true},
			{"TRANSPORT_OPERATOR_JS", "C", 39, 19, true}, // the text's gap, graded C (sectors/transport)
			{"TRANSPORT_OPERATOR_JS", "AA", 35, 25, false},
			{"TRANSPORT_CONSTRUCTION", "AA", 95, 0, true},
			{"TRANSPORT_CONSTRUCTION", "A", 95, 0, false},
			{"TRANSPORT_CONSTRUCTION", "C", 60, 0, true},
			{"TRANSPORT_CONSTRUCTION", "D", 59.5, 0, true},
			{"TRANSPORT_CONSTRUCTION", "D", 97, 0, true}, // imposed directly by a serious act
		}
		for i, c := range cases {
			vars := map[string]any{"d": dep, "e": ent.MarketEntities.Edges[0].Node.ID, "k": fmt.Sprintf("G%d", i),
				"s": c.scheme, "g": c.grade, "score": c.score, "p": c.points}
			if c.ok {
				clerk.mustData(create, vars, nil)
			} else {
				clerk.wantError(create, vars, "BAD_USER_INPUT", "grade")
			}
		}
		want := 0
		for _, c := range cases {
			if c.ok {
				want++
			}
		}
		if got := env.count("sector_ratings", "source_system = 'grade-test'"); got != want {
			t.Errorf("%d ratings stored, want %d (refused ones write nothing)", got, want)
		}
	})
}

// entgql's field collection eager-loads edges, so a nested query costs a fixed number of
// statements whatever the page size: no N+1.
func TestNestedQueryStatementCountIsFlat(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 2000)
		env = env.as("demo-credit-office")
		// 50 entities that have penalties, so every level of the query has rows.
		rows, err := env.db.SQL.Query("SELECT DISTINCT entity_id FROM administrative_penalties WHERE entity_id IS NOT NULL ORDER BY entity_id LIMIT 50")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, fmt.Sprint(id))
		}
		rows.Close()
		if len(ids) < 50 {
			t.Fatalf("only %d penalised entities in the demo data, want 50", len(ids))
		}
		const q = `query($n: Int!, $ids: [ID!]) { marketEntities(first: $n, where: {idIn: $ids}) { totalCount edges { node {
			uscc name legalRepresentative { name represents { uscc } penalties(first: 5) { totalCount edges { node { decisionNo } } } }
			penalties(first: 5) { totalCount edges { node { decisionNo department { name } } } } } } } }`
		var counts []int64
		for _, n := range []int{5, 50} {
			var page entityPage
			env.stmts.Store(0)
			env.mustData(q, map[string]any{"n": n, "ids": ids}, &page)
			counts = append(counts, env.stmts.Load())
			if len(page.MarketEntities.Edges) != n {
				t.Fatalf("%d entities, want %d", len(page.MarketEntities.Edges), n)
			}
		}
		if counts[0] != counts[1] {
			t.Errorf("statements: %d for 5 entities, %d for 50; want the same", counts[0], counts[1])
		}
		if counts[1] > 12 {
			t.Errorf("%d statements for a 4-level query; want at most 12", counts[1])
		}
		t.Logf("statements per request: %v", counts)
	})
}

func TestNodeLookup(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		var page struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
			Departments struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id } } } departments(first: 1) { edges { node { id } } } }`, nil, &page)
		ids := []string{page.MarketEntities.Edges[0].Node.ID, page.Departments.Edges[0].Node.ID}
		var out struct {
			Nodes []struct {
				Typename string `json:"__typename"`
				ID       string
			}
			Node *struct{ ID string }
		}
		env.mustData(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } node(id: "999999999") { id } }`, map[string]any{"ids": ids}, &out)
		if len(out.Nodes) != 2 || out.Nodes[0].Typename != "MarketEntity" || out.Nodes[1].Typename != "Department" {
			t.Errorf("nodes = %+v", out.Nodes)
		}
	})
}

// A record's sector is its kind's — a rating's scheme, a list entry's list type, a score
// event's scheme — whatever department the writer names (issue 12, point 4). Generated from
// the schema's enums and vocab's tables: every kind, written by every sector's clerk naming its
// own department and naming the kind's, is stored only when the kind is of the clerk's sector;
// otherwise it is refused and nothing is written.
func TestRecordSectorComesFromItsKind(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		var ent struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id } } } }`, nil, &ent)
		entity := ent.MarketEntities.Edges[0].Node.ID
		type kind struct {
			query  string
			vars   map[string]any
			sector vocab.Sector
		}
		var kinds []kind
		for _, scheme := range enumValues(env, "SectorRatingScheme") {
			kinds = append(kinds, kind{`mutation($d: ID!, $e: ID!, $k: String!, $v: SectorRatingScheme!, $g: String!) {
				createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "kind-test", sourceRecordID: $k,
				scheme: $v, grade: $g, period: "2025", validFrom: "2025-06-01"}) { sector } }`,
				map[string]any{"v": scheme, "g": vocab.RatingGrades[scheme][1]}, vocab.SchemeSectors[scheme]})
		}
		for _, lt := range enumValues(env, "ListEntryListType") {
			s, ok := vocab.ListTypeSector(lt)
			if !ok {
				continue // lists of any sector take their department's
			}
			kinds = append(kinds, kind{`mutation($d: ID!, $e: ID!, $k: String!, $v: ListEntryListType!) {
				createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "kind-test", sourceRecordID: $k, severity: GENERAL,
				listType: $v, orderDeadline: "2024-12-20", listedOn: "2025-01-02", reason: "原因", basis: "依据", decisionNo: $k}) { sector } }`,
				map[string]any{"v": lt}, s})
		}
		if len(kinds) < 15 {
			t.Fatalf("only %d kinds generated", len(kinds))
		}
		clerks := map[vocab.Sector]string{vocab.Market: "market", vocab.Labour: "labour", vocab.Environment: "environment", vocab.Transport: "transport"}
		want, n := 0, 0
		for _, k := range kinds {
			for clerkSector, code := range clerks {
				for _, dep := range []vocab.Sector{clerkSector, k.sector} {
					n++
					vars := map[string]any{"d": env.departmentID(authz.DepartmentCode(dep) + "-320000"), "e": entity, "k": fmt.Sprintf("K%d", n)}
					for key, v := range k.vars {
						vars[key] = v
					}
					r := env.as("demo-"+code+"-clerk").post(k.query, vars)
					stored := len(r.Errors) == 0
					if should := k.sector == clerkSector; stored != should {
						t.Errorf("%s clerk writing %v naming a %s department: stored=%v, want %v (%v)", code, k.vars["v"], dep, stored, should, r.Errors)
					}
					if stored {
						want++
						if !strings.Contains(string(r.Data), string(k.sector)) {
							t.Errorf("%v stored as %s, want sector %s", k.vars["v"], r.Data, k.sector)
						}
					} else if code := r.Errors[0].Extensions["code"]; code != "FORBIDDEN" && code != "BAD_USER_INPUT" {
						t.Errorf("%s clerk writing %v: %v, want FORBIDDEN or BAD_USER_INPUT", code, k.vars["v"], r.Errors[0])
					}
				}
			}
		}
		if got := env.count("sector_ratings", "source_system = 'kind-test'") + env.count("list_entries", "source_system = 'kind-test'"); got != want {
			t.Errorf("%d records stored, want %d: refused writes wrote something", got, want)
		}
	})
}

// enumValues lists a GraphQL enum's values, read from the served schema.
func enumValues(env *testEnv, name string) []string {
	var out struct {
		Type struct{ EnumValues []struct{ Name string } } `json:"__type"`
	}
	env.as("demo-auditor-all").mustData(`query($n: String!) { __type(name: $n) { enumValues { name } } }`, map[string]any{"n": name}, &out)
	var vs []string
	for _, v := range out.Type.EnumValues {
		vs = append(vs, v.Name)
	}
	if len(vs) == 0 {
		env.t.Fatalf("enum %s has no values", name)
	}
	return vs
}
