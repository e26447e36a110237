package exchange

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/vocab"
)

// Column is one column of a national layout: its Chinese header as published, its field code
// (双公示 CF_*), and the API field it fills (for naming the column of an engine error).
type Column struct {
	Header, Code, Field string
	Required            bool
}

// PenaltyColumns are the national penalty-publication columns (双公示, domain.md §2.2), in the
// published order. A file may head its columns with the Chinese header or the code. 严重程度 is
// ours (the publicity rules need it); a file without it takes the importer's default. 公示日期 is
// ours too: without it a window counts from the decision. 从重处罚 (ours) marks a fine set by the
// aggravated principle (是/否), which SAMR Order 44 counts a heavier penalty.
var PenaltyColumns = []Column{
	{"行政相对人名称", "CF_XDR_MC", "counterpartyName", true},
	{"行政相对人类别", "CF_XDR_LB", "counterpartyCategory", true},
	{"统一社会信用代码", "CF_XDR_SHXYM", "counterpartyUscc", false},
	{"工商注册号", "CF_XDR_GSZC", "registrationNo", false},
	{"组织机构代码", "CF_XDR_ZZJG", "orgCode", false},
	{"税务登记号", "CF_XDR_SWDJ", "taxRegNo", false},
	{"事业单位证书号", "CF_XDR_SYDW", "publicInstitutionCertNo", false},
	{"社会组织登记证号", "CF_XDR_SHZZ", "socialOrgRegNo", false},
	{"法定代表人", "CF_FRDB", "legalRepName", false},
	{"行政处罚决定书文号", "CF_WSH", "decisionNo", true},
	{"违法行为类型", "CF_WFXW", "violationType", true},
	{"违法事实", "CF_SY", "violationFacts", true},
	{"处罚依据", "CF_YJ", "legalBasis", true},
	{"处罚类别", "CF_CFLB", "penaltyCategories", true},
	{"处罚内容", "CF_NR", "penaltyContent", true},
	{"罚款金额（万元）", "CF_NR_FK", "fineAmount", false},
	{"没收违法所得、没收非法财物的金额（万元）", "CF_NR_WFFF", "confiscatedAmount", false},
	{"暂扣或吊销证照名称及编号", "CF_NR_ZKDX", "suspendedOrRevokedLicence", false},
	{"处罚决定日期", "CF_JDRQ", "decisionDate", true},
	{"处罚有效期", "CF_YXQ", "validUntil", false},
	{"公示截止期", "CF_GSJZQ", "publicityDeadline", false}, // computed from the rules; a file's value is ignored
	{"处罚机关", "CF_CFJG", "authorityName", true},
	{"处罚机关统一社会信用代码", "CF_CFJGDM", "authorityUscc", true},
	{"数据来源单位", "CF_SJLY", "dataSourceUnit", true},
	{"数据来源单位统一社会信用代码", "CF_SJLYDM", "dataSourceUnitUscc", true},
	{"备注", "BZ", "remark", false},
	{"严重程度", "SEVERITY", "severity", false},
	{"公示日期", "GSRQ", "publishedOn", false},    // ours: the day first published, where a rule counts from it (SAMR Order 45)
	{"从重处罚", "CZCF", "aggravatedFine", false}, // ours: 是 for a fine set by the aggravated principle (SAMR Order 44 art. 2)
}

// yesNo reads a yes/no cell as offices write it; empty is no.
var yesNo = map[string]bool{"": false, "是": true, "否": false, "Y": true, "N": false, "y": true, "n": false,
	"TRUE": true, "FALSE": false, "true": true, "false": false, "1": true, "0": false}

var categoryOf = map[string]string{
	"法人及非法人组织": "LEGAL_PERSON", "法人": "LEGAL_PERSON", "非法人组织": "LEGAL_PERSON",
	"自然人": "NATURAL_PERSON", "个体工商户": "INDIVIDUAL_BUSINESS",
}

var penaltyCategoryOf = map[string]vocab.PenaltyCategory{
	"警告": "WARNING", "通报批评": "CIRCULATED_CRITICISM", "罚款": "FINE", "没收违法所得": "CONFISCATE_ILLEGAL_GAINS",
	"没收非法财物": "CONFISCATE_ILLEGAL_PROPERTY", "暂扣许可证件": "SUSPEND_LICENCE", "暂扣许可证": "SUSPEND_LICENCE",
	"降低资质等级": "LOWER_QUALIFICATION", "吊销许可证件": "REVOKE_LICENCE", "吊销许可证": "REVOKE_LICENCE",
	"吊销营业执照": "REVOKE_LICENCE", "限制开展生产经营活动": "RESTRICT_BUSINESS", "责令停产停业": "ORDER_SUSPEND",
	"责令关闭": "ORDER_CLOSE", "限制从业": "RESTRICT_EMPLOYMENT", "行政拘留": "DETENTION", "其他": "OTHER",
}

var severityOf = map[string]vocab.Severity{"轻微": vocab.Minor, "一般": vocab.General, "严重": vocab.Serious,
	"MINOR": vocab.Minor, "GENERAL": vocab.General, "SERIOUS": vocab.Serious}

// rowError is a problem with one cell.
type rowError struct{ column, problem string }

// penaltyRow turns one row into a create input; get reads a cell by API field.
// A legal person's USCC is resolved to its registry entity per batch: EntityID is set to a
// placeholder here.
func penaltyRow(get func(field string) string, dep *ent.Department, system string, severity vocab.Severity) (*ent.CreateAdministrativePenaltyInput, *rowError) {
	in := &ent.CreateAdministrativePenaltyInput{DepartmentID: dep.ID, SourceSystem: system}
	for _, c := range PenaltyColumns {
		if c.Required && get(c.Field) == "" {
			return nil, &rowError{c.Field, "is required"}
		}
	}
	in.CounterpartyName = get("counterpartyName")
	cat, ok := categoryOf[get("counterpartyCategory")]
	if !ok { // the API's codes too
		cat = get("counterpartyCategory")
		if administrativepenalty.CounterpartyCategoryValidator(administrativepenalty.CounterpartyCategory(cat)) != nil {
			return nil, &rowError{"counterpartyCategory", fmt.Sprintf("%q is not 法人及非法人组织, 自然人 or 个体工商户", cat)}
		}
	}
	in.CounterpartyCategory = administrativepenalty.CounterpartyCategory(cat)
	if u := get("counterpartyUscc"); u != "" {
		code := ident.NormalizeUSCC(u)
		in.CounterpartyUscc = &code
		if cat != "NATURAL_PERSON" {
			placeholder := -1
			in.EntityID = &placeholder
		}
	} else if cat == "LEGAL_PERSON" {
		return nil, &rowError{"counterpartyUscc", "is required for 法人及非法人组织"}
	}
	opt := func(field string) *string {
		if v := get(field); v != "" {
			return &v
		}
		return nil
	}
	in.RegistrationNo, in.OrgCode, in.TaxRegNo = opt("registrationNo"), opt("orgCode"), opt("taxRegNo")
	in.PublicInstitutionCertNo, in.SocialOrgRegNo, in.LegalRepName = opt("publicInstitutionCertNo"), opt("socialOrgRegNo"), opt("legalRepName")
	in.DecisionNo = get("decisionNo")
	in.SourceRecordID = in.DecisionNo
	in.ViolationType, in.ViolationFacts, in.LegalBasis = get("violationType"), get("violationFacts"), get("legalBasis")
	for _, part := range splitList(get("penaltyCategories")) {
		c, ok := penaltyCategoryOf[part]
		if !ok {
			return nil, &rowError{"penaltyCategories", fmt.Sprintf("%q is not a penalty category of the Administrative Penalty Law art. 9 (警告, 罚款, 没收违法所得 …)", part)}
		}
		in.PenaltyCategories = append(in.PenaltyCategories, c)
	}
	in.PenaltyContent = get("penaltyContent")
	for _, f := range []struct {
		field string
		dst   **decimal.Decimal
	}{{"fineAmount", &in.FineAmount}, {"confiscatedAmount", &in.ConfiscatedAmount}} {
		if v := get(f.field); v != "" {
			d, err := decimal.NewFromString(strings.ReplaceAll(v, ",", ""))
			if err != nil {
				return nil, &rowError{f.field, fmt.Sprintf("%q is not an amount in 10,000 CNY", v)}
			}
			*f.dst = &d
		}
	}
	in.SuspendedOrRevokedLicence = opt("suspendedOrRevokedLicence")
	d, err := ParseDate(get("decisionDate"))
	if err != nil {
		return nil, &rowError{"decisionDate", err.Error()}
	}
	in.DecisionDate = d
	if v := get("validUntil"); v != "" {
		d, err := ParseDate(v)
		if err != nil {
			return nil, &rowError{"validUntil", err.Error()}
		}
		in.ValidUntil = &d
	}
	var bad *rowError
	if in.PublishedOn, bad = optionalDate(get, "publishedOn"); bad != nil {
		return nil, bad
	}
	in.AuthorityName, in.AuthorityUscc = get("authorityName"), get("authorityUscc")
	in.DataSourceUnit, in.DataSourceUnitUscc = get("dataSourceUnit"), get("dataSourceUnitUscc")
	in.Remark = opt("remark")
	aggravated, ok := yesNo[get("aggravatedFine")]
	if !ok {
		return nil, &rowError{"aggravatedFine", fmt.Sprintf("%q is neither 是 nor 否", get("aggravatedFine"))}
	}
	if aggravated {
		in.AggravatedFine = &aggravated
	}
	sev := severity
	if v := get("severity"); v != "" {
		s, ok := severityOf[v]
		if !ok {
			return nil, &rowError{"severity", fmt.Sprintf("%q is not 轻微, 一般 or 严重", v)}
		}
		sev = s
	}
	if sev == "" {
		return nil, &rowError{"severity", "is required by the publicity rules: add a 严重程度 column (轻微/一般/严重) or give the import a default"}
	}
	in.Severity = sev
	return in, nil
}

// splitList splits a multi-valued cell on the separators departments use.
func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("；;、,，/ ", r) })
	return f
}

// ParseDate reads the date forms departments' systems write: 2025-03-01, 2025/3/1, 20250301,
// 2025年3月1日, an Excel serial day number, or a timestamp whose date part is one of these.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006年1月2日", "2006.1.2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 20000 && f < 80000 { // Excel's serial days (1954–2118), a time of day after the point
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(f)), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2025-03-01, 2025/3/1, 20250301 or 2025年3月1日)", s)
}
