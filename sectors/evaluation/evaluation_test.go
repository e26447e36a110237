package evaluation

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/creditgraph/creditgraph/vocab"
)

func TestEvaluate(t *testing.T) {
	rs := DefaultRuleSet()
	if err := rs.Validate(); err != nil {
		t.Fatal(err)
	}
	r := func(scheme, grade string) Rating { return Rating{Scheme: scheme, Grade: grade} }
	tests := []struct {
		name  string
		in    Input
		score int
		tier  vocab.Tier
		gates int
	}{
		{"no ratings: neutral", Input{}, 800, vocab.TierB, 0},
		{"risk A only", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A")}}, 1000, vocab.TierA, 0},
		{"risk B only: 750", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "B")}}, 750, vocab.TierB, 0},
		{"risk C only: 450", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "C")}}, 450, vocab.TierC, 0},
		{"risk D only: 100", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "D")}}, 100, vocab.TierD, 0},
		// 0.4·100 + 0.2·30 = 46 over weight 0.6 → 76.67 → 767 → B.
		{"risk A, env RED", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A"), r("ENV_CREDIT_JS", "RED")}}, 767, vocab.TierB, 0},
		// (0.4·100 + 0.2·100 + 0.2·70)/0.8 = 92.5 → 925 → A.
		{"three sectors", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A"), r("LABOUR_INTEGRITY", "A"), r("TRANSPORT_OPERATOR_JS", "B")}}, 925, vocab.TierA, 0},
		{"band edge 850 is A", Input{Ratings: []Rating{r("TRANSPORT_OPERATOR_JS", "A")}}, 850, vocab.TierA, 0},
		{"mixed grades: (30+12+6)/0.8 = 60", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "B"), r("ENV_CREDIT_JS", "YELLOW"), r("LABOUR_INTEGRITY", "C")}}, 600, vocab.TierC, 0},
		{"just below A: transport B+ market A = (40+14)/0.6 = 90", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A"), r("TRANSPORT_OPERATOR_JS", "B")}}, 900, vocab.TierA, 0},
		{"band edge 650 is B: env YELLOW+labour B = (12+14)/0.4 = 65", Input{Ratings: []Rating{r("ENV_CREDIT_JS", "YELLOW"), r("LABOUR_INTEGRITY", "B")}}, 650, vocab.TierB, 0},
		{"env RED + labour B = (6+14)/0.4 = 50 → C", Input{Ratings: []Rating{r("ENV_CREDIT_JS", "RED"), r("LABOUR_INTEGRITY", "B")}}, 500, vocab.TierC, 0},
		{"unknown scheme ignored", Input{Ratings: []Rating{r("EIA_PROVIDER_POINTS", "WARNING")}}, 800, vocab.TierB, 0},
		{"serious listing gates to D", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A")}, Listings: []Listing{{"MS_SERIOUS_ILLEGAL_DISHONEST", vocab.Serious}}}, 1000, vocab.TierD, 1},
		{"general penalty caps at C", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A")}, Penalties: []Penalty{{vocab.General}}}, 1000, vocab.TierC, 1},
		{"minor penalty: no gate", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A")}, Penalties: []Penalty{{vocab.Minor}}}, 1000, vocab.TierA, 0},
		{"cap does not improve D", Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "D")}, Penalties: []Penalty{{vocab.General}}}, 100, vocab.TierD, 1},
		{"two gates", Input{Listings: []Listing{{"X", vocab.Serious}}, Penalties: []Penalty{{vocab.Serious}}}, 800, vocab.TierD, 2},
	}
	for _, tt := range tests {
		got := Evaluate(rs, tt.in)
		if got.Score != tt.score || got.Tier != tt.tier || len(got.Gates) != tt.gates || got.Grade != vocab.GradeOf(tt.tier) || got.RuleSet != rs.Name {
			t.Errorf("%s: got score %d tier %s gates %v grade %s; want %d %s %d gates", tt.name, got.Score, got.Tier, got.Gates, got.Grade, tt.score, tt.tier, tt.gates)
		}
	}
	got := Evaluate(rs, Input{Ratings: []Rating{r("MARKET_RISK_CLASS", "A"), r("ENV_CREDIT_JS", "RED")}})
	ws := []float64{got.Components[0].Weight, got.Components[1].Weight}
	if !slices.Equal(ws, []float64{0.333, 0.667}) {
		t.Errorf("renormalised weights %v, want [0.333 0.667] (ENV, MARKET)", ws)
	}
}

func TestRuleSetValidate(t *testing.T) {
	bad := []vocab.RuleSet{
		{},
		{Name: "x"},
		{Name: "x", Bands: []vocab.Band{{Tier: vocab.TierA, MinScore: 500}, {Tier: vocab.TierB, MinScore: 600}, {Tier: vocab.TierD, MinScore: 0}}},
		{Name: "x", Bands: []vocab.Band{{Tier: vocab.TierA, MinScore: 500}}},
		{Name: "x", Bands: []vocab.Band{{Tier: vocab.TierA, MinScore: 0}}, Weights: map[string]float64{"S": 1}},
		{Name: "x", Bands: []vocab.Band{{Tier: vocab.TierA, MinScore: 0}}, Weights: map[string]float64{"S": -1}, Scales: map[string]map[string]float64{"S": {}}},
	}
	for i, rs := range bad {
		if rs.Validate() == nil {
			t.Errorf("rule set %d accepted", i)
		}
	}
}

// Explanations carry Chinese labels beside the codes (issue 13 point 8): every gate of the
// default rule set and every scheme a rating may have, from the tables themselves.
func TestExplanationsHaveChineseLabels(t *testing.T) {
	hasHan := func(s string) bool {
		for _, r := range s {
			if unicode.Is(unicode.Han, r) {
				return true
			}
		}
		return false
	}
	for _, g := range DefaultRuleSet().Gates {
		if l := g.Label(); !hasHan(l) || !strings.Contains(l, string(g.Cap)) {
			t.Errorf("gate %q: label %q", g.Name, l)
		}
	}
	for scheme, sector := range vocab.SchemeSectors {
		c := vocab.Component{Scheme: scheme, Sector: sector}
		if !hasHan(c.SchemeLabel()) || !hasHan(c.SectorLabel()) {
			t.Errorf("scheme %s (%s): labels %q %q", scheme, sector, c.SchemeLabel(), c.SectorLabel())
		}
	}
}
