package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/vocab"
	"github.com/shopspring/decimal"
)

// personName marks a field that may hold a natural person's name: graph/records.graphql
// exposes it through a resolver that masks it for callers who may not read persons, and it
// cannot be filtered on, which would reveal names to them.
var personName = entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)

// recordPolicy is the privacy policy every record type shares.
func recordPolicy(t vocab.RecordType, lists bool) ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRecords(t)},
		Mutation: privacy.MutationPolicy{rule.WriteRecords(lists)},
	}
}

// recordAnnotations are the GraphQL annotations every record type shares.
func recordAnnotations(doc string) []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment(doc),
	}
}

// AdministrativePenalty is an administrative penalty decision (行政处罚) with the national
// publication field set (双公示, CF_* columns; domain.md §2.2).
type AdministrativePenalty struct{ ent.Schema }

// Mixin of the AdministrativePenalty.
func (AdministrativePenalty) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "penalties", SeverityRequired: true}}
}

// Fields of the AdministrativePenalty.
func (AdministrativePenalty) Fields() []ent.Field {
	return []ent.Field{
		field.String("counterparty_name").NotEmpty().MaxLen(255).Comment("行政相对人名称 (CF_XDR_MC).").
			Annotations(personName),
		field.Enum("counterparty_category").Values("LEGAL_PERSON", "NATURAL_PERSON", "INDIVIDUAL_BUSINESS").
			Comment("行政相对人类别 (CF_XDR_LB): LEGAL_PERSON 法人及非法人组织, NATURAL_PERSON 自然人, INDIVIDUAL_BUSINESS 个体工商户."),
		field.String("counterparty_uscc").Optional().MaxLen(18).
			Comment("统一社会信用代码 of the counterparty (CF_XDR_SHXYM); required for legal persons; 00000000000000000X for an individual business without one."),
		field.String("registration_no").Optional().MaxLen(32).
			Comment("工商注册号 (CF_XDR_GSZC); required when the USCC is the placeholder."),
		field.String("org_code").Optional().MaxLen(9).Comment("组织机构代码 (CF_XDR_ZZJG)."),
		field.String("tax_reg_no").Optional().MaxLen(32).Comment("税务登记号 (CF_XDR_SWDJ)."),
		field.String("public_institution_cert_no").Optional().MaxLen(32).Comment("事业单位证书号 (CF_XDR_SYDW)."),
		field.String("social_org_reg_no").Optional().MaxLen(32).Comment("社会组织登记证号 (CF_XDR_SHZZ)."),
		field.String("legal_rep_name").Optional().MaxLen(128).Comment("法定代表人 (CF_FRDB).").
			Annotations(personName),
		field.String("decision_no").NotEmpty().MaxLen(128).
			Comment("行政处罚决定书文号 (CF_WSH); unique per deciding department.").
			Annotations(entgql.OrderField("DECISION_NO")),
		field.String("violation_type").NotEmpty().MaxLen(255).Comment("违法行为类型 (CF_WFXW)."),
		field.Text("violation_facts").Validate(boundedText).NotEmpty().Comment("违法事实 (CF_SY)."),
		field.Text("legal_basis").Validate(boundedText).NotEmpty().Comment("处罚依据 (CF_YJ)."),
		field.JSON("penalty_categories", []vocab.PenaltyCategory{}).
			Comment("处罚类别 (CF_CFLB); one decision may impose several.").
			Annotations(entgql.Type("[PenaltyCategory!]"), entgql.Skip(entgql.SkipWhereInput)),
		field.Text("penalty_content").Validate(boundedText).NotEmpty().Comment("处罚内容 (CF_NR)."),
		field.Other("fine_amount", decimal.Decimal{}).SchemaType(decimalType).Optional().Nillable().
			Comment("罚款金额, 10,000 CNY (CF_NR_FK).").
			Annotations(entgql.Type("Decimal"), entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("aggravated_fine").Default(false).
			Comment("The fine was set by the aggravated principle of the discretion benchmark (依照行政处罚裁量基准按照从重处罚原则处以罚款): SAMR Order 44 art. 2 counts it a heavier penalty (较重行政处罚). Only with the FINE category."),
		field.Other("confiscated_amount", decimal.Decimal{}).SchemaType(decimalType).Optional().Nillable().
			Comment("没收违法所得、没收非法财物的金额, 10,000 CNY (CF_NR_WFFF).").
			Annotations(entgql.Type("Decimal"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("suspended_or_revoked_licence").Optional().MaxLen(255).
			Comment("暂扣或吊销证照名称及编号 (CF_NR_ZKDX)."),
		field.Enum("domain").Values("FOOD_DRUG", "SPECIAL_EQUIPMENT", "ECOLOGY_ENVIRONMENT", "CONSTRUCTION_QUALITY", "WORK_SAFETY",
			"FIRE_SAFETY", "COMPULSORY_CERTIFICATION", "OTHER").Optional().Nillable().
			Comment("Field of the conduct (行业领域), where the publicity rules differ by it: FOOD_DRUG 食品药品, SPECIAL_EQUIPMENT 特种设备, ECOLOGY_ENVIRONMENT 生态环境, CONSTRUCTION_QUALITY 工程质量, WORK_SAFETY 安全生产, FIRE_SAFETY 消防安全, COMPULSORY_CERTIFICATION 强制性产品认证, OTHER 其他."),
		field.Enum("procedure").Values("SUMMARY", "ORDINARY").Default("ORDINARY").
			Comment("Procedure: SUMMARY 简易程序, ORDINARY 普通程序."),
		field.Time("decision_date").SchemaType(dateType).Annotations(dateGQL).Comment("处罚决定日期 (CF_JDRQ).").
			Annotations(entgql.OrderField("DECISION_DATE")),
		field.Time("valid_until").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("处罚有效期 (CF_YXQ)."),
		field.Time("published_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Day the penalty was first published (公示日期), on or after its decision date: a rule counting from publication (SAMR Order 45 art. 13, 自公示之日起) counts from it; empty for the decision date."),
		field.Time("publish_by").SchemaType(dateType).Annotations(dateGQL, noInput).Optional().Nillable().
			Comment("Last day to publish the penalty, where its publicity rule counts from publication: the decision date plus the PENALTY/PUBLISH time limit in working days in force that day (SAMR Order 45 art. 9: 20; the 10 + 10 across provinces is not modelled). A publishedOn after it, or none after it has passed, was late."),
		field.Time("publicity_start").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Start of publicity: the decision date, or the day published (publishedOn) under a rule counting from publication.").Annotations(noInput),
		field.Time("publicity_min_end").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Earliest day repair may end publicity (最短公示期满): the decision date plus the rule's minimum months, counted as 民法典 art. 202 counts (no corresponding day: the month's last day).").Annotations(noInput),
		field.Time("publicity_deadline").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("公示截止期 (CF_GSJZQ): last day of publicity (inclusive), the decision date plus the maximum months of the publicity rule in force at the decision date, counted as 民法典 art. 202 counts (no corresponding day: the month's last day).").Annotations(noInput),
		field.Bool("repairable").Default(true).
			Comment("Whether credit repair can end publicity early, from the publicity rule.").Annotations(noInput),
		field.String("publicity_rule_set").Optional().MaxLen(64).
			Comment("Rule set the publicity window was computed with.").Annotations(noInput),
		field.Time("publicity_stopped_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Day publicity stopped early (repair, withdrawal).").Annotations(noInput),
		field.Enum("withdrawal_reason").Values("REVOKED", "CONFIRMED_ILLEGAL", "CONFIRMED_VOID").Optional().Nillable().
			Comment("Why the deciding department withdrew the penalty from publication (withdrawAdministrativePenalty): its decision was REVOKED 被依法撤销, CONFIRMED_ILLEGAL 被确认违法 or CONFIRMED_VOID 被确认无效 (SAMR Order 45 art. 11). Empty for any other end.").
			Annotations(noInput),
		field.String("withdrawal_basis").Optional().MaxLen(255).
			Comment("The document that revoked the decision or confirmed it illegal or void (复议决定书、判决书或撤销决定文号).").Annotations(noInput),
		field.Time("withdrawal_effective_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Day that document took effect: the time limit to withdraw counts from it.").Annotations(noInput),
		field.Time("withdraw_by").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Last day the withdrawal was due: withdrawalEffectiveOn plus the time limit in working days in force that day (3, Order 45 art. 11); a withdrawal after it was late.").Annotations(noInput),
		field.String("authority_name").NotEmpty().MaxLen(255).Comment("处罚机关 (CF_CFJG)."),
		field.String("authority_uscc").NotEmpty().MaxLen(18).Comment("处罚机关统一社会信用代码 (CF_CFJGDM)."),
		field.String("data_source_unit").NotEmpty().MaxLen(255).Comment("数据来源单位 (CF_SJLY)."),
		field.String("data_source_unit_uscc").NotEmpty().MaxLen(18).Comment("数据来源单位统一社会信用代码 (CF_SJLYDM)."),
		field.Text("remark").Validate(boundedText).Optional().Comment("备注 (BZ)."),
	}
}

// Edges of the AdministrativePenalty.
func (AdministrativePenalty) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("repair_applications", RepairApplication.Type).
			Comment("Credit repair applications for it.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
		edge.To("objections", Objection.Type).
			Comment("Objections against it.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the AdministrativePenalty.
func (AdministrativePenalty) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("department_id", "decision_no").Unique(),
		index.Fields("decision_date"),
		index.Fields("counterparty_uscc"),
		index.Fields("publicity_deadline"),
	}
}

// Policy of the AdministrativePenalty: readable per sector (public rows to public readers), writable by the
// deciding department's sector.
func (AdministrativePenalty) Policy() ent.Policy { return recordPolicy(vocab.RecordPenalty, false) }

// Annotations of the AdministrativePenalty.
func (AdministrativePenalty) Annotations() []schema.Annotation {
	return recordAnnotations("An administrative penalty decision (行政处罚) with the national publication field set (双公示).")
}

// AdministrativeLicense is an administrative licence decision (行政许可, XK_* columns).
type AdministrativeLicense struct{ ent.Schema }

// Mixin of the AdministrativeLicense.
func (AdministrativeLicense) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "licenses"}}
}

// Fields of the AdministrativeLicense.
func (AdministrativeLicense) Fields() []ent.Field {
	return []ent.Field{
		field.String("decision_doc_name").NotEmpty().MaxLen(255).Comment("行政许可决定文书名称 (XK_XKWS)."),
		field.String("decision_no").NotEmpty().MaxLen(128).Comment("行政许可决定文书号 (XK_WSH).").
			Annotations(entgql.OrderField("DECISION_NO")),
		field.Enum("license_category").Values("ORDINARY", "FRANCHISE", "RECOGNITION", "APPROVAL", "REGISTRATION", "OTHER").
			Comment("许可类别 (XK_XKLB): ORDINARY 普通, FRANCHISE 特许, RECOGNITION 认可, APPROVAL 核准, REGISTRATION 登记, OTHER 其他."),
		field.String("certificate_name").Optional().MaxLen(255).Comment("许可证书名称 (XK_XKZS)."),
		field.String("license_no").Optional().MaxLen(128).Comment("许可编号 (XK_XKBH)."),
		field.Text("content").Validate(boundedText).NotEmpty().Comment("许可内容 (XK_NR)."),
		field.Time("decision_date").SchemaType(dateType).Annotations(dateGQL).Comment("许可决定日期 (XK_JDRQ).").Annotations(entgql.OrderField("DECISION_DATE")),
		field.Time("valid_from").SchemaType(dateType).Annotations(dateGQL).Comment("有效期自 (XK_YXQZ)."),
		field.Time("valid_to").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("有效期至 (XK_YXQZI); empty when indefinite."),
		field.Enum("state").Values("VALID", "SUSPENDED", "REVOKED", "CANCELLED", "EXPIRED").Default("VALID").
			Comment("当前状态: VALID 有效, SUSPENDED 暂扣, REVOKED 撤销/吊销, CANCELLED 注销, EXPIRED 过期."),
		field.String("authority_name").NotEmpty().MaxLen(255).Comment("许可机关 (XK_XKJG)."),
		field.String("authority_uscc").NotEmpty().MaxLen(18).Comment("许可机关统一社会信用代码 (XK_XKJGDM)."),
	}
}

// Indexes of the AdministrativeLicense.
func (AdministrativeLicense) Indexes() []ent.Index {
	return []ent.Index{index.Fields("department_id", "decision_no").Unique(), index.Fields("decision_date")}
}

// Policy of the AdministrativeLicense: readable per sector (public rows to public readers), writable by the
// deciding department's sector.
func (AdministrativeLicense) Policy() ent.Policy { return recordPolicy(vocab.RecordLicence, false) }

// Annotations of the AdministrativeLicense.
func (AdministrativeLicense) Annotations() []schema.Annotation {
	return recordAnnotations("An administrative licence decision (行政许可).")
}

// ListEntry puts an entity or a person on a credit list (名单), from the abnormal-operations
// directory to the wage-arrears blacklist (domain.md §2.2).
type ListEntry struct{ ent.Schema }

// Mixin of the ListEntry.
func (ListEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "list_entries", SeverityRequired: true}}
}

// Fields of the ListEntry.
func (ListEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("list_type").Values(
			"MS_ABNORMAL_OPERATION", "MS_SERIOUS_ILLEGAL_DISHONEST",
			"HR_WAGE_ARREARS", "HR_SOCIAL_INSURANCE_SERIOUS", "HR_MAJOR_VIOLATION_PUBLICATION",
			"EE_EIA_RECTIFICATION", "EE_EIA_BLACKLIST",
			"TR_SERIOUS_DISHONEST", "TR_KEY_SUPERVISION",
			"COURT_DISHONEST_JUDGMENT_DEBTOR", "COMMITMENT_BREACH").
			Comment("List: MS_ABNORMAL_OPERATION 经营异常名录, MS_SERIOUS_ILLEGAL_DISHONEST 严重违法失信名单, HR_WAGE_ARREARS 拖欠农民工工资失信联合惩戒对象名单, HR_SOCIAL_INSURANCE_SERIOUS 社会保险领域严重失信人名单, HR_MAJOR_VIOLATION_PUBLICATION 重大劳动保障违法行为社会公布, EE_EIA_RECTIFICATION 环评限期整改名单, EE_EIA_BLACKLIST 环评失信黑名单, TR_SERIOUS_DISHONEST 交通运输严重失信名单, TR_KEY_SUPERVISION 交通运输重点关注名单, COURT_DISHONEST_JUDGMENT_DEBTOR 失信被执行人, COMMITMENT_BREACH 违背信用承诺记录."),
		field.Time("listed_on").SchemaType(dateType).Annotations(dateGQL).Comment("Date listed (列入日期).").Annotations(entgql.OrderField("LISTED_ON")),
		field.Text("reason").Validate(boundedText).NotEmpty().Comment("Reason for listing (列入事由)."),
		field.Text("basis").Validate(boundedText).NotEmpty().Comment("Legal basis (列入依据)."),
		field.String("decision_no").NotEmpty().MaxLen(128).Comment("Listing decision number (列入决定书文号)."),
		field.Time("planned_end_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("Planned end of the listing (届满日期), its last day (inclusive): at most the listing date plus the list rule's maximum months (民法典 art. 202 month counting), which is the default."),
		field.Time("removed_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("Date removed (移出日期)."),
		field.Time("measures_end_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Last day its measures (joint punishment, the evaluation's gates) apply, when shorter than its publicity: an EIA rectification listing restricts for 6 months but is public for 5 years (domain.md §3.5)."),
		field.Time("order_deadline").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Deadline of the order to comply that came before the listing (责令限期改正/支付的期限), where the list's rule requires one (orderFirst: the wage-arrears list, 人社部令第45号 art. 5): the listing date is after it."),
		field.Time("obligations_met_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Day the subject met the obligations behind the listing — for the wage-arrears list, the day the arrears were paid; a list whose rule counts the minimum from it allows no early removal before."),
		field.Time("publicity_min_end").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Earliest day early removal (repair) may be applied for, from the list's publicity rule: the listing date, or the day obligations were met where the rule says so, plus the rule's minimum months.").Annotations(noInput),
		field.Bool("repairable").Default(true).
			Comment("Whether the listing may end early through credit repair, from the list's publicity rule.").Annotations(noInput),
		field.Enum("removal_reason").Values("EXPIRED", "EARLY_REPAIR", "DECISION_REVOKED", "CORRECTED").Optional().Nillable().
			Comment("Why it was removed: EXPIRED 期满, EARLY_REPAIR 提前修复, DECISION_REVOKED 决定撤销, CORRECTED 更正."),
	}
}

// Edges of the ListEntry.
func (ListEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("repair_applications", RepairApplication.Type).
			Comment("Credit repair applications for it.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
		edge.To("objections", Objection.Type).
			Comment("Objections against it.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
		edge.To("measure_applications", MeasureApplication.Type).
			Comment("Joint-punishment measures it triggered, with their dates.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the ListEntry.
func (ListEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("list_type", "listed_on"), index.Fields("department_id", "decision_no")}
}

// Policy of the ListEntry: readable per sector (public rows to public readers), writable by the
// deciding department's sector.
func (ListEntry) Policy() ent.Policy { return recordPolicy(vocab.RecordListEntry, true) }

// Annotations of the ListEntry.
func (ListEntry) Annotations() []schema.Annotation {
	return recordAnnotations("An entry on a credit list (名单) for an entity or a person.")
}

// RedListEntry puts an entity on a red list (守信红名单): a recognition of trustworthiness by its
// source — an A-grade taxpayer, a labour-security A grade, an environmental GREEN rating, a
// SAMR honour — that earns the joint incentives of the catalogue (IncentiveMeasure). It is a
// record like the others: recorded by a department of its sector, public while in force.
type RedListEntry struct{ ent.Schema }

// Mixin of the RedListEntry.
func (RedListEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "red_list_entries"}}
}

// Fields of the RedListEntry.
func (RedListEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("list_type").Values("TAX_A_GRADE", "LABOUR_A_GRADE", "ENV_GREEN", "SAMR_CONTRACT_HONOUR", "TRANSPORT_AA_GRADE").
			Comment("Red list: TAX_A_GRADE A级纳税人 (credit office, from the tax authority), LABOUR_A_GRADE 劳动保障守法诚信A级 (labour), ENV_GREEN 环保信用绿色等级 (environment), SAMR_CONTRACT_HONOUR 守合同重信用企业 (market), TRANSPORT_AA_GRADE 交通运输信用AA级 (transport)."),
		field.String("source").NotEmpty().MaxLen(255).
			Comment("Who recognised it (认定机关): the tax authority, the sector's department, the SAMR honour's publisher."),
		field.String("decision_no").NotEmpty().MaxLen(128).Comment("Recognition document number (认定文号)."),
		field.Time("recognised_on").SchemaType(dateType).Annotations(dateGQL, entgql.OrderField("RECOGNISED_ON")).
			Comment("Day recognised (认定日期)."),
		field.Time("valid_until").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Last day the recognition holds (有效期至), e.g. the end of the tax year after the A grade; empty until withdrawn."),
		field.Time("removed_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Day withdrawn (撤销日期), e.g. after dishonest conduct."),
		field.Text("basis").Validate(boundedText).NotEmpty().Comment("Basis of the recognition (认定依据)."),
	}
}

// Indexes of the RedListEntry.
func (RedListEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("list_type", "recognised_on")}
}

// Policy of the RedListEntry: readable per sector (public rows to public readers), writable by
// the recognising department's sector and by the list managers (the credit office).
func (RedListEntry) Policy() ent.Policy { return recordPolicy(vocab.RecordRedList, true) }

// Annotations of the RedListEntry.
func (RedListEntry) Annotations() []schema.Annotation {
	return recordAnnotations("An entry on a red list (守信红名单): a recognition of trustworthiness that earns joint incentives.")
}

// SectorRating is a sector's credit grade for an entity over a period (domain.md §3).
type SectorRating struct{ ent.Schema }

// Mixin of the SectorRating.
func (SectorRating) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "ratings"}}
}

// Fields of the SectorRating.
func (SectorRating) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("scheme").Values("ENV_CREDIT_JS", "LABOUR_INTEGRITY", "TRANSPORT_OPERATOR_JS",
			"TRANSPORT_CONSTRUCTION", "MARKET_RISK_CLASS", "EIA_PROVIDER_POINTS").
			Comment("Rating scheme: ENV_CREDIT_JS 江苏企事业环保信用 (GREEN/BLUE/YELLOW/RED/BLACK), LABOUR_INTEGRITY 劳动保障守法诚信等级 (A/B/C), TRANSPORT_OPERATOR_JS 道路水路运输经营者 (AA/A/B/C/D), TRANSPORT_CONSTRUCTION 公路施工企业 (AA/A/B/C/D), MARKET_RISK_CLASS 企业信用风险分类 (A/B/C/D), EIA_PROVIDER_POINTS 环评失信记分 (NORMAL/WARNING/RESTRICTED)."),
		field.String("grade").NotEmpty().MaxLen(16).Comment("Grade on the scheme's scale.").
			Annotations(entgql.OrderField("GRADE")),
		field.Float("score").Optional().Nillable().Comment("Score behind the grade, where the scheme has one; for transport schemes the grade is computed from it."),
		field.Int("points").Optional().Nillable().NonNegative().
			Comment("Bad-behaviour points behind a transport operator's grade (失信记分), counted with the score."),
		field.String("period").NotEmpty().MaxLen(16).Comment("Period rated: 2025, 2025H2, 2025-10, or ROLLING."),
		field.Time("valid_from").SchemaType(dateType).Annotations(dateGQL).Comment("First day the grade applies.").Annotations(entgql.OrderField("VALID_FROM")),
		field.Time("valid_until").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("Last day the grade applies; empty until replaced."),
	}
}

// Edges of the SectorRating.
func (SectorRating) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("objections", Objection.Type).
			Comment("Objections against it.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the SectorRating.
func (SectorRating) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scheme", "grade"), index.Fields("entity_id", "scheme", "valid_from")}
}

// Policy of the SectorRating: readable per sector (public rows to public readers), writable by the
// deciding department's sector.
func (SectorRating) Policy() ent.Policy { return recordPolicy(vocab.RecordRating, false) }

// Annotations of the SectorRating.
func (SectorRating) Annotations() []schema.Annotation {
	return recordAnnotations("A sector credit rating (行业信用评级) of an entity for a period.")
}

// SpotCheck is the result of a random inspection (双随机、一公开).
type SpotCheck struct{ ent.Schema }

// Mixin of the SpotCheck.
func (SpotCheck) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "spot_checks"}}
}

// Fields of the SpotCheck.
func (SpotCheck) Fields() []ent.Field {
	return []ent.Field{
		field.String("task_id").NotEmpty().MaxLen(64).Comment("Inspection task number (抽查任务编号)."),
		field.Text("check_items").Validate(boundedText).NotEmpty().Comment("Items checked (检查事项)."),
		field.Time("inspected_on").SchemaType(dateType).Annotations(dateGQL).Comment("Date of inspection (检查日期).").Annotations(entgql.OrderField("INSPECTED_ON")),
		field.Enum("result").Values("NO_PROBLEM", "PROBLEM_CORRECTED", "PROBLEM_FOUND", "NO_RELEVANT_ACTIVITY", "UNREACHABLE").
			Comment("Result: NO_PROBLEM 未发现问题, PROBLEM_CORRECTED 发现问题已责令改正, PROBLEM_FOUND 发现问题待处理, NO_RELEVANT_ACTIVITY 未发现开展本次抽查涉及的经营活动, UNREACHABLE 通过登记的住所无法联系."),
		field.Enum("risk_class_at_selection").Values("A", "B", "C", "D").Optional().Nillable().
			Comment("Risk class of the entity when it was drawn."),
	}
}

// Indexes of the SpotCheck.
func (SpotCheck) Indexes() []ent.Index {
	return []ent.Index{index.Fields("task_id"), index.Fields("inspected_on")}
}

// Policy of the SpotCheck: readable per sector (public rows to public readers), writable by the
// deciding department's sector.
func (SpotCheck) Policy() ent.Policy { return recordPolicy(vocab.RecordSpotCheck, false) }

// Annotations of the SpotCheck.
func (SpotCheck) Annotations() []schema.Annotation {
	return recordAnnotations("A random spot-check result (双随机、一公开抽查结果).")
}

// CreditCommitment is a written credit commitment (信用承诺) and whether it was kept.
type CreditCommitment struct{ ent.Schema }

// Mixin of the CreditCommitment.
func (CreditCommitment) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "commitments"}}
}

// Fields of the CreditCommitment.
func (CreditCommitment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("APPLICATION_NOTIFY_COMMIT", "REPAIR", "VOLUNTARY", "INDUSTRY_SELF_DISCIPLINE").
			Comment("Kind: APPLICATION_NOTIFY_COMMIT 审批告知承诺, REPAIR 修复承诺, VOLUNTARY 主动型承诺, INDUSTRY_SELF_DISCIPLINE 行业自律承诺."),
		field.Text("text").Validate(boundedText).NotEmpty().Comment("Text of the commitment (承诺内容)."),
		field.Time("signed_on").SchemaType(dateType).Annotations(dateGQL).Comment("Date signed (承诺日期).").Annotations(entgql.OrderField("SIGNED_ON")),
		field.String("related_matter").NotEmpty().MaxLen(255).Comment("The matter it relates to (承诺事项)."),
		field.Enum("fulfilment").Values("PENDING", "FULFILLED", "BREACHED").Default("PENDING").
			Comment("Fulfilment (履约情况): PENDING 履约中, FULFILLED 已履约, BREACHED 失信."),
		field.Time("publicity_deadline").SchemaType(dateType).Annotations(dateGQL, noInput).Optional().Nillable().
			Comment("Last day the commitment and its keeping are public (信用承诺公示截止期), from the publicity rule of its kind in force on the day signed; empty when no rule publishes it."),
		field.String("publicity_rule_set").Optional().MaxLen(64).Annotations(noInput).
			Comment("Rule set of that publicity rule."),
	}
}

// Edges of the CreditCommitment.
func (CreditCommitment) Edges() []ent.Edge {
	return []ent.Edge{edge.To("repair_applications", RepairApplication.Type).
		Comment("Credit repair applications for it.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput))}
}

// Policy of the CreditCommitment: readable per sector (public rows to public readers), writable by the
// deciding department's sector; a subject or person token signs its own (rule.SignOwnCommitment).
func (CreditCommitment) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRecords(vocab.RecordCommitment)},
		Mutation: privacy.MutationPolicy{rule.SignOwnCommitment(), rule.WriteRecords(false)},
	}
}

// Annotations of the CreditCommitment.
func (CreditCommitment) Annotations() []schema.Annotation {
	return recordAnnotations("A credit commitment (信用承诺) and its fulfilment.")
}

// CreditScoreEvent is one scored event of a points-based scheme: a deduction or bonus of the
// Jiangsu environmental credit score of an entity (domain.md §3.1), or EIA integrity points of
// a third-party provider or practitioner (§3.5). Recording one recomputes the subject's score,
// its rating and, at the thresholds, its listings, in the same transaction.
type CreditScoreEvent struct{ ent.Schema }

// Mixin of the CreditScoreEvent.
func (CreditScoreEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, RecordMixin{Ref: "score_events"}}
}

// Fields of the CreditScoreEvent.
func (CreditScoreEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("scheme").Values("ENV_CREDIT_JS", "EIA_POINTS").
			Comment("Scheme: ENV_CREDIT_JS 江苏企事业环保信用 12-point score; EIA_POINTS 环评失信记分."),
		field.Int("points").Range(-12, 20).
			Comment("Points: for ENV_CREDIT_JS a deduction (negative, -1 to -12) or bonus (+1, +2); for EIA_POINTS the points scored (positive)."),
		field.String("category").NotEmpty().MaxLen(64).Comment("What was scored, e.g. 超标排放, 领跑者, 环评文件质量问题; BAN for an EIA compiling ban."),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL, entgql.OrderField("EFFECTIVE_FROM")).
			Comment("Day the event takes effect."),
		field.Time("expires_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("First day the event no longer counts (e.g. 扣3分有效期半年); for a BAN, its end."),
	}
}

// Policy of the CreditScoreEvent: like any record of its department's sector.
func (CreditScoreEvent) Policy() ent.Policy { return recordPolicy(vocab.RecordScoreEvent, false) }

// Annotations of the CreditScoreEvent.
func (CreditScoreEvent) Annotations() []schema.Annotation {
	return recordAnnotations("A scored event (记分事件) of the environmental credit score or of EIA integrity points.")
}

// GovernmentIntegrityRecord is a dishonesty record of a government body or official in
// environmental governance (政务失信记录, domain.md §0): e.g. failing to perform a contract with
// an enterprise or an unfulfilled commitment. Visible to the credit office and auditors only.
type GovernmentIntegrityRecord struct{ ent.Schema }

// Mixin of the GovernmentIntegrityRecord.
func (GovernmentIntegrityRecord) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the GovernmentIntegrityRecord.
func (GovernmentIntegrityRecord) Fields() []ent.Field {
	return []ent.Field{
		field.String("body_name").NotEmpty().MaxLen(255).Comment("Government body concerned (失信政府机构)."),
		field.String("body_uscc").NotEmpty().MaxLen(18).Comment("Its unified social credit code."),
		field.String("official_name").Optional().MaxLen(128).Comment("Official responsible, where one is named (责任人)."),
		field.Text("description").Validate(boundedText).NotEmpty().Comment("What happened (失信行为)."),
		field.Text("basis").Validate(boundedText).NotEmpty().Comment("Basis of the finding (认定依据)."),
		field.Time("recorded_on").SchemaType(dateType).Annotations(dateGQL, entgql.OrderField("RECORDED_ON")).Comment("Day recorded (认定日期)."),
		field.String("source_system").NotEmpty().MaxLen(64).Comment("System that sent the record."),
		field.String("source_record_id").NotEmpty().MaxLen(128).Immutable().Comment("Its id in the source system."),
	}
}

// Indexes of the GovernmentIntegrityRecord.
func (GovernmentIntegrityRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("source_system", "source_record_id").Unique(), index.Fields("body_uscc")}
}

// Policy of the GovernmentIntegrityRecord: the credit office and auditors read; the credit
// office records.
func (GovernmentIntegrityRecord) Policy() ent.Policy {
	return registryPolicy(rule.CreditOfficeOrAuditor, rule.PolicyWriter)
}

// Annotations of the GovernmentIntegrityRecord.
func (GovernmentIntegrityRecord) Annotations() []schema.Annotation {
	return editable("A government integrity record (政务失信记录) in environmental governance; visible to the credit office and auditors.", entgql.MutationCreate())
}
