package graph_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// The dashboards' counts are what each caller could count itself (the oracle): for every demo
// role, entityCounts grouped by city × tier, county, kind × status and grade equals grouping
// marketEntities as that role reads them, and recordCounts of penalties and list entries by
// sector × status × month (and severity) equals grouping the records the role may read, and
// entities by city × the grade of their rating in force equals grouping the ratings the role
// may read — so a count shows nothing the lists hide, on both engines.
func TestDashboardCountsAreWhatTheCallerCanRead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 120)
		// A rating no longer in force: it must count under no grade.
		var first struct {
			MarketEntities struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		env.as("demo-credit-office").mustData(`{ marketEntities(first: 1, orderBy: [{field: USCC}]) { edges { node { id } } } }`, nil, &first)
		env.as("demo-environment-clerk").mustData(`mutation($d: ID!, $e: ID!) { createSectorRating(input: {departmentID: $d, entityID: $e,
			sourceSystem: "dash", sourceRecordID: "DASH-OLD", scheme: ENV_CREDIT_JS, grade: "BLACK", period: "2024", validFrom: "2024-01-01", validUntil: "2024-12-31"}) { id } }`,
			map[string]any{"d": env.departmentID("environment-320500"), "e": first.MarketEntities.Edges[0].Node.ID}, nil)
		for _, who := range []string{"", "demo-market-clerk", "demo-labour-clerk", "demo-auditor-market", "demo-credit-office"} {
			as := env.as(who)
			var ents struct {
				MarketEntities struct {
					TotalCount int
					Edges      []struct {
						Node map[string]any
					}
				}
			}
			as.mustData(`{ marketEntities(first: 1000) { totalCount edges { node { cityCode divisionCode riskTier creditGrade entityKind status } } } }`, nil, &ents)
			if ents.MarketEntities.TotalCount > 1000 {
				t.Fatalf("%d entities: the oracle reads one page", ents.MarketEntities.TotalCount)
			}
			var nodes []map[string]any
			for _, e := range ents.MarketEntities.Edges {
				nodes = append(nodes, e.Node)
			}
			for _, dims := range [][]string{{"CITY", "TIER"}, {"COUNTY"}, {"KIND", "STATUS"}, {"GRADE"}} {
				fields := map[string]string{"CITY": "cityCode", "COUNTY": "divisionCode", "TIER": "riskTier", "GRADE": "creditGrade",
					"KIND": "entityKind", "STATUS": "status"}
				var names []string
				for _, d := range dims {
					names = append(names, fields[d])
				}
				got := counts(t, as, fmt.Sprintf(`{ c: entityCounts(groupBy: [%s]) { keys count } }`, strings.Join(dims, ", ")))
				if want := oracle(nodes, names, nil); got != want {
					t.Errorf("%q entityCounts by %v:\n got %s\nwant %s", who, dims, got, want)
				}
			}
			// By the grade of the rating in force today, through the ratings the role may read.
			for _, scheme := range []string{"ENV_CREDIT_JS", "LABOUR_INTEGRITY"} {
				var rs struct {
					SectorRatings struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								Grade, ValidFrom string
								ValidUntil       *string
								Entity           *struct{ ID, CityCode string }
							}
						}
					}
				}
				as.mustData(`query($s: SectorRatingScheme!) { sectorRatings(first: 1000, where: {scheme: $s, status: PUBLISHED}) { totalCount edges { node { grade validFrom validUntil entity { id cityCode } } } } }`,
					map[string]any{"s": scheme}, &rs)
				if rs.SectorRatings.TotalCount > 1000 {
					t.Fatalf("%d ratings: the oracle reads one page", rs.SectorRatings.TotalCount)
				}
				today := todayMinus(0)
				seen := map[string]bool{}
				var rows []map[string]any
				for _, e := range rs.SectorRatings.Edges {
					n := e.Node
					if n.Entity == nil || n.ValidFrom > today || n.ValidUntil != nil && *n.ValidUntil < today {
						continue
					}
					if key := n.Entity.ID + "|" + n.Grade; !seen[key] {
						seen[key] = true
						rows = append(rows, map[string]any{"grade": n.Grade, "cityCode": n.Entity.CityCode})
					}
				}
				got := counts(t, as, fmt.Sprintf(`{ c: entityCounts(groupBy: [CITY, SECTOR_GRADE], scheme: %s) { keys count } }`, scheme))
				if want := oracle(rows, []string{"cityCode", "grade"}, nil); got != want {
					t.Errorf("%q entityCounts by city × %s grade:\n got %s\nwant %s", who, scheme, got, want)
				}
				if who == "demo-credit-office" && len(rows) == 0 {
					t.Errorf("no %s rating in force in the demo data: the test proves nothing", scheme)
				}
			}
			// Filtered like the list: one city's D-tier entities.
			var sz struct{ MarketEntities struct{ TotalCount int } }
			as.mustData(`{ marketEntities(where: {cityCode: "320500", riskTier: D}) { totalCount } }`, nil, &sz)
			got := counts(t, as, `{ c: entityCounts(groupBy: [CITY], where: {cityCode: "320500", riskTier: D}) { keys count } }`)
			if want := fmt.Sprintf("[320500=%d]", sz.MarketEntities.TotalCount); sz.MarketEntities.TotalCount > 0 && got != want || sz.MarketEntities.TotalCount == 0 && got != "[]" {
				t.Errorf("%q filtered count %s, the list says %d", who, got, sz.MarketEntities.TotalCount)
			}
			for _, rec := range []struct{ typ, list, date string }{
				{"PENALTY", "administrativePenalties", "decisionDate"}, {"LIST_ENTRY", "listEntries", "listedOn"},
			} {
				var out map[string]struct {
					TotalCount int
					Edges      []struct{ Node map[string]any }
				}
				as.mustData(fmt.Sprintf(`{ r: %s(first: 1000) { totalCount edges { node { sector status severity %s } } } }`, rec.list, rec.date), nil, &out)
				var rows []map[string]any
				for _, e := range out["r"].Edges {
					rows = append(rows, e.Node)
				}
				month := func(n map[string]any) string { s, _ := n[rec.date].(string); return s[:min(7, len(s))] }
				got := counts(t, as, fmt.Sprintf(`{ c: recordCounts(type: %s, groupBy: [SECTOR, STATUS, MONTH, SEVERITY]) { keys count } }`, rec.typ))
				if want := oracle(rows, []string{"sector", "status", "", "severity"}, month); got != want {
					t.Errorf("%q recordCounts of %s:\n got %s\nwant %s", who, rec.typ, got, want)
				}
			}
		}
		for _, bad := range []struct{ query, field string }{
			{`{ c: entityCounts(groupBy: [CITY, CITY]) { keys count } }`, "groupBy"},
			{`{ c: entityCounts(groupBy: [SECTOR_GRADE]) { keys count } }`, "scheme"},
			{`{ c: entityCounts(groupBy: [CITY], scheme: ENV_CREDIT_JS) { keys count } }`, "scheme"},
			{`{ c: recordCounts(type: LICENCE, groupBy: [SEVERITY]) { keys count } }`, "groupBy"},
			{`{ c: recordCounts(type: PENALTY, groupBy: [MONTH], from: "2026-02-01", to: "2026-01-01") { keys count } }`, "to"},
		} {
			env.as("demo-market-clerk").wantError(bad.query, nil, "BAD_USER_INPUT", bad.field)
			env.as("demo-market-clerk").wantError(asTable(t, bad.query), nil, "BAD_USER_INPUT", bad.field)
		}
	})
}

// counts runs a count query (aliased c) and renders its groups sorted, "k1|k2=n".
func counts(t *testing.T, as *testEnv, q string) string {
	t.Helper()
	var out struct {
		C []struct {
			Keys  []string
			Count int
		}
	}
	as.mustData(q, nil, &out)
	// The table form answers the same groups in the same order, so every oracle a count is
	// held to holds for its table too.
	var table struct {
		C struct {
			Keys   [][]string
			Counts []int
		}
	}
	as.mustData(asTable(t, q), nil, &table)
	var groups, rows []string
	for _, g := range out.C {
		groups = append(groups, fmt.Sprintf("%s=%d", strings.Join(g.Keys, "|"), g.Count))
	}
	if len(table.C.Keys) != len(table.C.Counts) {
		t.Fatalf("%s as a table: %d keys for %d counts", q, len(table.C.Keys), len(table.C.Counts))
	}
	for i, k := range table.C.Keys {
		rows = append(rows, fmt.Sprintf("%s=%d", strings.Join(k, "|"), table.C.Counts[i]))
	}
	if !slices.Equal(rows, groups) {
		t.Fatalf("%s as a table:\n got %v\nwant %v", q, rows, groups)
	}
	sort.Strings(groups)
	return fmt.Sprint(groups)
}

// asTable is a count query asked as its table.
func asTable(t *testing.T, q string) string {
	t.Helper()
	tq := strings.NewReplacer("entityCounts(", "entityCountTable(", "recordCounts(", "recordCountTable(", "{ keys count }", "{ keys counts }").Replace(q)
	if !strings.Contains(tq, "CountTable(") || !strings.Contains(tq, "{ keys counts }") {
		t.Fatalf("%s has no table form", q)
	}
	return tq
}

// oracle groups rows client-side by fields ("" for the computed key month) the same way.
func oracle(rows []map[string]any, fields []string, month func(map[string]any) string) string {
	n := map[string]int{}
	for _, r := range rows {
		var keys []string
		for _, f := range fields {
			if f == "" {
				keys = append(keys, month(r))
				continue
			}
			v, _ := r[f].(string)
			keys = append(keys, v)
		}
		n[strings.Join(keys, "|")]++
	}
	var groups []string
	for k, c := range n {
		groups = append(groups, fmt.Sprintf("%s=%d", k, c))
	}
	sort.Strings(groups)
	return fmt.Sprint(groups)
}
