package vocab

import (
	"fmt"
	"io"
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
func (t Tier) MarshalGQL(w io.Writer) { MarshalEnum(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum.
func (t *Tier) UnmarshalGQL(v any) error { return UnmarshalEnum(v, t, "risk tier") }

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
func (g Grade) MarshalGQL(w io.Writer) { MarshalEnum(w, string(g)) }

// UnmarshalGQL reads a GraphQL enum.
func (g *Grade) UnmarshalGQL(v any) error { return UnmarshalEnum(v, g, "grade") }

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
	Name     string   `json:"name"`
	Kind     GateKind `json:"kind"`
	Severity Severity `json:"severity"`
	Cap      Tier     `json:"cap"`
}

// severityLabels are the severities in Chinese.
var severityLabels = map[Severity]string{Minor: "轻微", General: "一般", Serious: "严重"}

// Label is the gate in Chinese, for the officials who read the explanation: what fired it and
// the tier it caps to.
func (g Gate) Label() string {
	what := map[GateKind]string{ActiveListing: "存在有效的%s失信名单", UnrepairedPenalty: "存在公示中未修复的%s失信行政处罚"}[g.Kind]
	if what == "" {
		return g.Name
	}
	return fmt.Sprintf(what, severityLabels[g.Severity]) + "：风险等级最高为" + string(g.Cap) + "类"
}

// SchemeLabels are the rating and score schemes in Chinese (domain.md §3).
var SchemeLabels = map[string]string{
	"ENV_CREDIT_JS":          "江苏省企业环保信用评价",
	"EIA_PROVIDER_POINTS":    "环评编制单位失信记分",
	"EIA_POINTS":             "环评失信记分",
	"LABOUR_INTEGRITY":       "企业劳动保障守法诚信等级",
	"TRANSPORT_OPERATOR_JS":  "道路运输企业质量信誉考核",
	"TRANSPORT_CONSTRUCTION": "交通运输建设市场信用评价",
	"MARKET_RISK_CLASS":      "企业信用风险分类",
}

// SectorLabels are the sectors in Chinese.
var SectorLabels = map[Sector]string{Environment: "生态环境", Labour: "人力资源社会保障", Transport: "交通运输",
	Market: "市场监管", CreditOffice: "省信用办"}

// Component is one rating's part in the score.
type Component struct {
	Sector          Sector  `json:"sector"`
	Scheme          string  `json:"scheme"`
	SourceGrade     string  `json:"sourceGrade"`
	NormalisedScore float64 `json:"normalisedScore"`
	Weight          float64 `json:"weight"`
}

// SchemeLabel is the component's scheme in Chinese (the code when none is known).
func (c Component) SchemeLabel() string {
	if l, ok := SchemeLabels[c.Scheme]; ok {
		return l
	}
	return c.Scheme
}

// SectorLabel is the component's sector in Chinese.
func (c Component) SectorLabel() string { return SectorLabels[c.Sector] }

// Result is an evaluation with its explanation.
type Result struct {
	Tier       Tier        `json:"tier"`
	Grade      Grade       `json:"grade"`
	Score      int         `json:"score"`
	ScoreTier  Tier        `json:"scoreTier"`
	Components []Component `json:"components"`
	Gates      []string    `json:"gates"`
	// FiredLabels are the fired gates in Chinese, in the order of Gates (absent from
	// evaluations stored before labels existed).
	FiredLabels []string `json:"gateLabels,omitempty"`
	RuleSet     string   `json:"ruleSet"`
}

// GateLabels are the fired gates in Chinese, or their names for an evaluation stored before
// labels existed (the next recompute adds them).
func (r Result) GateLabels() []string {
	if len(r.FiredLabels) == len(r.Gates) {
		return r.FiredLabels
	}
	return r.Gates
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

// Assignment is one drawn entity and its inspector.
type Assignment struct {
	EntityID  int    `json:"entityID"`
	Tier      Tier   `json:"tier"`
	Inspector string `json:"inspector"`
}
