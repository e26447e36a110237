package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

type tierPage struct {
	MarketEntities struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				ID, Uscc    string
				RiskTier    string
				CreditScore int
				Evaluation  struct {
					Tier, Grade, ScoreTier, RuleSet string
					Score                           int
					Gates                           []string
					Components                      []struct {
						Scheme string
						Weight float64
					}
				}
			}
		}
	}
}

// On the demo data, the D tier is not empty and each entity in it is there for a reason: a gate
// fired or its score is in the D band. Filtering and ordering by tier and score run in SQL.
func TestRiskTierFilterAndOrder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 1000)
		sup := env.as("demo-market-supervisor")
		var d tierPage
		sup.mustData(`{ marketEntities(first: 200, where: {riskTier: D}, orderBy: [{field: CREDIT_SCORE}]) { totalCount edges { node {
			id uscc riskTier creditScore evaluation { tier grade score scoreTier gates ruleSet components { scheme weight } } } } } }`, nil, &d)
		if d.MarketEntities.TotalCount == 0 {
			t.Fatal("no D-tier entity in the demo data")
		}
		if want := env.count("market_entities", "risk_tier = 'D'"); d.MarketEntities.TotalCount != want {
			t.Errorf("D tier totalCount %d, SQL %d", d.MarketEntities.TotalCount, want)
		}
		prev := -1
		for _, ed := range d.MarketEntities.Edges {
			n := ed.Node
			ev := n.Evaluation
			if n.RiskTier != "D" || ev.Tier != "D" || ev.Grade != "POOR" || ev.RuleSet == "" {
				t.Errorf("%s: tier %s, evaluation %+v", n.Uscc, n.RiskTier, ev)
			}
			if len(ev.Gates) == 0 && ev.ScoreTier != "D" {
				t.Errorf("%s is D with score %d (score tier %s) and no gate", n.Uscc, ev.Score, ev.ScoreTier)
			}
			if n.CreditScore < prev {
				t.Errorf("ordering by score broken at %s", n.Uscc)
			}
			prev = n.CreditScore
			var sum float64
			for _, c := range ev.Components {
				sum += c.Weight
			}
			if len(ev.Components) > 0 && (sum < 0.99 || sum > 1.01) {
				t.Errorf("%s: component weights add up to %v", n.Uscc, sum)
			}
		}
		// Every tier is populated and the tiers partition the entities.
		total := 0
		for _, tier := range []string{"A", "B", "C", "D"} {
			var p tierPage
			sup.mustData(fmt.Sprintf(`{ marketEntities(where: {riskTier: %s, cityCode: "320500"}) { totalCount } }`, tier), nil, &p)
			total += p.MarketEntities.TotalCount
		}
		if want := env.count("market_entities", "city_code = '320500'"); total != want {
			t.Errorf("tiers in Suzhou add up to %d of %d entities", total, want)
		}
	})
}

type restrictionsOut struct {
	Restrictions []struct {
		Via, ListType, DecisionNo, Department, Purpose, Basis string
		Measure                                               struct{ Code string }
		Entity                                                *struct{ Uscc string }
	}
}

// A serious listing of one entity restricts its legal representative, who heads two entities;
// removing the listing lifts the restriction and changes the tier in the same transaction.
func TestJointPunishmentReachesTheLegalRepresentative(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-market-clerk")
		var setup struct {
			E1, E2 struct{ ID, Uscc string }
			P      struct{ ID string }
		}
		clerk.mustData(`mutation {
			e1: createMarketEntity(input: {uscc: "913205056082348768", name: "苏州虎丘某公司"}) { id uscc }
			e2: createMarketEntity(input: {uscc: "91320214745555318W", name: "无锡新吴某公司"}) { id uscc } }`, nil, &setup)
		env.as("demo-credit-office").mustData(`mutation { p: createNaturalPerson(input: {idNumber: "34052419800101001X", name: "周某"}) { id } }`, nil, &setup)
		for _, ent := range []string{setup.E1.ID, setup.E2.ID} {
			clerk.mustData(`mutation($e: ID!, $p: ID!) { createEntityRole(input: {entityID: $e, personID: $p, role: LEGAL_REPRESENTATIVE}) { id } }`,
				map[string]any{"e": ent, "p": setup.P.ID}, nil)
		}
		restr := func(token string, vars map[string]any) restrictionsOut {
			var out restrictionsOut
			env.as(token).mustData(`query($u: String, $p: ID, $purpose: Purpose!) { restrictions(uscc: $u, personId: $p, purpose: $purpose) {
				via listType decisionNo department purpose measure { code } entity { uscc } } }`, vars, &out)
			return out
		}
		if r := restr("demo-labour-clerk", map[string]any{"p": setup.P.ID, "purpose": "BIDDING"}); len(r.Restrictions) != 0 {
			t.Fatalf("restrictions before any listing: %+v", r)
		}
		today := vocab.SystemClock.Today()
		var listed struct {
			CreateListEntry struct {
				ID     string
				Entity struct{ RiskTier string }
			}
		}
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "jp", sourceRecordID: "JP-1",
			severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on, reason: "提交虚假材料取得登记", basis: "总局令第44号第十条",
			decisionNo: "苏市监列〔2026〕1号"}) { id entity { riskTier } } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": setup.E1.ID, "on": today.AddDate(0, -1, 0).Format(time.DateOnly)}, &listed)
		if listed.CreateListEntry.Entity.RiskTier != "D" {
			t.Errorf("tier right after the listing = %q, want D (recomputed in the same transaction)", listed.CreateListEntry.Entity.RiskTier)
		}
		var ev struct {
			Node struct {
				Evaluation struct{ Gates, GateLabels []string }
			}
		}
		clerk.mustData(`query($id: ID!) { node(id: $id) { ... on MarketEntity { evaluation { gates gateLabels } } } }`, map[string]any{"id": setup.E1.ID}, &ev)
		if g := ev.Node.Evaluation; len(g.GateLabels) != len(g.Gates) || len(g.Gates) == 0 || !strings.Contains(g.GateLabels[0], "严重失信名单") {
			t.Errorf("evaluation explanation %+v: want Chinese labels beside the gates", g)
		}
		// The legal representative is reached only once given prior notice (domain.md §7).
		if r := restr("demo-labour-clerk", map[string]any{"p": setup.P.ID, "purpose": "BIDDING"}); len(r.Restrictions) != 0 {
			t.Errorf("restricted before prior notice: %+v", r)
		}
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "JP-N1", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "法定代表人", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": setup.P.ID, "s": todayMinus(20), "r": todayMinus(5)}, nil)
		// A licensing desk in another sector sees the restriction of the person, with its basis.
		r := restr("demo-labour-clerk", map[string]any{"p": setup.P.ID, "purpose": "BIDDING"})
		if len(r.Restrictions) != 1 || r.Restrictions[0].Via != "LEGAL_REPRESENTATIVE" || r.Restrictions[0].DecisionNo != "苏市监列〔2026〕1号" ||
			r.Restrictions[0].Entity == nil || r.Restrictions[0].Entity.Uscc != setup.E1.Uscc || r.Restrictions[0].Measure.Code != "JP-BID-01" {
			t.Fatalf("person's BIDDING restrictions = %+v", r)
		}
		if r := restr("", map[string]any{"u": setup.E1.Uscc, "purpose": "BIDDING"}); len(r.Restrictions) != 1 || r.Restrictions[0].Via != "SELF" {
			t.Errorf("entity's restrictions = %+v", r)
		}
		if r := restr("", map[string]any{"u": setup.E2.Uscc, "purpose": "BIDDING"}); len(r.Restrictions) != 0 {
			t.Errorf("the unlisted second entity is restricted: %+v", r)
		}
		if r := restr("", map[string]any{"p": setup.P.ID, "purpose": "OFFICE_HOLDING"}); len(r.Restrictions) != 1 {
			t.Errorf("OFFICE_HOLDING restrictions = %+v", r)
		}
		// An office-holding ban is for persons, not the company (domain.md §8).
		if r := restr("", map[string]any{"u": setup.E1.Uscc, "purpose": "OFFICE_HOLDING"}); len(r.Restrictions) != 0 {
			t.Errorf("the listed company itself is banned from holding office: %+v", r)
		}
		if r := restr("", map[string]any{"p": setup.P.ID, "purpose": "SUBSIDY"}); len(r.Restrictions) != 0 {
			t.Errorf("the subsidy measure does not extend to persons, got %+v", r)
		}
		env.as("").wantError(`{ restrictions(purpose: BIDDING) { via } }`, nil, "BAD_USER_INPUT", "uscc")
		// Removal lifts it, and the tier changes with the same write.
		var removed struct {
			UpdateListEntry struct{ Entity struct{ RiskTier string } }
		}
		clerk.mustData(`mutation($id: ID!, $on: Date!) { updateListEntry(id: $id, input: {removedOn: $on, removalReason: EARLY_REPAIR}) { entity { riskTier } } }`,
			map[string]any{"id": listed.CreateListEntry.ID, "on": today.Format(time.DateOnly)}, &removed)
		if removed.UpdateListEntry.Entity.RiskTier == "D" {
			t.Error("the tier stayed D after the listing was removed")
		}
		if r := restr("demo-labour-clerk", map[string]any{"p": setup.P.ID, "purpose": "BIDDING"}); len(r.Restrictions) != 0 {
			t.Errorf("restrictions after removal: %+v", r)
		}
	})
}

// A listing whose window passes lifts by itself, and the due-date job moves the tier; a listing
// under objection triggers nothing.
func TestRestrictionLiftsOnExpiryAndObjection(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-labour-clerk")
		var ent struct{ CreateMarketEntity struct{ ID, Uscc string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "91320214745555318W", name: "无锡欠薪某公司"}) { id uscc } }`, nil, &ent)
		today := vocab.SystemClock.Today()
		end := today.AddDate(0, 0, 10)
		var l struct {
			CreateListEntry struct {
				ID        string
				Publicity struct {
					Start, MinEnd, MaxEnd string
					Repairable            bool
				}
			}
		}
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!, $end: Date!, $paid: Date!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "jp",
			sourceRecordID: "JP-2", severity: SERIOUS, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: $on, plannedEndOn: $end, obligationsMetOn: $paid,
			reason: "拖欠工资", basis: "人社部令第45号第五条", decisionNo: "锡人社列〔2026〕1号"}) { id publicity { start minEnd maxEnd repairable } } }`,
			map[string]any{"d": env.departmentID("labour-320200"), "e": ent.CreateMarketEntity.ID,
				"on": today.AddDate(-1, 0, 0).Format(time.DateOnly), "end": end.Format(time.DateOnly),
				"paid": today.AddDate(-1, 1, 0).Format(time.DateOnly)}, &l)
		w := l.CreateListEntry.Publicity
		if w.MaxEnd != end.Format(time.DateOnly) || w.MinEnd != vocab.AddMonths(today.AddDate(-1, 1, 0), 6).Format(time.DateOnly) || !w.Repairable {
			t.Errorf("publicity window %+v: want min end 6 months after the arrears were paid (domain.md §4) and max end the planned end", w)
		}
		count := func() int {
			var out restrictionsOut
			env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: SUBSIDY) { via } }`, map[string]any{"u": ent.CreateMarketEntity.Uscc}, &out)
			return len(out.Restrictions)
		}
		if count() != 1 {
			t.Fatal("the active wage-arrears listing does not restrict subsidies")
		}
		tier := func() string {
			var s string
			if err := env.db.SQL.QueryRow("SELECT risk_tier FROM market_entities WHERE uscc = ?", ent.CreateMarketEntity.Uscc).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if tier() != "D" {
			t.Fatalf("tier %s while listed", tier())
		}
		// The day after the planned end, the listing is no longer active: the due-date job
		// recomputes the entity, and the restriction check (evaluated at the day) lifts it.
		after := end.AddDate(0, 0, 1)
		n, err := evaluator.RecomputeAll(context.Background(), env.db.Client, vocab.FixedClock(after), true, 100, nil)
		if err != nil || n != 1 {
			t.Fatalf("RecomputeAll(due) = %d, %v; want the one lapsed entity", n, err)
		}
		if tier() == "D" {
			t.Error("the tier stayed D after the listing lapsed")
		}
		// Back to today: an objection suspends the measure.
		if _, err := env.db.Client.ListEntry.UpdateOneID(idOf(t, l.CreateListEntry.ID)).SetUnderObjection(true).Save(authz.SystemContext(context.Background())); err != nil {
			t.Fatal(err)
		}
		if count() != 0 {
			t.Error("a listing under objection still restricts")
		}
	})
}

func idOf(t *testing.T, s string) int {
	var id int
	if err := json.Unmarshal([]byte(s), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The same seed draws the same plan; the draw respects the shares and is stored once.
func TestDrawInspectionPlan(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 800)
		sup := env.as("demo-market-supervisor")
		type plan struct {
			DrawInspectionPlan struct {
				ID, Code    string
				Candidates  int
				Assignments []struct{ EntityID, Tier, Inspector string }
			}
		}
		draw := func(seed int) plan {
			var p plan
			sup.mustData(`mutation($d: ID!, $s: Int!) { drawInspectionPlan(departmentID: $d, divisionCode: "320500", seed: $s,
				ratios: {A: 0.1, B: 0.2, C: 1, D: 1}) { id code candidates assignments { entityID tier inspector } } }`,
				map[string]any{"d": env.departmentID("market-320500"), "s": seed}, &p)
			return p
		}
		a, b, c := draw(7), draw(7), draw(8)
		if a.DrawInspectionPlan.ID != b.DrawInspectionPlan.ID || !slices.Equal(a.DrawInspectionPlan.Assignments, b.DrawInspectionPlan.Assignments) {
			t.Error("the same seed gave another plan")
		}
		if slices.Equal(a.DrawInspectionPlan.Assignments, c.DrawInspectionPlan.Assignments) {
			t.Error("another seed gave the same plan")
		}
		if want := env.count("market_entities", "city_code = '320500' AND status IN ('EXISTING', 'OPERATING') AND risk_tier IS NOT NULL"); a.DrawInspectionPlan.Candidates != want {
			t.Errorf("drawn from %d candidates, want %d", a.DrawInspectionPlan.Candidates, want)
		}
		perTier := map[string]int{}
		for _, x := range a.DrawInspectionPlan.Assignments {
			perTier[x.Tier]++
		}
		for tier, ratio := range map[string]float64{"C": 1, "D": 1} {
			if want := env.count("market_entities", "city_code = '320500' AND status IN ('EXISTING', 'OPERATING') AND risk_tier = ?", tier); perTier[tier] != int(ratio*float64(want)) {
				t.Errorf("tier %s: drew %d of %d at ratio %v", tier, perTier[tier], want, ratio)
			}
		}
		// Other shares with the same seed are another plan, not the stored one (issue 13 point 8).
		var other plan
		sup.mustData(`mutation($d: ID!) { drawInspectionPlan(departmentID: $d, divisionCode: "320500", seed: 7,
			ratios: {A: 0, B: 0, C: 0.5, D: 1}) { id code candidates assignments { entityID tier inspector } } }`,
			map[string]any{"d": env.departmentID("market-320500")}, &other)
		if other.DrawInspectionPlan.ID == a.DrawInspectionPlan.ID || len(other.DrawInspectionPlan.Assignments) >= len(a.DrawInspectionPlan.Assignments) {
			t.Errorf("other ratios with the same seed gave plan %s with %d assignments, the first %s had %d", other.DrawInspectionPlan.Code,
				len(other.DrawInspectionPlan.Assignments), a.DrawInspectionPlan.Code, len(a.DrawInspectionPlan.Assignments))
		}
		if n := env.count("inspection_plans", ""); n != 3 {
			t.Errorf("%d plans stored, want 3", n)
		}
		// A clerk of another sector may not draw for market supervision; bad shares are refused.
		env.as("demo-labour-clerk").wantError(`mutation($d: ID!) { drawInspectionPlan(departmentID: $d, divisionCode: "320500", seed: 1) { id } }`,
			map[string]any{"d": env.departmentID("market-320500")}, "FORBIDDEN", "")
		sup.wantError(`mutation($d: ID!) { drawInspectionPlan(departmentID: $d, divisionCode: "320500", seed: 2, ratios: {A: 2, B: 0, C: 0, D: 0}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500")}, "BAD_USER_INPUT", "ratios")
		sup.wantError(`mutation($d: ID!) { drawInspectionPlan(departmentID: $d, divisionCode: "999999", seed: 2) { id } }`,
			map[string]any{"d": env.departmentID("market-320500")}, "BAD_USER_INPUT", "divisionCode")
	})
}

// The credit office recomputes everything after a rule-set change; others may not.
func TestRecomputeEvaluations(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 100)
	env.as("demo-market-supervisor").wantError(`mutation { recomputeEvaluations }`, nil, "FORBIDDEN", "")
	var out struct{ RecomputeEvaluations int }
	env.as("demo-credit-office").mustData(`mutation { recomputeEvaluations }`, nil, &out)
	if out.RecomputeEvaluations != 100 {
		t.Errorf("recomputed %d, want 100", out.RecomputeEvaluations)
	}
	if n := env.count("market_entities", "risk_tier IS NULL"); n != 0 {
		t.Errorf("%d entities without a tier", n)
	}
}
