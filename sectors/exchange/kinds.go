package exchange

import (
	"context"
	"fmt"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativelicense"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/storage/hint"
	"github.com/creditgraph/creditgraph/vocab"
)

// spec is what importing one kind of record takes: its columns, a row's create input (with its
// source key and the legal person's USCC to resolve), and the batch create.
type spec struct {
	columns []Column
	build   func(get func(string) string, d *ent.Department, system string, im *Importer) (in any, key, uscc string, bad *rowError)
	entity  func(in any, id int)
	// create writes a batch with c, the batch's transaction, and says how many of its rows
	// were stored already under their source keys (skipped, not written again).
	create func(ctx context.Context, im *Importer, c *ent.Client, dep int, system string, keys []string, ins []any) (existing int, err error)
	// key says what a row's source key is made of, for a row that repeats another's.
	key string
}

// specs are the kinds a file may hold.
var specs = map[string]spec{
	"penalties": {
		key:     "the same decision number",
		columns: PenaltyColumns,
		build: func(get func(string) string, d *ent.Department, system string, im *Importer) (any, string, string, *rowError) {
			in, bad := penaltyRow(get, d, system, im.Severity)
			if bad != nil {
				return nil, "", "", bad
			}
			uscc := ""
			if in.EntityID != nil && in.CounterpartyUscc != nil {
				uscc = *in.CounterpartyUscc
				if uscc == ident.PlaceholderUSCC && in.RegistrationNo != nil { // a business without a code: by 工商注册号
					uscc = byRegistration + *in.RegistrationNo
				}
			}
			return in, in.SourceRecordID, uscc, nil
		},
		entity: func(in any, id int) { in.(*ent.CreateAdministrativePenaltyInput).EntityID = &id },
		create: func(ctx context.Context, im *Importer, c *ent.Client, _ int, _ string, _ []string, ins []any) (int, error) {
			inputs := make([]*ent.CreateAdministrativePenaltyInput, len(ins))
			for i, in := range ins {
				inputs[i] = in.(*ent.CreateAdministrativePenaltyInput)
			}
			_, existing, err := im.Ledger.RecordPenalties(ctx, c, inputs)
			return existing, err
		},
	},
	"licences": {
		key:     "the same decision number",
		columns: LicenceColumns,
		build: func(get func(string) string, d *ent.Department, system string, _ *Importer) (any, string, string, *rowError) {
			in, uscc, bad := licenceRow(get, d, system)
			if bad != nil {
				return nil, "", "", bad
			}
			return in, in.SourceRecordID, uscc, nil
		},
		entity: func(in any, id int) { in.(*ent.CreateAdministrativeLicenseInput).EntityID = &id },
		create: func(ctx context.Context, _ *Importer, c *ent.Client, dep int, system string, keys []string, ins []any) (int, error) {
			return eachRow(ins, func() (int, error) {
				return c.AdministrativeLicense.Query().Where(bySourceKey[predicate.AdministrativeLicense](migrate.AdministrativeLicensesTable), administrativelicense.DepartmentID(dep), administrativelicense.SourceSystem(system), administrativelicense.SourceRecordIDIn(keys...)).Count(authz.AsSystem(ctx))
			}, func(in any) error {
				return c.AdministrativeLicense.Create().SetInput(*in.(*ent.CreateAdministrativeLicenseInput)).Exec(ctx)
			})
		},
	},
	"list_entries": {
		key:     "the same decision number",
		columns: ListColumns,
		build: func(get func(string) string, d *ent.Department, system string, im *Importer) (any, string, string, *rowError) {
			in, uscc, bad := listRow(get, d, system, im.Severity)
			if bad != nil {
				return nil, "", "", bad
			}
			return in, in.SourceRecordID, uscc, nil
		},
		entity: func(in any, id int) { in.(*ent.CreateListEntryInput).EntityID = &id },
		create: func(ctx context.Context, _ *Importer, c *ent.Client, dep int, system string, keys []string, ins []any) (int, error) {
			return eachRow(ins, func() (int, error) {
				return c.ListEntry.Query().Where(bySourceKey[predicate.ListEntry](migrate.ListEntriesTable), listentry.DepartmentID(dep), listentry.SourceSystem(system), listentry.SourceRecordIDIn(keys...)).Count(authz.AsSystem(ctx))
			}, func(in any) error { return c.ListEntry.Create().SetInput(*in.(*ent.CreateListEntryInput)).Exec(ctx) })
		},
	},
	"ratings": {
		key:     "the same decision number and USCC",
		columns: RatingColumns,
		build: func(get func(string) string, d *ent.Department, system string, _ *Importer) (any, string, string, *rowError) {
			in, uscc, bad := ratingRow(get, d, system)
			if bad != nil {
				return nil, "", "", bad
			}
			return in, in.SourceRecordID, uscc, nil
		},
		entity: func(in any, id int) { in.(*ent.CreateSectorRatingInput).EntityID = &id },
		create: func(ctx context.Context, _ *Importer, c *ent.Client, dep int, system string, keys []string, ins []any) (int, error) {
			return eachRow(ins, func() (int, error) {
				return c.SectorRating.Query().Where(bySourceKey[predicate.SectorRating](migrate.SectorRatingsTable), sectorrating.DepartmentID(dep), sectorrating.SourceSystem(system), sectorrating.SourceRecordIDIn(keys...)).Count(authz.AsSystem(ctx))
			}, func(in any) error {
				return c.SectorRating.Create().SetInput(*in.(*ent.CreateSectorRatingInput)).Exec(ctx)
			})
		},
	},
}

// bySourceKey makes a count of t's records by a department's source key walk the unique index
// on it (package hint says why).
func bySourceKey[P ~func(*entsql.Selector)](t *schema.Table) P {
	return P(hint.Through(t.Name, hint.SourceKey(t)))
}

// eachRow counts the rows stored already (whatever the caller may read), then creates the rows one by one (each through the
// write engine's hooks, idempotent on its source key), naming the row of an error as the batch
// mutations do.
func eachRow(ins []any, stored func() (int, error), create func(any) error) (int, error) {
	existing, err := stored()
	if err != nil {
		return 0, err
	}
	for i, in := range ins {
		if err := create(in); err != nil {
			if !ledger.RowFault(err) {
				return 0, err
			}
			return 0, derrors.Row("input", i, err)
		}
	}
	return existing, nil
}

// LicenceColumns are the national licensing-publication columns (双公示 行政许可, XK_*).
var LicenceColumns = []Column{
	{"行政相对人名称", "XK_XDR_MC", "counterpartyName", true},
	{"统一社会信用代码", "XK_XDR_SHXYM", "counterpartyUscc", true},
	{"行政许可决定文书名称", "XK_XKWS", "decisionDocName", true},
	{"行政许可决定文书号", "XK_WSH", "decisionNo", true},
	{"许可类别", "XK_XKLB", "licenseCategory", true},
	{"许可证书名称", "XK_XKZS", "certificateName", false},
	{"许可编号", "XK_XKBH", "licenseNo", false},
	{"许可内容", "XK_NR", "content", true},
	{"许可决定日期", "XK_JDRQ", "decisionDate", true},
	{"有效期自", "XK_YXQZ", "validFrom", true},
	{"有效期至", "XK_YXQZI", "validTo", false},
	{"许可机关", "XK_XKJG", "authorityName", true},
	{"许可机关统一社会信用代码", "XK_XKJGDM", "authorityUscc", true},
	{"当前状态", "XK_ZT", "state", false},
}

var licenceCategoryOf = map[string]administrativelicense.LicenseCategory{"普通": "ORDINARY", "特许": "FRANCHISE", "认可": "RECOGNITION",
	"核准": "APPROVAL", "登记": "REGISTRATION", "其他": "OTHER"}

var licenceStateOf = map[string]administrativelicense.State{"有效": "VALID", "1": "VALID", "暂扣": "SUSPENDED", "吊销": "REVOKED",
	"注销": "CANCELLED", "撤销": "CANCELLED", "过期": "EXPIRED", "无效": "EXPIRED", "2": "EXPIRED"}

func licenceRow(get func(string) string, d *ent.Department, system string) (*ent.CreateAdministrativeLicenseInput, string, *rowError) {
	if bad := required(LicenceColumns, get); bad != nil {
		return nil, "", bad
	}
	in := &ent.CreateAdministrativeLicenseInput{DepartmentID: d.ID, SourceSystem: system, DecisionDocName: get("decisionDocName"),
		DecisionNo: get("decisionNo"), SourceRecordID: get("decisionNo"), Content: get("content"),
		AuthorityName: get("authorityName"), AuthorityUscc: get("authorityUscc")}
	cat, ok := licenceCategoryOf[get("licenseCategory")]
	if !ok && administrativelicense.LicenseCategoryValidator(administrativelicense.LicenseCategory(get("licenseCategory"))) != nil {
		return nil, "", &rowError{"licenseCategory", fmt.Sprintf("%q is not 普通, 特许, 认可, 核准, 登记 or 其他", get("licenseCategory"))}
	} else if !ok {
		cat = administrativelicense.LicenseCategory(get("licenseCategory"))
	}
	in.LicenseCategory = cat
	in.CertificateName, in.LicenseNo = optional(get("certificateName")), optional(get("licenseNo"))
	var bad *rowError
	if in.DecisionDate, bad = date(get, "decisionDate"); bad != nil {
		return nil, "", bad
	}
	if in.ValidFrom, bad = date(get, "validFrom"); bad != nil {
		return nil, "", bad
	}
	if in.ValidTo, bad = optionalDate(get, "validTo"); bad != nil {
		return nil, "", bad
	}
	if v := get("state"); v != "" {
		st, ok := licenceStateOf[v]
		if !ok {
			return nil, "", &rowError{"state", fmt.Sprintf("%q is not 有效, 暂扣, 吊销, 注销 or 过期", v)}
		}
		in.State = &st
	}
	return in, ident.NormalizeUSCC(get("counterpartyUscc")), nil
}

// ListColumns are the columns of a list-entry file (名单). No national layout exists; these are
// the fields of domain.md §2.2 with their Chinese names.
var ListColumns = []Column{
	{"名称", "MC", "name", false},
	{"统一社会信用代码", "TYSHXYDM", "counterpartyUscc", true},
	{"名单类型", "MDLX", "listType", true},
	{"列入日期", "LRRQ", "listedOn", true},
	{"列入事由", "LRSY", "reason", true},
	{"列入依据", "LRYJ", "basis", true},
	{"列入决定书文号", "LRWH", "decisionNo", true},
	{"计划移出日期", "JHYCRQ", "plannedEndOn", false},
	{"严重程度", "SEVERITY", "severity", false},
	{"责令限期期限", "ZLQX", "orderDeadline", false}, // the deadline of the order to comply, where the list requires one
}

var listTypeOf = map[string]listentry.ListType{
	"经营异常名录": "MS_ABNORMAL_OPERATION", "严重违法失信名单": "MS_SERIOUS_ILLEGAL_DISHONEST",
	"拖欠农民工工资失信联合惩戒对象名单": "HR_WAGE_ARREARS", "社会保险领域严重失信人名单": "HR_SOCIAL_INSURANCE_SERIOUS",
	"重大劳动保障违法行为社会公布": "HR_MAJOR_VIOLATION_PUBLICATION", "环评限期整改名单": "EE_EIA_RECTIFICATION",
	"环评失信黑名单": "EE_EIA_BLACKLIST", "交通运输严重失信名单": "TR_SERIOUS_DISHONEST", "交通运输重点关注名单": "TR_KEY_SUPERVISION",
	"失信被执行人": "COURT_DISHONEST_JUDGMENT_DEBTOR", "违背信用承诺记录": "COMMITMENT_BREACH",
}

func listRow(get func(string) string, d *ent.Department, system string, severity vocab.Severity) (*ent.CreateListEntryInput, string, *rowError) {
	if bad := required(ListColumns, get); bad != nil {
		return nil, "", bad
	}
	in := &ent.CreateListEntryInput{DepartmentID: d.ID, SourceSystem: system, SourceRecordID: get("decisionNo"), DecisionNo: get("decisionNo"),
		Reason: get("reason"), Basis: get("basis")}
	lt, ok := listTypeOf[get("listType")]
	if !ok {
		lt = listentry.ListType(get("listType"))
		if listentry.ListTypeValidator(lt) != nil {
			return nil, "", &rowError{"listType", fmt.Sprintf("%q is not a list (经营异常名录, 严重违法失信名单 … or its code)", get("listType"))}
		}
	}
	in.ListType = lt
	var bad *rowError
	if in.ListedOn, bad = date(get, "listedOn"); bad != nil {
		return nil, "", bad
	}
	if in.PlannedEndOn, bad = optionalDate(get, "plannedEndOn"); bad != nil {
		return nil, "", bad
	}
	if in.OrderDeadline, bad = optionalDate(get, "orderDeadline"); bad != nil {
		return nil, "", bad
	}
	sev := severity
	if v := get("severity"); v != "" {
		s, ok := severityOf[v]
		if !ok {
			return nil, "", &rowError{"severity", fmt.Sprintf("%q is not 轻微, 一般 or 严重", v)}
		}
		sev = s
	}
	if sev == "" {
		return nil, "", &rowError{"severity", "is required: add a 严重程度 column (轻微/一般/严重) or give the import a default"}
	}
	in.Severity = sev
	return in, ident.NormalizeUSCC(get("counterpartyUscc")), nil
}

// RatingColumns are the columns of a sector-rating file (行业信用评价结果).
var RatingColumns = []Column{
	{"名称", "MC", "name", false},
	{"统一社会信用代码", "TYSHXYDM", "counterpartyUscc", true},
	{"评价体系", "PJTX", "scheme", true},
	{"信用等级", "XYDJ", "grade", true},
	{"得分", "DF", "score", false},
	{"评价周期", "PJZQ", "period", true},
	{"有效期自", "YXQZ", "validFrom", true},
	{"有效期至", "YXQZI", "validUntil", false},
	{"评价文号", "PJWH", "decisionNo", true},
}

var schemeOf = map[string]sectorrating.Scheme{}

func init() {
	for code, label := range vocab.SchemeLabels {
		schemeOf[label] = sectorrating.Scheme(code)
	}
}

func ratingRow(get func(string) string, d *ent.Department, system string) (*ent.CreateSectorRatingInput, string, *rowError) {
	if bad := required(RatingColumns, get); bad != nil {
		return nil, "", bad
	}
	in := &ent.CreateSectorRatingInput{DepartmentID: d.ID, SourceSystem: system, SourceRecordID: get("decisionNo") + "/" + get("counterpartyUscc"),
		Grade: get("grade"), Period: get("period")}
	sc, ok := schemeOf[get("scheme")]
	if !ok {
		sc = sectorrating.Scheme(get("scheme"))
		if sectorrating.SchemeValidator(sc) != nil {
			return nil, "", &rowError{"scheme", fmt.Sprintf("%q is not a rating scheme (江苏省企业环保信用评价 … or its code)", get("scheme"))}
		}
	}
	in.Scheme = sc
	if v := get("score"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, "", &rowError{"score", fmt.Sprintf("%q is not a number", v)}
		}
		in.Score = &f
	}
	var bad *rowError
	if in.ValidFrom, bad = date(get, "validFrom"); bad != nil {
		return nil, "", bad
	}
	if in.ValidUntil, bad = optionalDate(get, "validUntil"); bad != nil {
		return nil, "", bad
	}
	return in, ident.NormalizeUSCC(get("counterpartyUscc")), nil
}

func required(cols []Column, get func(string) string) *rowError {
	for _, c := range cols {
		if c.Required && get(c.Field) == "" {
			return &rowError{c.Field, "is required"}
		}
	}
	return nil
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func date(get func(string) string, field string) (t time.Time, bad *rowError) {
	d, err := ParseDate(get(field))
	if err != nil {
		return d, &rowError{field, err.Error()}
	}
	return d, nil
}

func optionalDate(get func(string) string, field string) (*time.Time, *rowError) {
	if get(field) == "" {
		return nil, nil
	}
	d, bad := date(get, field)
	if bad != nil {
		return nil, bad
	}
	return &d, nil
}
