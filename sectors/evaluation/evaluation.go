// Package evaluation computes the public credit comprehensive evaluation (公共信用综合评价,
// domain.md §9) of a market entity: each sector's rating normalised to 0–100, weighted into a
// score of 0–1000, banded into a risk tier A (low risk) … D (high), and capped by hard gates
// such as an active serious listing. The weights, scales, bands and gates are a RuleSet — data
// with effective dates, stored in the database — never constants; the method is ours, since
// the national one is not public, and every result carries its explanation.
package evaluation

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/creditgraph/creditgraph/sectors"
)

// Tier is a risk tier: A low risk, B general, C higher, D high (企业信用风险分类).
type Tier string

// The tiers, best first.
const (
	TierA Tier = "A"
	TierB Tier = "B"
	TierC Tier = "C"
	TierD Tier = "D"
)

// Values lists the tiers for ent's enum column.
func (Tier) Values() []string { return []string{"A", "B", "C", "D"} }

// MarshalGQL writes the tier as a GraphQL enum.
func (t Tier) MarshalGQL(w io.Writer) { sectors.MarshalEnum(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum.
func (t *Tier) UnmarshalGQL(v any) error { return sectors.UnmarshalEnum(v, t, "risk tier") }

// worse reports whether a is a higher-risk tier than b.
func worse(a, b Tier) bool { return a > b }

// Grade is the composite grade 优/良/中/差 that goes with a tier.
type Grade string

// The grades.
const (
	Excellent Grade = "EXCELLENT" // 优
	Good      Grade = "GOOD"      // 良
	Medium    Grade = "MEDIUM"    // 中
	Poor      Grade = "POOR"      // 差
)

// Values lists the grades for ent's enum column.
func (Grade) Values() []string { return []string{"EXCELLENT", "GOOD", "MEDIUM", "POOR"} }

// MarshalGQL writes the grade as a GraphQL enum.
func (g Grade) MarshalGQL(w io.Writer) { sectors.MarshalEnum(w, string(g)) }

// UnmarshalGQL reads a GraphQL enum.
func (g *Grade) UnmarshalGQL(v any) error { return sectors.UnmarshalEnum(v, g, "grade") }

// GradeOf maps a tier to its grade.
func GradeOf(t Tier) Grade {
	return map[Tier]Grade{TierA: Excellent, TierB: Good, TierC: Medium, TierD: Poor}[t]
}

// RuleSet is one version of the evaluation method.
type RuleSet struct {
	Name string `json:"name"`
	// Scales normalise each rating scheme's grades to 0–100.
	Scales map[string]map[string]float64 `json:"scales"`
	// Weights weigh the schemes present; they are renormalised over the schemes an entity has.
	Weights map[string]float64 `json:"weights"`
	// NoRatingScore is the component score of an entity with no rating at all (0–100).
	NoRatingScore float64 `json:"noRatingScore"`
	// Bands map a score of 0–1000 to a tier: the first band whose minimum the score reaches.
	Bands []Band `json:"bands"`
	// Gates cap the tier whatever the score.
	Gates []Gate `json:"gates"`
}

// Band is the lowest score of a tier.
type Band struct {
	Tier     Tier    `json:"tier"`
	MinScore float64 `json:"minScore"`
}

// GateKind says what a gate looks at.
type GateKind string

// Gate kinds.
const (
	// ActiveListing fires on an active list entry of the severity (not under objection).
	ActiveListing GateKind = "ACTIVE_LISTING"
	// UnrepairedPenalty fires on a penalty of the severity still in publicity and not repaired.
	UnrepairedPenalty GateKind = "UNREPAIRED_PENALTY"
)

// Gate caps the tier at Cap when an input of its Kind and Severity is present.
type Gate struct {
	Name     string           `json:"name"`
	Kind     GateKind         `json:"kind"`
	Severity sectors.Severity `json:"severity"`
	Cap      Tier             `json:"cap"`
}

// Rating is one sector rating in force.
type Rating struct {
	Scheme string
	Grade  string
	Sector sectors.Sector
}

// Listing is one active list entry.
type Listing struct {
	ListType string
	Severity sectors.Severity
}

// Penalty is one penalty in publicity and not repaired.
type Penalty struct {
	Severity sectors.Severity
}

// Input is what the evaluation of one entity looks at; records under objection are left out
// by the caller.
type Input struct {
	Ratings   []Rating
	Listings  []Listing
	Penalties []Penalty
}

// Component is one rating's part in the score.
type Component struct {
	Sector          sectors.Sector `json:"sector"`
	Scheme          string         `json:"scheme"`
	SourceGrade     string         `json:"sourceGrade"`
	NormalisedScore float64        `json:"normalisedScore"`
	Weight          float64        `json:"weight"`
}

// Result is an evaluation with its explanation.
type Result struct {
	Tier       Tier        `json:"tier"`
	Grade      Grade       `json:"grade"`
	Score      int         `json:"score"`
	ScoreTier  Tier        `json:"scoreTier"`
	Components []Component `json:"components"`
	Gates      []string    `json:"gates"`
	RuleSet    string      `json:"ruleSet"`
}

// Validate checks a rule set before it is stored or used.
func (rs RuleSet) Validate() error {
	if rs.Name == "" {
		return fmt.Errorf("a rule set needs a name")
	}
	if len(rs.Bands) == 0 {
		return fmt.Errorf("rule set %s has no bands", rs.Name)
	}
	for i, b := range rs.Bands {
		if i > 0 && b.MinScore >= rs.Bands[i-1].MinScore {
			return fmt.Errorf("rule set %s: bands must be in decreasing order of minimum score", rs.Name)
		}
	}
	if rs.Bands[len(rs.Bands)-1].MinScore > 0 {
		return fmt.Errorf("rule set %s: the last band must start at 0", rs.Name)
	}
	for scheme, w := range rs.Weights {
		if w < 0 {
			return fmt.Errorf("rule set %s: negative weight for %s", rs.Name, scheme)
		}
		if _, ok := rs.Scales[scheme]; !ok {
			return fmt.Errorf("rule set %s: weight for %s without a scale", rs.Name, scheme)
		}
	}
	return nil
}

// Evaluate applies a rule set to one entity's inputs.
func Evaluate(rs RuleSet, in Input) Result {
	res := Result{RuleSet: rs.Name, Components: []Component{}, Gates: []string{}}
	var sum, weights float64
	for _, r := range in.Ratings {
		scale, ok := rs.Scales[r.Scheme]
		w := rs.Weights[r.Scheme]
		norm, known := scale[r.Grade]
		if !ok || !known || w == 0 {
			continue
		}
		res.Components = append(res.Components, Component{Sector: r.Sector, Scheme: r.Scheme, SourceGrade: r.Grade, NormalisedScore: norm, Weight: w})
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
		if worse(g.Cap, res.Tier) {
			res.Tier = g.Cap
		}
	}
	res.Grade = GradeOf(res.Tier)
	return res
}

func fires(g Gate, in Input) bool {
	switch g.Kind {
	case ActiveListing:
		for _, l := range in.Listings {
			if l.Severity == g.Severity {
				return true
			}
		}
	case UnrepairedPenalty:
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
func DefaultRuleSet() RuleSet {
	transport := map[string]float64{"AA": 100, "A": 85, "B": 70, "C": 50, "D": 20}
	return RuleSet{
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
		Bands:         []Band{{TierA, 850}, {TierB, 650}, {TierC, 400}, {TierD, 0}},
		Gates: []Gate{
			{Name: "active serious listing → D", Kind: ActiveListing, Severity: sectors.Serious, Cap: TierD},
			{Name: "active general listing → at most C", Kind: ActiveListing, Severity: sectors.General, Cap: TierC},
			{Name: "unrepaired serious penalty → at most C", Kind: UnrepairedPenalty, Severity: sectors.Serious, Cap: TierC},
			{Name: "unrepaired general penalty → at most C", Kind: UnrepairedPenalty, Severity: sectors.General, Cap: TierC},
		},
	}
}
