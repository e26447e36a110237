// Package evaluation computes the public credit comprehensive evaluation (公共信用综合评价,
// domain.md §9) of a market entity: each sector's rating normalised to 0–100, weighted into a
// score of 0–1000, banded into a risk tier A (low risk) … D (high), and capped by hard gates
// such as an active serious listing. The weights, scales, bands and gates are a RuleSet — data
// with effective dates, stored in the database — never constants; the method is ours, since
// the national one is not public, and every result carries its explanation.
package evaluation

import (
	"math"
	"sort"

	"github.com/creditgraph/creditgraph/vocab"
)

// worse reports whether a is a higher-risk tier than b.
func worse(a, b vocab.Tier) bool { return a > b }

// Rating is one sector rating in force.
type Rating struct {
	Scheme string
	Grade  string
	Sector vocab.Sector
}

// Listing is one active list entry.
type Listing struct {
	ListType string
	Severity vocab.Severity
}

// Penalty is one penalty in publicity and not repaired.
type Penalty struct {
	Severity vocab.Severity
}

// Input is what the evaluation of one entity looks at; records under objection are left out
// by the caller.
type Input struct {
	Ratings   []Rating
	Listings  []Listing
	Penalties []Penalty
}

// Evaluate applies a rule set to one entity's inputs.
func Evaluate(rs vocab.RuleSet, in Input) vocab.Result {
	res := vocab.Result{RuleSet: rs.Name, Components: []vocab.Component{}, Gates: []string{}, FiredLabels: []string{}}
	var sum, weights float64
	for _, r := range in.Ratings {
		scale, ok := rs.Scales[r.Scheme]
		w := rs.Weights[r.Scheme]
		norm, known := scale[r.Grade]
		if !ok || !known || w == 0 {
			continue
		}
		res.Components = append(res.Components, vocab.Component{Sector: r.Sector, Scheme: r.Scheme, SourceGrade: r.Grade, NormalisedScore: norm, Weight: w})
		sum += norm * w
		weights += w
	}
	avg := rs.NoRatingScore
	if weights > 0 {
		avg = sum / weights
		for i := range res.Components {
			res.Components[i].Weight = math.Round(res.Components[i].Weight/weights*1000) / 1000
		}
	}
	sort.Slice(res.Components, func(i, j int) bool { return res.Components[i].Scheme < res.Components[j].Scheme })
	res.Score = int(math.Round(avg * 10))
	res.ScoreTier = rs.Bands[len(rs.Bands)-1].Tier
	for _, b := range rs.Bands {
		if float64(res.Score) >= b.MinScore {
			res.ScoreTier = b.Tier
			break
		}
	}
	res.Tier = res.ScoreTier
	for _, g := range rs.Gates {
		if !fires(g, in) {
			continue
		}
		res.Gates = append(res.Gates, g.Name)
		res.FiredLabels = append(res.FiredLabels, g.Label())
		if worse(g.Cap, res.Tier) {
			res.Tier = g.Cap
		}
	}
	res.Grade = vocab.GradeOf(res.Tier)
	return res
}

func fires(g vocab.Gate, in Input) bool {
	switch g.Kind {
	case vocab.ActiveListing:
		for _, l := range in.Listings {
			if l.Severity == g.Severity {
				return true
			}
		}
	case vocab.UnrepairedPenalty:
		for _, p := range in.Penalties {
			if p.Severity == g.Severity {
				return true
			}
		}
	}
	return false
}

// DefaultRuleSet is the first rule set, loaded into an empty database. Its scales are those of
// domain.md §9: environment colours 100/80/60/30/0, labour A/B/C 100/70/30, transport AA–D
// 100/85/70/50/20, market risk A–D 100/75/45/10; the market risk class weighs most.
func DefaultRuleSet() vocab.RuleSet {
	transport := map[string]float64{"AA": 100, "A": 85, "B": 70, "C": 50, "D": 20}
	return vocab.RuleSet{
		Name: "JS-COMPOSITE-2026-v1",
		Scales: map[string]map[string]float64{
			"ENV_CREDIT_JS":          {"GREEN": 100, "BLUE": 80, "YELLOW": 60, "RED": 30, "BLACK": 0},
			"LABOUR_INTEGRITY":       {"A": 100, "B": 70, "C": 30},
			"TRANSPORT_OPERATOR_JS":  transport,
			"TRANSPORT_CONSTRUCTION": transport,
			"MARKET_RISK_CLASS":      {"A": 100, "B": 75, "C": 45, "D": 10},
		},
		Weights: map[string]float64{
			"MARKET_RISK_CLASS": 0.4, "ENV_CREDIT_JS": 0.2, "LABOUR_INTEGRITY": 0.2,
			"TRANSPORT_OPERATOR_JS": 0.2, "TRANSPORT_CONSTRUCTION": 0.2,
		},
		NoRatingScore: 80,
		Bands:         []vocab.Band{{Tier: vocab.TierA, MinScore: 850}, {Tier: vocab.TierB, MinScore: 650}, {Tier: vocab.TierC, MinScore: 400}, {Tier: vocab.TierD, MinScore: 0}},
		Gates: []vocab.Gate{
			{Name: "active serious listing → D", Kind: vocab.ActiveListing, Severity: vocab.Serious, Cap: vocab.TierD},
			{Name: "active general listing → at most C", Kind: vocab.ActiveListing, Severity: vocab.General, Cap: vocab.TierC},
			{Name: "unrepaired serious penalty → at most C", Kind: vocab.UnrepairedPenalty, Severity: vocab.Serious, Cap: vocab.TierC},
			{Name: "unrepaired general penalty → at most C", Kind: vocab.UnrepairedPenalty, Severity: vocab.General, Cap: vocab.TierC},
		},
	}
}
