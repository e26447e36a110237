package graph_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// tallyCond is one condition of the where input on a dimension the tallies count by, as
// GraphQL and as the oracle evaluates it on a row (SQL's meaning: NULL satisfies only IsNil).
type tallyCond struct {
	gql   string
	field string
	op    string // "", NEQ, In, NotIn, IsNil, NotNil
	vals  []string
}

func (c tallyCond) match(row map[string]any) bool {
	v, present := row[c.field].(string)
	switch c.op {
	case "IsNil":
		return !present
	case "NotNil":
		return present
	case "", "In":
		return present && slices.Contains(c.vals, v)
	default: // NEQ, NotIn
		return present && !slices.Contains(c.vals, v)
	}
}

// tallyConditions generates every comparison of every tally dimension from the where input's
// fields (so a comparison added to the schema is tested), with values drawn from the data,
// from the enums and one that matches nothing.
func tallyConditions(t *testing.T, rows []map[string]any) []tallyCond {
	dims := map[string]string{"CityCode": "cityCode", "DivisionCode": "divisionCode", "RiskTier": "riskTier",
		"CreditGrade": "creditGrade", "EntityKind": "entityKind", "Status": "status"}
	enums := map[string][]string{"riskTier": vocab.Tier("").Values(), "creditGrade": vocab.Grade("").Values(),
		"entityKind": vocab.EntityKind("").Values(), "status": {"EXISTING", "OPERATING", "REVOKED", "CANCELLED", "MOVED_OUT"}}
	var out []tallyCond
	typ := reflect.TypeFor[ent.MarketEntityWhereInput]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		for prefix, field := range dims {
			op, ok := strings.CutPrefix(f.Name, prefix)
			if !ok || !slices.Contains([]string{"", "NEQ", "In", "NotIn", "IsNil", "NotNil"}, op) {
				continue
			}
			arg := strings.Split(f.Tag.Get("json"), ",")[0]
			if op == "IsNil" || op == "NotNil" {
				out = append(out, tallyCond{gql: arg + ": true", field: field, op: op})
				continue
			}
			vals, quoted := enums[field], false
			if vals == nil {
				quoted, vals = true, []string{"329999"} // a code no entity has
				for _, r := range rows {
					if v, ok := r[field].(string); ok && !slices.Contains(vals, v) {
						vals = append(vals, v)
					}
				}
			}
			lit := func(v string) string {
				if quoted {
					return fmt.Sprintf("%q", v)
				}
				return v
			}
			for k, v := range vals {
				if op == "" || op == "NEQ" {
					out = append(out, tallyCond{gql: arg + ": " + lit(v), field: field, op: op, vals: []string{v}})
					continue
				}
				pair := []string{v, vals[(k+1)%len(vals)]}
				out = append(out, tallyCond{gql: fmt.Sprintf("%s: [%s, %s]", arg, lit(pair[0]), lit(pair[1])), field: field, op: op, vals: pair})
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d conditions generated: the where input changed shape", len(out))
	}
	return out
}

// Counts the tallies answer are what each caller could count itself: for the public and every
// kind of demo role, for hundreds of generated filters (every comparison of the six
// dimensions, alone, combined and under and; and with a condition the tallies do not take,
// which counts rows), marketEntities' totalCount without edges (tallies) equals its
// totalCount with edges (rows) and the oracle's count of the role's readable entities, and
// entityCounts grouped by random dimensions equals the oracle's grouping — before and after
// writes that move entities between keys, on both engines. A last step proves the tallies are
// what answered.
func TestTalliedCountsAreWhatTheCallerCanRead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 150)
		ctx := authz.SystemContext(context.Background())
		read := func(as *testEnv) []map[string]any {
			var out struct {
				MarketEntities struct {
					TotalCount int
					Edges      []struct{ Node map[string]any }
				}
			}
			as.mustData(`{ marketEntities(first: 1000) { totalCount edges { node { cityCode divisionCode riskTier creditGrade entityKind status } } } }`, nil, &out)
			if out.MarketEntities.TotalCount > 1000 {
				t.Fatalf("%d entities: the oracle reads one page", out.MarketEntities.TotalCount)
			}
			rows := make([]map[string]any, 0, len(out.MarketEntities.Edges))
			for _, e := range out.MarketEntities.Edges {
				rows = append(rows, e.Node)
			}
			return rows
		}
		conds := tallyConditions(t, read(env.as("demo-credit-office")))
		dims := map[string]string{"CITY": "cityCode", "COUNTY": "divisionCode", "TIER": "riskTier", "GRADE": "creditGrade", "KIND": "entityKind", "STATUS": "status"}
		dimNames := slices.Sorted(func(yield func(string) bool) {
			for k := range dims {
				if !yield(k) {
					return
				}
			}
		})
		rng := rand.New(rand.NewPCG(15, 2))
		nonEmpty := 0
		check := func(stage string) {
			for _, who := range []string{"", "demo-market-clerk", "demo-market-suzhou-supervisor", "demo-labour-supervisor", "demo-auditor-market", "demo-credit-office"} {
				as := env.as(who)
				rows := read(as)
				for range 25 {
					var picked []tallyCond
					for range 1 + rng.IntN(3) {
						picked = append(picked, conds[rng.IntN(len(conds))])
					}
					var parts, args []string
					for _, c := range picked {
						parts = append(parts, c.gql)
						args = append(args, strings.Split(c.gql, ":")[0])
					}
					slices.Sort(args)
					where := strings.Join(parts, ", ")
					repeats := len(slices.Compact(args)) < len(args) // an input names a field once
					switch k := rng.IntN(4); {
					case k == 0 || repeats:
						where = "and: [{" + strings.Join(parts, "}, {") + "}]"
					case k == 1:
						where += `, nameNEQ: "no such name"` // not a tally dimension: rows are counted
					}
					var want []map[string]any
					for _, r := range rows {
						if !slices.ContainsFunc(picked, func(c tallyCond) bool { return !c.match(r) }) {
							want = append(want, r)
						}
					}
					var got struct {
						Fast, Slow, Page struct {
							TotalCount int
							PageInfo   struct{ HasNextPage bool }
							Edges      []struct{ Node struct{ ID string } }
						}
					}
					as.mustData(fmt.Sprintf(`{ fast: marketEntities(first: 0, where: {%s}) { totalCount pageInfo { hasNextPage } }
						slow: marketEntities(first: 1000, where: {%s}) { totalCount edges { node { id } } }
						page: marketEntities(first: 1, where: {%s}) { totalCount pageInfo { hasNextPage } edges { node { id } } } }`, where, where, where), nil, &got)
					if len(want) > 0 {
						nonEmpty++
					}
					if got.Fast.TotalCount != len(want) || got.Slow.TotalCount != len(want) || len(got.Slow.Edges) != len(want) ||
						got.Fast.PageInfo.HasNextPage != (len(want) > 0) {
						t.Fatalf("%s, %q, where {%s}: totalCount %d from the tallies, %d (%d edges) from rows, %d by the oracle, hasNextPage %v",
							stage, who, where, got.Fast.TotalCount, got.Slow.TotalCount, len(got.Slow.Edges), len(want), got.Fast.PageInfo.HasNextPage)
					}
					if got.Page.TotalCount != len(want) || len(got.Page.Edges) != min(1, len(want)) || got.Page.PageInfo.HasNextPage != (len(want) > 1) {
						t.Fatalf("%s, %q, where {%s}: a page of 1 has totalCount %d, %d edges, hasNextPage %v; the oracle counts %d",
							stage, who, where, got.Page.TotalCount, len(got.Page.Edges), got.Page.PageInfo.HasNextPage, len(want))
					}
					by := slices.Clone(dimNames)
					rng.Shuffle(len(by), func(i, j int) { by[i], by[j] = by[j], by[i] })
					by = by[:1+rng.IntN(3)]
					var fields []string
					for _, d := range by {
						fields = append(fields, dims[d])
					}
					gotGroups := counts(t, as, fmt.Sprintf(`{ c: entityCounts(groupBy: [%s], where: {%s}) { keys count } }`, strings.Join(by, ", "), where))
					if wantGroups := oracle(want, fields, nil); gotGroups != wantGroups {
						t.Fatalf("%s, %q, entityCounts by %v where {%s}:\n got %s\nwant %s", stage, who, by, where, gotGroups, wantGroups)
					}
				}
			}
		}
		check("as seeded")
		// Move entities between keys the ways the service does: the evaluator's bulk UPDATE of
		// tiers (around the ORM), the ORM's updates of status, and new entities.
		c := env.db.Client
		ids := c.MarketEntity.Query().Order(ent.Asc(marketentity.FieldID)).IDsX(ctx)
		for i, id := range ids[:40] {
			tier := vocab.Tier("ABCD"[i%4 : i%4+1])
			if _, err := env.db.SQL.Exec("UPDATE market_entities SET risk_tier = ?, credit_grade = NULL WHERE id = ?", string(tier), id); err != nil {
				t.Fatal(err)
			}
		}
		c.MarketEntity.Update().Where(marketentity.IDIn(ids[40:60]...)).SetStatus(marketentity.StatusREVOKED).ExecX(ctx)
		c.MarketEntity.Update().Where(marketentity.IDIn(ids[60:70]...)).ClearRiskTier().ExecX(ctx)
		check("after writes, before compaction")
		if _, err := env.db.Tallies.Compact(ctx, 7); err != nil { // a partial compaction
			t.Fatal(err)
		}
		check("after a partial compaction")
		for {
			n, err := env.db.Tallies.Compact(ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		check("compacted")
		if nonEmpty < 100 {
			t.Fatalf("only %d of the filters admitted an entity: the test proves little", nonEmpty)
		}
		// The tallies answer: a delta written by hand shows in the count of a page without
		// edges and of a page with them, and not when the where input names a field they do
		// not count by.
		type totals struct {
			Bare, Page, Named struct{ TotalCount int }
			Spread            struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		var before, after totals
		q := `{ bare: marketEntities(first: 0, where: {riskTier: D}) { totalCount }
			page: marketEntities(first: 2, where: {riskTier: D}) { totalCount edges { node { id } } }
			spread: marketEntities(first: 2, where: {riskTier: D}) { ...page }
			named: marketEntities(first: 2, where: {riskTier: D, nameNEQ: "no such name"}) { totalCount edges { node { id } } } }
			fragment page on MarketEntityConnection { totalCount edges { node { id } } }`
		env.as("demo-credit-office").mustData(q, nil, &before)
		if _, err := env.db.SQL.Exec("INSERT INTO entity_tally_deltas (city_code, division_code, risk_tier, credit_grade, entity_kind, status, n) VALUES ('320500', '320505', 'D', '', 'ENTERPRISE', 'EXISTING', 1000)"); err != nil {
			t.Fatal(err)
		}
		env.as("demo-credit-office").mustData(q, nil, &after)
		if after.Bare.TotalCount != before.Bare.TotalCount+1000 || after.Page.TotalCount != before.Page.TotalCount+1000 ||
			after.Spread.TotalCount != after.Page.TotalCount || len(after.Spread.Edges) != 2 || after.Named.TotalCount != before.Named.TotalCount {
			t.Fatalf("totalCount %+v, then %+v with a delta of 1000 written: the tallies did not answer as they should", before, after)
		}
	})
}
