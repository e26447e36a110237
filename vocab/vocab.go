// Package vocab is the credit graph's shared vocabulary: the enums and value types that the
// model, the sector rules, the write engine and authorization all speak — sectors, severities,
// record states, penalty categories (shared/domain.md §2.2), subject kinds, risk tiers and the
// evaluation's stored shapes, and the clock. It imports nothing of ours, so every room may use
// it; behaviour lives with the owners (sectors/*, ledger, authz), never here.
package vocab

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Sector is a department's area of supervision. Its lower-case form is the department code
// used in tokens and policies.
type Sector string

const (
	Environment  Sector = "ENVIRONMENT"   // 生态环境
	Labour       Sector = "LABOUR"        // 人力资源和社会保障
	Transport    Sector = "TRANSPORT"     // 交通运输
	Market       Sector = "MARKET"        // 市场监管
	CreditOffice Sector = "CREDIT_OFFICE" // 发展改革委（省信用办）
)

// Values lists the sectors for ent's enum column.
func (Sector) Values() []string {
	return []string{string(Environment), string(Labour), string(Transport), string(Market), string(CreditOffice)}
}

// MarshalGQL writes the value as a GraphQL enum.
func (s Sector) MarshalGQL(w io.Writer) { MarshalEnum(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum.
func (s *Sector) UnmarshalGQL(v any) error { return UnmarshalEnum(v, s, "sector") }

// Severity classifies dishonest conduct (轻微 / 一般 / 严重); it selects publicity rules.
type Severity string

const (
	Minor   Severity = "MINOR"   // 轻微
	General Severity = "GENERAL" // 一般
	Serious Severity = "SERIOUS" // 严重
)

// Values lists the severities for ent's enum column.
func (Severity) Values() []string { return []string{string(Minor), string(General), string(Serious)} }

// MarshalGQL writes the value as a GraphQL enum.
func (s Severity) MarshalGQL(w io.Writer) { MarshalEnum(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum.
func (s *Severity) UnmarshalGQL(v any) error { return UnmarshalEnum(v, s, "severity") }

// RecordStatus is where a record stands in its publication life cycle (domain.md §4).
type RecordStatus string

const (
	Published RecordStatus = "PUBLISHED" // 公示中
	Repaired  RecordStatus = "REPAIRED"  // 已修复
	Expired   RecordStatus = "EXPIRED"   // 公示期满
	Withdrawn RecordStatus = "WITHDRAWN" // 撤销
	Corrected RecordStatus = "CORRECTED" // 已更正
)

// Values lists the states for ent's enum column.
func (RecordStatus) Values() []string {
	return []string{string(Published), string(Repaired), string(Expired), string(Withdrawn), string(Corrected)}
}

// MarshalGQL writes the value as a GraphQL enum.
func (s RecordStatus) MarshalGQL(w io.Writer) { MarshalEnum(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum.
func (s *RecordStatus) UnmarshalGQL(v any) error { return UnmarshalEnum(v, s, "record status") }

// PenaltyCategory is a kind of administrative penalty (Administrative Penalty Law 2021 art. 9);
// one decision may impose several.
type PenaltyCategory string

const (
	Warning                   PenaltyCategory = "WARNING"                     // 警告
	CirculatedCriticism       PenaltyCategory = "CIRCULATED_CRITICISM"        // 通报批评
	Fine                      PenaltyCategory = "FINE"                        // 罚款
	ConfiscateIllegalGains    PenaltyCategory = "CONFISCATE_ILLEGAL_GAINS"    // 没收违法所得
	ConfiscateIllegalProperty PenaltyCategory = "CONFISCATE_ILLEGAL_PROPERTY" // 没收非法财物
	SuspendLicence            PenaltyCategory = "SUSPEND_LICENCE"             // 暂扣许可证件
	LowerQualification        PenaltyCategory = "LOWER_QUALIFICATION"         // 降低资质等级
	RevokeLicence             PenaltyCategory = "REVOKE_LICENCE"              // 吊销许可证件
	RestrictBusiness          PenaltyCategory = "RESTRICT_BUSINESS"           // 限制开展生产经营活动
	OrderSuspend              PenaltyCategory = "ORDER_SUSPEND"               // 责令停产停业
	OrderClose                PenaltyCategory = "ORDER_CLOSE"                 // 责令关闭
	RestrictEmployment        PenaltyCategory = "RESTRICT_EMPLOYMENT"         // 限制从业
	Detention                 PenaltyCategory = "DETENTION"                   // 行政拘留
	OtherPenalty              PenaltyCategory = "OTHER"                       // 其他
)

// Values lists the categories.
func (PenaltyCategory) Values() []string {
	return []string{string(Warning), string(CirculatedCriticism), string(Fine), string(ConfiscateIllegalGains),
		string(ConfiscateIllegalProperty), string(SuspendLicence), string(LowerQualification), string(RevokeLicence),
		string(RestrictBusiness), string(OrderSuspend), string(OrderClose), string(RestrictEmployment),
		string(Detention), string(OtherPenalty)}
}

// MarshalGQL writes the value as a GraphQL enum.
func (c PenaltyCategory) MarshalGQL(w io.Writer) { MarshalEnum(w, string(c)) }

// UnmarshalGQL reads a GraphQL enum.
func (c *PenaltyCategory) UnmarshalGQL(v any) error { return UnmarshalEnum(v, c, "penalty category") }

// MitigationFlag is a mitigating circumstance of a repair application (domain.md §5.4).
type MitigationFlag string

const (
	FirstOffence            MitigationFlag = "FIRST_OFFENCE"            // 首次违法
	NoSubjectiveIntent      MitigationFlag = "NO_SUBJECTIVE_INTENT"     // 无主观故意
	SME                     MitigationFlag = "SME"                      // 中小微企业
	Epidemic                MitigationFlag = "EPIDEMIC"                 // 受疫情影响 (only inside a declared period)
	BankruptcyRestructuring MitigationFlag = "BANKRUPTCY_RESTRUCTURING" // 破产重整、和解
	ActiveRemediation       MitigationFlag = "ACTIVE_REMEDIATION"       // 主动整改
)

// Values lists the flags.
func (MitigationFlag) Values() []string {
	return []string{string(FirstOffence), string(NoSubjectiveIntent), string(SME), string(Epidemic),
		string(BankruptcyRestructuring), string(ActiveRemediation)}
}

// MarshalGQL writes the value as a GraphQL enum.
func (f MitigationFlag) MarshalGQL(w io.Writer) { MarshalEnum(w, string(f)) }

// UnmarshalGQL reads a GraphQL enum.
func (f *MitigationFlag) UnmarshalGQL(v any) error { return UnmarshalEnum(v, f, "mitigation flag") }

// Enum is what every vocabulary type is: a string with a fixed set of values.
type Enum interface {
	~string
	Values() []string
}

// MarshalEnum writes an enum value for gqlgen.
func MarshalEnum(w io.Writer, s string) { _, _ = io.WriteString(w, strconv.Quote(s)) }

// UnmarshalEnum reads and checks an enum value for gqlgen; what names the type in the error.
func UnmarshalEnum[T Enum](v any, dst *T, what string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s must be a string, got %T", what, v)
	}
	if !slices.Contains((*dst).Values(), s) {
		return fmt.Errorf("%q is not a valid %s (one of %v)", s, what, (*dst).Values())
	}
	*dst = T(s)
	return nil
}

// RatingGrades are the grades of each rating scheme, best first (domain.md §3). A rating
// whose grade is not on its scheme's scale is refused.
var RatingGrades = map[string][]string{
	"ENV_CREDIT_JS":          {"GREEN", "BLUE", "YELLOW", "RED", "BLACK"},
	"LABOUR_INTEGRITY":       {"A", "B", "C"},
	"TRANSPORT_OPERATOR_JS":  {"AA", "A", "B", "C", "D"},
	"TRANSPORT_CONSTRUCTION": {"AA", "A", "B", "C", "D"},
	"MARKET_RISK_CLASS":      {"A", "B", "C", "D"},
	"EIA_PROVIDER_POINTS":    {"NORMAL", "WARNING", "RESTRICTED", "BLACKLISTED"},
}

// WorkflowStep is one step of a workflow's history (an objection's, say): who moved it from
// which state to which, when and why.
type WorkflowStep struct {
	From       string    `json:"from"`
	To         string    `json:"to"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Department string    `json:"department"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// RecordType names a sector record type where a rule differs per type (which rows are public,
// say).
type RecordType string

// The record types.
const (
	RecordPenalty    RecordType = "PENALTY"
	RecordLicence    RecordType = "LICENCE"
	RecordListEntry  RecordType = "LIST_ENTRY"
	RecordRating     RecordType = "RATING"
	RecordSpotCheck  RecordType = "SPOT_CHECK"
	RecordCommitment RecordType = "COMMITMENT"
	RecordScoreEvent RecordType = "SCORE_EVENT"
	RecordRedList    RecordType = "RED_LIST"
)

// Values lists the record types.
func (RecordType) Values() []string {
	return []string{string(RecordPenalty), string(RecordLicence), string(RecordListEntry), string(RecordRating),
		string(RecordSpotCheck), string(RecordCommitment), string(RecordScoreEvent), string(RecordRedList)}
}

// MarshalGQL writes the type as a GraphQL enum.
func (t RecordType) MarshalGQL(w io.Writer) { MarshalEnum(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum.
func (t *RecordType) UnmarshalGQL(v any) error { return UnmarshalEnum(v, t, "record type") }

// SchemeSectors are the sectors the rating and score schemes belong to (domain.md §3): a
// rating or score event of a scheme is a record of that sector, whichever department is named.
var SchemeSectors = map[string]Sector{
	"ENV_CREDIT_JS":          Environment,
	"EIA_PROVIDER_POINTS":    Environment,
	"EIA_POINTS":             Environment,
	"LABOUR_INTEGRITY":       Labour,
	"TRANSPORT_OPERATOR_JS":  Transport,
	"TRANSPORT_CONSTRUCTION": Transport,
	"MARKET_RISK_CLASS":      Market,
}

// listTypeSectors are the sectors of the list types by their prefix (domain.md §2.2).
var listTypeSectors = map[string]Sector{"MS_": Market, "HR_": Labour, "EE_": Environment, "TR_": Transport, "COURT_": CreditOffice}

// ListTypeSector is the sector a list type belongs to; ok is false for lists of any sector
// (a commitment breach belongs to the sector of the commitment's department).
func ListTypeSector(listType string) (s Sector, ok bool) {
	for prefix, s := range listTypeSectors {
		if len(listType) > len(prefix) && listType[:len(prefix)] == prefix {
			return s, true
		}
	}
	return "", false
}
