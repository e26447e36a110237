package vocab

import (
	"io"
	"slices"
)

// Scale names a sector scale or procedure whose thresholds law sets (domain.md §3, §5); each
// has dated rows (ScaleRule) with its parameters, like the publicity rules.
type Scale string

// The scales.
const (
	// ScaleEnvCredit is Jiangsu's 12-point environmental credit score and its colours (§3.1).
	ScaleEnvCredit Scale = "ENV_CREDIT_JS"
	// ScaleEIAPoints is the EIA integrity points scheme of service providers (§3.5).
	ScaleEIAPoints Scale = "EIA_POINTS"
	// ScaleRepairWaivers says which mitigating circumstances waive repair's minimum period (§5.1).
	ScaleRepairWaivers Scale = "REPAIR_WAIVERS"
	// ScaleRepairBars are the further conditions of repair that a publicity regime sets (§5.1
	// item 4): SAMR Order 45 art. 14 for market supervision's penalties.
	ScaleRepairBars Scale = "REPAIR_BARS"
)

// Values lists the scales for ent's enum column.
func (Scale) Values() []string {
	return []string{string(ScaleEnvCredit), string(ScaleEIAPoints), string(ScaleRepairWaivers), string(ScaleRepairBars)}
}

// MarshalGQL writes the scale as a GraphQL enum.
func (s Scale) MarshalGQL(w io.Writer) { MarshalEnum(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum.
func (s *Scale) UnmarshalGQL(v any) error { return UnmarshalEnum(v, s, "scale") }

// ScaleParams are the parameters of one version of a scale; each scale uses its own part.
type ScaleParams struct {
	// Bands grade a score (ENV_CREDIT_JS): the first band, best first, whose minimum the score
	// reaches; the last band takes every lower score.
	Bands []GradeBand `json:"bands,omitempty"`
	// InitialScore and MaxScore bound a dynamic score (ENV_CREDIT_JS).
	InitialScore int `json:"initialScore,omitempty"`
	MaxScore     int `json:"maxScore,omitempty"`
	// WarningPoints and RestrictionPoints are the points in one cycle that bring a warning and
	// a rectification listing of RectifyMonths (EIA_POINTS).
	WarningPoints     int `json:"warningPoints,omitempty"`
	RestrictionPoints int `json:"restrictionPoints,omitempty"`
	RectifyMonths     int `json:"rectifyMonths,omitempty"`
	// Waivers are the sets of mitigating flags that together waive the minimum publicity
	// period before repair (REPAIR_WAIVERS): an application carrying every flag of one set
	// need not wait.
	Waivers [][]string `json:"waivers,omitempty"`
	// Bars are further conditions of repair (REPAIR_BARS), each for the penalties published
	// under one of its rule sets.
	Bars []RepairBar `json:"bars,omitempty"`
}

// RepairBar bars the repair of a penalty published under one of RuleSets, or of a listing on
// one of ListTypes, while its subject is on one of Lists (another listing in force that
// carries consequences); or — SameViolationAgain, for penalties — once the record's sector has
// penalised the subject again for the same violation type (a decision of the same 违法行为类型,
// not withdrawn, dated on or after the record's); or — HeavierPenaltyAgain — once the record's
// sector has imposed on the subject, after the record's date, a penalty (not withdrawn) of one
// of those categories, or — AggravatedFineAgain — a fine set by the aggravated principle
// (SAMR Order 44 art. 20: "未再受到市场监督管理部门较重行政处罚"; art. 2 names both).
type RepairBar struct {
	RuleSets            []string          `json:"ruleSets,omitempty"`
	ListTypes           []string          `json:"listTypes,omitempty"`
	Lists               []string          `json:"lists,omitempty"`
	SameViolationAgain  bool              `json:"sameViolationAgain,omitempty"`
	HeavierPenaltyAgain []PenaltyCategory `json:"heavierPenaltyAgain,omitempty"`
	AggravatedFineAgain bool              `json:"aggravatedFineAgain,omitempty"`
	Basis               string            `json:"basis,omitempty"`
}

// Covers tells whether the bar is for a penalty published under ruleSet or a listing on
// listType (either may be empty: the record is not of that kind).
func (b RepairBar) Covers(ruleSet, listType string) bool {
	return ruleSet != "" && slices.Contains(b.RuleSets, ruleSet) || listType != "" && slices.Contains(b.ListTypes, listType)
}

// GradeBand is the lowest score of a grade.
type GradeBand struct {
	Grade    string `json:"grade"`
	MinScore int    `json:"minScore"`
}
