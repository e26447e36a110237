package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/sectors/incentives"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Red lists earn the catalogue's incentives for their purposes; a subject that is both listed
// and red-listed gets its restrictions and no incentive (an incentive never lifts a
// restriction); a withdrawn red-list entry earns nothing and leaves publicity; a red list is
// recorded by its own sector; the inspection draw halves the share of red-listed entities only.
func TestIncentivesAndRestrictionsTogether(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 12)
		rows, err := env.db.SQL.Query(`SELECT id, uscc FROM market_entities e WHERE NOT EXISTS
			(SELECT 1 FROM list_entries l WHERE l.entity_id = e.id) AND status IN ('EXISTING', 'OPERATING') ORDER BY id LIMIT 3`)
		if err != nil {
			t.Fatal(err)
		}
		type subject struct {
			id   int
			uscc string
		}
		var s []subject
		for rows.Next() {
			var x subject
			_ = rows.Scan(&x.id, &x.uscc)
			s = append(s, x)
		}
		rows.Close()
		trusted, both, withdrawn := s[0], s[1], s[2]
		gid := func(u string) string {
			var out struct {
				MarketEntities edges[struct{ ID string }]
			}
			env.mustData(`query($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node { id } } } }`, map[string]any{"u": u}, &out)
			return out.MarketEntities.Edges[0].Node.ID
		}
		const redQ = `mutation($in: CreateRedListEntryInput!) { createRedListEntry(input: $in) { id sector } }`
		red := func(token, dep, u, listType, key string) {
			env.as(token).mustData(redQ, map[string]any{"in": map[string]any{
				"departmentID": env.departmentID(dep), "entityID": gid(u), "sourceSystem": "red", "sourceRecordID": key,
				"listType": listType, "source": "国家税务总局江苏省税务局", "decisionNo": "苏税信〔2026〕" + key,
				"recognisedOn": todayMinus(40), "validUntil": todayMinus(-300), "basis": "纳税信用管理办法",
			}}, nil)
		}
		red("demo-credit-office", "credit_office-320000", trusted.uscc, "TAX_A_GRADE", "1")
		red("demo-labour-clerk", "labour-320000", both.uscc, "LABOUR_A_GRADE", "2")
		red("demo-market-clerk", "market-320000", withdrawn.uscc, "SAMR_CONTRACT_HONOUR", "3")
		// A red list of another sector is refused, naming the field.
		env.as("demo-market-clerk").wantError(redQ, map[string]any{"in": map[string]any{
			"departmentID": env.departmentID("market-320000"), "entityID": gid(trusted.uscc), "sourceSystem": "red", "sourceRecordID": "4",
			"listType": "TAX_A_GRADE", "source": "税务局", "decisionNo": "x", "recognisedOn": todayMinus(1), "basis": "b",
		}}, "BAD_USER_INPUT", "listType")
		env.as("demo-credit-office").mustData(`mutation($in: CreateListEntryInput!) { createListEntry(input: $in) { id } }`,
			map[string]any{"in": map[string]any{
				"departmentID": env.departmentID("market-320000"), "entityID": gid(both.uscc),
				"sourceSystem": "red", "sourceRecordID": "L1", "severity": "SERIOUS", "listType": "MS_SERIOUS_ILLEGAL_DISHONEST",
				"listedOn": todayMinus(5), "reason": "虚假登记", "basis": "《市场监督管理严重违法失信名单管理办法》", "decisionNo": "苏市监严〔2026〕1号",
			}}, nil)
		var redID struct {
			RedListEntries edges[struct{ ID string }]
		}
		env.as("demo-market-clerk").mustData(`{ redListEntries(first: 1, where: {sourceRecordID: "3"}) { edges { node { id } } } }`, nil, &redID)
		env.as("demo-market-clerk").mustData(`mutation($id: ID!, $d: Date!) { updateRedListEntry(id: $id, input: {removedOn: $d}) { id } }`,
			map[string]any{"id": redID.RedListEntries.Edges[0].Node.ID, "d": todayMinus(1)}, nil)

		codes := func(u, purpose, query string) []string {
			var out map[string][]struct{ Measure struct{ Code string } }
			env.as("demo-market-clerk").mustData(`query($u: String!, $p: Purpose!) { r: `+query+`(uscc: $u, purpose: $p) { measure { code } } }`,
				map[string]any{"u": u, "p": purpose}, &out)
			var c []string
			for _, x := range out["r"] {
				c = append(c, x.Measure.Code)
			}
			slices.Sort(c)
			return c
		}
		for _, tc := range []struct {
			who                  subject
			purpose              string
			incentives, restrict []string
		}{
			{trusted, "LICENSING", []string{"JI-LIC-01", "JI-LIC-02"}, nil},
			{trusted, "FINANCING", []string{"JI-FIN-01"}, nil},
			{trusted, "OFFICE_HOLDING", nil, nil},
			{both, "LICENSING", nil, []string{"JP-NCC-01"}},
			{both, "SUBSIDY", nil, []string{"JP-SUB-01"}},
			{both, "INSPECTION", nil, nil},
			{withdrawn, "LICENSING", nil, nil},
		} {
			if got := codes(tc.who.uscc, tc.purpose, "incentives"); !slices.Equal(got, tc.incentives) {
				t.Errorf("%s for %s: incentives %v, want %v", tc.who.uscc, tc.purpose, got, tc.incentives)
			}
			if got := codes(tc.who.uscc, tc.purpose, "restrictions"); !slices.Equal(got, tc.restrict) {
				t.Errorf("%s for %s: restrictions %v, want %v", tc.who.uscc, tc.purpose, got, tc.restrict)
			}
		}
		// The public sees the red-list entries in force, not the withdrawn one.
		var pub struct {
			RedListEntries edges[struct{ DecisionNo string }]
		}
		env.as("").mustData(`{ redListEntries(first: 10, where: {sourceSystem: "red"}) { edges { node { decisionNo } } } }`, nil, &pub)
		if got := keysOf(pub.RedListEntries, func(x struct{ DecisionNo string }) string { return x.DecisionNo }); !slices.Equal(got, []string{"苏税信〔2026〕1", "苏税信〔2026〕2"}) {
			t.Errorf("the public sees red-list entries %v", got)
		}
		// The report of the listed and red-listed entity shows its restrictions and why it has no incentive.
		var rep struct {
			CreditReport struct {
				Restrictions         []struct{ MeasureCode string }
				Incentives           []struct{ MeasureCode string }
				IncentivesWithheldBy []string
			}
		}
		env.as("").mustData(`mutation($u: String!) { creditReport(uscc: $u, purpose: LICENSING) { restrictions { measureCode } incentives { measureCode } incentivesWithheldBy } }`,
			map[string]any{"u": both.uscc}, &rep)
		if r := rep.CreditReport; len(r.Restrictions) == 0 || len(r.Incentives) != 0 || len(r.IncentivesWithheldBy) != 1 {
			t.Errorf("report of a listed, red-listed entity: %+v", r)
		}
		// The inspection draw: only the red-listed entity without a listing earns a factor.
		ctx := authz.SystemContext(context.Background())
		f, err := incentives.InspectionFactors(ctx, env.db.Client, marketentity.IDIn(trusted.id, both.id, withdrawn.id), vocab.SystemClock.Today())
		if err != nil {
			t.Fatal(err)
		}
		if len(f) != 1 || f[trusted.id] != 0.5 {
			t.Errorf("inspection factors %v, want only %d at 0.5", f, trusted.id)
		}
	})
}
