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

// personalFact keeps a fact derived from an ID number out of the generated type, filters and
// orders: graph/access.graphql serves it through a resolver that shows it to the personal-data
// permission only.
var personalFact = entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipOrderField)

// registryPolicy is the privacy policy of the registry types: who sees them, who changes them.
func registryPolicy(read rule.Reader, write rule.Writer) ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRegistry(read)},
		Mutation: privacy.MutationPolicy{rule.Write(write)},
	}
}

// Division is a GB/T 2260 administrative division code of Jiangsu (行政区划), with the names it
// has had; entities and persons are filtered by city and county through it.
type Division struct{ ent.Schema }

// Fields of the Division.
func (Division) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().Immutable().MinLen(6).MaxLen(6).
			Comment("Six-digit GB/T 2260 code (行政区划代码).").
			Annotations(entgql.OrderField("CODE")),
		field.String("name").NotEmpty().Comment("Latest name (名称)."),
		field.Strings("former_names").Optional().Comment("Names the code carried before (曾用名), oldest first."),
		field.Int("named_since").Comment("Year the latest name was first listed."),
		field.Enum("level").Values("PROVINCE", "CITY", "COUNTY").
			Comment("Administrative level: PROVINCE 省, CITY 设区市 (or former prefecture 地区), COUNTY 县级."),
		field.String("city_code").Optional().MaxLen(6).
			Comment("Code of the prefecture-level city the division belongs to; empty for the province and for province-administered cities."),
	}
}

// Edges of the Division.
func (Division) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("entities", MarketEntity.Type).Comment("Entities registered by an authority of this division.").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of the Division.
func (Division) Indexes() []ent.Index {
	return []ent.Index{index.Fields("city_code")}
}

// Mixin of the Division: its API annotations and its policy — reference data for all.
func (Division) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.SystemOnly, annotations: listed("A GB/T 2260 administrative division code of Jiangsu (行政区划).")}}
}

// Department is a government department that supervises one sector at one level (省/市/县):
// it decides records, owns policies and issues tokens.
type Department struct{ ent.Schema }

// Fields of the Department.
func (Department) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(64).
			Comment("Stable code, e.g. market-320500 (sector-division).").
			Annotations(entgql.OrderField("CODE")),
		field.String("name").NotEmpty().Comment("Official name (部门名称).").
			Annotations(entgql.OrderField("NAME")),
		field.Enum("sector").GoType(vocab.Sector("")).Comment("Sector the department supervises.").
			Annotations(entgql.Type("Sector")),
		field.String("division_code").MinLen(6).MaxLen(6).Comment("GB/T 2260 code of the division it serves."),
		field.Enum("level").Values("PROVINCE", "CITY", "COUNTY").Comment("Administrative level."),
		field.String("uscc").Optional().MaxLen(18).Comment("The department's own unified social credit code."),
		field.Strings("inspectors").Optional().Comment("The department's pool of inspectors for random inspections (执法检查人员名录)."),
	}
}

// Edges of the Department.
func (Department) Edges() []ent.Edge {
	return append(recordEdges(), edge.To("inspection_plans", InspectionPlan.Type).
		Comment("Random inspection plans the department drew.").
		Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		edge.To("prior_notices", PriorNotice.Type).Comment("Prior notices the department served.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		edge.To("repair_applications", RepairApplication.Type).Comment("Repair applications of records the department determined.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		edge.To("objections", Objection.Type).Comment("Objections against records the department provided.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)))
}

// Indexes of the Department.
func (Department) Indexes() []ent.Index {
	return []ent.Index{index.Fields("sector", "division_code")}
}

// Mixin of the Department: its API annotations and its policy — reference data for all.
func (Department) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.DepartmentWriter, annotations: editable("A department supervising one sector at one administrative level (认定单位 / 监管部门).", entgql.MutationCreate(), entgql.MutationUpdate())}}
}

// recordEdges are the edges from a subject or department to every record type.
func recordEdges() []ent.Edge {
	edges := []ent.Edge{}
	for _, e := range []struct {
		name string
		typ  any
		doc  string
	}{
		{"penalties", AdministrativePenalty.Type, "Administrative penalties (行政处罚)."},
		{"licenses", AdministrativeLicense.Type, "Administrative licences (行政许可)."},
		{"list_entries", ListEntry.Type, "Entries on credit lists (名单)."},
		{"ratings", SectorRating.Type, "Sector credit ratings (行业信用评级)."},
		{"spot_checks", SpotCheck.Type, "Random spot-check results (双随机抽查结果)."},
		{"commitments", CreditCommitment.Type, "Credit commitments (信用承诺)."},
		{"red_list_entries", RedListEntry.Type, "Entries on red lists (守信红名单)."},
		{"score_events", CreditScoreEvent.Type, "Scored events of the environmental and EIA credit scores (记分事件)."},
	} {
		// No where-predicates across these edges: an EXISTS subquery is not filtered by the
		// records' privacy rules, so it would reveal records the caller cannot see (another
		// sector's ratings, a penalty out of publicity). Filter entities by their own derived
		// fields (riskTier, creditGrade) instead.
		skip := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)
		edges = append(edges, edge.To(e.name, e.typ).Comment(e.doc).Annotations(entgql.RelayConnection(), skip))
	}
	return edges
}

// MarketEntity is a market entity (市场主体) identified by its unified social credit code,
// modelled on the GB/T 36104 basic data elements.
type MarketEntity struct{ ent.Schema }

// Mixin of the MarketEntity.
func (MarketEntity) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the MarketEntity.
func (MarketEntity) Fields() []ent.Field {
	return []ent.Field{
		field.String("uscc").Unique().Immutable().NotEmpty().MaxLen(18).
			Comment("Unified social credit code (统一社会信用代码, GB 32100), validated with its check character.").
			Annotations(entgql.OrderField("USCC")),
		field.Enum("uscc_status").Values("OK", "CHECKSUM_EXCEPTION").Default("OK").
			Comment("OK, or CHECKSUM_EXCEPTION for an allow-listed early pilot code that fails the check character.").
			Annotations(noInput),
		field.String("registration_no").Optional().MaxLen(32).
			Comment("Legacy business registration number (工商注册号)."),
		field.String("org_code").MaxLen(9).
			Comment("Organisation code (组织机构代码), positions 9-17 of the USCC.").Annotations(noInput),
		field.String("name").NotEmpty().MaxLen(255).
			Comment("Registered name (名称).").
			Annotations(entgql.OrderField("NAME")),
		field.Enum("entity_kind").GoType(vocab.EntityKind("")).
			Comment("Kind of entity (机构类别), derived from USCC positions 1-2.").Annotations(noInput, entgql.Type("EntityKind")),
		field.String("division_code").MaxLen(6).
			Comment("GB/T 2260 code of the registering authority (登记管理机关行政区划码), USCC positions 3-8.").
			Annotations(noInput, entgql.OrderField("DIVISION_CODE")),
		field.String("city_code").Optional().MaxLen(6).
			Comment("Prefecture-level city of the registering authority, for Jiangsu entities.").Annotations(noInput),
		field.Int("division_id").Optional().
			Comment("The Jiangsu division of the registering authority; empty for entities registered elsewhere.").
			Annotations(noInput),
		field.Enum("status").Values("EXISTING", "OPERATING", "REVOKED", "CANCELLED", "MOVED_OUT").Default("EXISTING").
			Comment("Registration status (登记状态): EXISTING 存续, OPERATING 在业, REVOKED 吊销, CANCELLED 注销, MOVED_OUT 迁出.").
			Annotations(entgql.OrderField("STATUS")),
		field.Time("established_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("Date of establishment (成立日期).").Annotations(entgql.OrderField("ESTABLISHED_ON")),
		field.String("registered_address").Optional().MaxLen(512).Comment("Registered address (注册地址)."),
		field.Text("business_scope").Validate(boundedText).Optional().Comment("Business scope (经营范围)."),
		field.Other("registered_capital", decimal.Decimal{}).SchemaType(decimalType).Optional().Nillable().
			Comment("Registered capital in 10,000 CNY (注册资本, 万元).").
			Annotations(entgql.Type("Decimal"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("industry_code").Optional().MaxLen(5).
			Comment("Industry code (国民经济行业代码, GB/T 4754): a section letter and up to four digits."),
		field.Int("legal_representative_id").Optional().
			Comment("Current legal representative; maintained from LEGAL_REPRESENTATIVE roles.").Annotations(noInput),
		field.Enum("risk_tier").GoType(vocab.Tier("")).Optional().Nillable().
			Comment("Risk tier from the composite evaluation: A low risk, B general, C higher, D high (信用风险分类). Recomputed in the same transaction as every write that changes it.").
			Annotations(noInput, entgql.Type("RiskTier"), entgql.OrderField("RISK_TIER")),
		field.Int("credit_score").Optional().Nillable().
			Comment("Composite credit score, 0–1000.").
			Annotations(noInput, entgql.OrderField("CREDIT_SCORE")),
		field.Enum("credit_grade").GoType(vocab.Grade("")).Optional().Nillable().
			Comment("Composite grade: EXCELLENT 优, GOOD 良, MEDIUM 中, POOR 差.").
			Annotations(noInput, entgql.Type("CreditGrade")),
		field.JSON("evaluation", &vocab.Result{}).Optional().
			Comment("The composite evaluation with its explanation: components with weights, gates that fired, the rule set.").
			Annotations(noInput, entgql.Type("Evaluation"), entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)),
		field.Time("evaluated_at").Optional().Nillable().SchemaType(timeType).
			Comment("When the evaluation was last computed.").Annotations(noInput),
		field.Time("evaluation_due_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day an input of the evaluation lapses (a listing or publicity ends); the evaluation is recomputed then.").
			Annotations(noInput),
	}
}

// Edges of the MarketEntity.
func (MarketEntity) Edges() []ent.Edge {
	return append(recordEdges(),
		edge.From("division", Division.Type).Ref("entities").Field("division_id").Unique().
			Comment("Jiangsu division of the registering authority.").Annotations(noInput),
		edge.From("legal_representative", NaturalPerson.Type).Ref("represents").Field("legal_representative_id").Unique().
			Comment("Current legal representative (法定代表人); set by creating a LEGAL_REPRESENTATIVE role.").
			Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)), // persons are not for every caller
		edge.To("roles", EntityRole.Type).Comment("Persons in roles at this entity, past and present.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		edge.To("service_provider", ServiceProvider.Type).Unique().
			Comment("Its registration as a third-party service provider, if any.").Annotations(noInput),
		edge.To("measure_applications", MeasureApplication.Type).
			Comment("Joint-punishment measures applied to it, past and present.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	)
}

// Indexes of the MarketEntity.
func (MarketEntity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("division_code", "status"),
		index.Fields("city_code", "status"),
		// A supervisor's page of a tier in a city by score reads exactly its rows; the
		// per-tier counts of a city are ranges of its prefix (BENCHMARKS-EXPLAIN.md, a and d).
		index.Fields("city_code", "risk_tier", "credit_score"),
		index.Fields("risk_tier", "credit_score"),
		index.Fields("evaluation_due_on"),
		index.Fields("name"),
		index.Fields("registration_no"),
	}
}

// Policy of the MarketEntity.
func (MarketEntity) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterOwn(rule.Entities, "entity")},
		Mutation: privacy.MutationPolicy{rule.Write(rule.RegistryWriter)},
	}
}

// Annotations of the MarketEntity.
func (MarketEntity) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A market entity (市场主体): enterprise, individual business, cooperative or other organisation, keyed by its unified social credit code."),
	}
}

// NaturalPerson is a natural person in the credit graph: a legal representative, a
// responsible person, a practitioner, or the subject of a record.
type NaturalPerson struct{ ent.Schema }

// Mixin of the NaturalPerson.
func (NaturalPerson) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the NaturalPerson.
func (NaturalPerson) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("id_type").GoType(vocab.IDType("")).Default(string(vocab.IDResidentCard)).Immutable().
			Comment("Type of identity document (证件类型).").Annotations(entgql.Type("IDType")),
		field.String("id_number").NotEmpty().MaxLen(255).Immutable().Sensitive().
			Comment("Identity document number (证件号码); resident IDs are validated per GB 11643. Given in plain text on input, stored encrypted (AES-GCM); read it through idNumber(purpose:).").
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipOrderField)),
		field.String("id_number_hash").MaxLen(64).Immutable().Sensitive().
			Comment("Keyed hash of the ID number for exact-match lookup.").Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("id_number_masked").MaxLen(32).Immutable().
			Comment("The ID number masked: first and last four characters kept.").Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("name").NotEmpty().MaxLen(128).Comment("Name (姓名).").
			Annotations(entgql.OrderField("NAME")),
		// Derived from the ID number, so personal data like it: shown through graph/access.graphql
		// to the personal-data permission only, and never filterable (README, Access). Fixed
		// with the number it is read from.
		field.Enum("gender").GoType(vocab.Gender("")).Optional().Nillable().Immutable().
			Comment("Gender, derived from a resident identity number.").Annotations(noInput, entgql.Type("Gender"), personalFact),
		field.Time("birth_date").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Immutable().
			Comment("Birth date, derived from a resident identity number.").Annotations(noInput, personalFact),
		field.String("division_code").Optional().MaxLen(6).Immutable().
			Comment("Address code at issue, derived from a resident identity number.").Annotations(noInput, personalFact),
	}
}

// Edges of the NaturalPerson.
func (NaturalPerson) Edges() []ent.Edge {
	return append(recordEdges(),
		edge.To("represents", MarketEntity.Type).
			Comment("Entities of which the person is the current legal representative.").Annotations(noInput),
		edge.To("roles", EntityRole.Type).Comment("Roles the person holds or held at entities.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("practices", Practitioner.Type).Comment("Registrations as a practitioner of a service provider.").
			Annotations(noInput),
		edge.To("prior_notices", PriorNotice.Type).Comment("Prior notices served on the person before listing.").
			Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
		edge.To("measure_applications", MeasureApplication.Type).
			Comment("Joint-punishment measures applied to the person, past and present.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	)
}

// Indexes of the NaturalPerson.
func (NaturalPerson) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("id_type", "id_number_hash").Unique(),
		index.Fields("name"),
	}
}

// Policy of the NaturalPerson.
func (NaturalPerson) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterOwn(rule.RegistryOnly, "person")},
		Mutation: privacy.MutationPolicy{rule.Write(rule.RegistryWriter), rule.RegisterPerson()},
	}
}

// Annotations of the NaturalPerson.
func (NaturalPerson) Annotations() []schema.Annotation {
	return editable("A natural person (自然人): legal representative, responsible person, practitioner or record subject.", entgql.MutationCreate(), entgql.MutationUpdate())
}

// EntityRole binds a person to an entity in a role for a period; it is what lets a listing of an
// enterprise reach its responsible persons (domain.md §8).
type EntityRole struct{ ent.Schema }

// Mixin of the EntityRole.
func (EntityRole) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the EntityRole.
func (EntityRole) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("role").Values("LEGAL_REPRESENTATIVE", "PRINCIPAL", "DIRECTLY_RESPONSIBLE_MANAGER",
			"OTHER_DIRECT_RESPONSIBLE", "PRACTITIONER", "SHAREHOLDER").
			Comment("Role: LEGAL_REPRESENTATIVE 法定代表人, PRINCIPAL 主要负责人, DIRECTLY_RESPONSIBLE_MANAGER 直接负责的主管人员, OTHER_DIRECT_RESPONSIBLE 其他直接责任人员, PRACTITIONER 从业人员, SHAREHOLDER 股东."),
		field.Time("started_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("First day in the role."),
		field.Time("ended_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("Last day in the role; empty while it lasts."),
		field.Int("entity_id").Immutable().Comment("The entity."),
		field.Int("person_id").Immutable().Comment("The person."),
	}
}

// Edges of the EntityRole.
func (EntityRole) Edges() []ent.Edge {
	return []ent.Edge{
		owner("entity", MarketEntity.Type, "roles", "entity_id", "The entity."),
		owner("person", NaturalPerson.Type, "roles", "person_id", "The person in the role."),
	}
}

// Indexes of the EntityRole.
func (EntityRole) Indexes() []ent.Index {
	// role, ended_on: the roles that ended on given days (ledger.SyncRepresentatives).
	return []ent.Index{index.Fields("entity_id", "role"), index.Fields("person_id", "role"), index.Fields("role", "ended_on")}
}

// Policy of the EntityRole.
func (EntityRole) Policy() ent.Policy { return registryPolicy(rule.RegistryOnly, rule.RegistryWriter) }

// Annotations of the EntityRole.
func (EntityRole) Annotations() []schema.Annotation {
	return editable("A person's role at an entity for a period (任职).", entgql.MutationCreate(), entgql.MutationUpdate())
}

// ServiceProvider is a market entity registered as a third-party environmental service provider
// (第三方环保服务机构), scored under its own scheme (domain.md §3.5).
type ServiceProvider struct{ ent.Schema }

// Mixin of the ServiceProvider.
func (ServiceProvider) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the ServiceProvider.
func (ServiceProvider) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("EIA_REPORT_COMPILER", "ENV_MONITORING_AGENCY", "POLLUTION_CONTROL_OPERATOR", "OTHER").
			Comment("Kind: EIA_REPORT_COMPILER 环评编制单位, ENV_MONITORING_AGENCY 生态环境监测机构, POLLUTION_CONTROL_OPERATOR 污染治理设施运营单位, OTHER."),
		field.String("credit_file_no").Optional().MaxLen(64).
			Comment("Number of its integrity file on the national platform (诚信档案编号)."),
		field.Time("file_opened_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().
			Comment("When the integrity file was opened; starts the scoring cycle."),
		field.Int("entity_id").Unique().Immutable().Comment("The provider's market entity."),
	}
}

// Edges of the ServiceProvider.
func (ServiceProvider) Edges() []ent.Edge {
	return []ent.Edge{
		owner("entity", MarketEntity.Type, "service_provider", "entity_id", "The provider's market entity."),
		edge.To("practitioners", Practitioner.Type).Comment("Its registered practitioners.").
			// Providers are public, practitioners are not: no filtering providers by them.
			Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Policy of the ServiceProvider.
func (ServiceProvider) Policy() ent.Policy {
	return registryPolicy(rule.RegistryOrPublic, rule.RegistryWriter)
}

// Annotations of the ServiceProvider.
func (ServiceProvider) Annotations() []schema.Annotation {
	return editable("A third-party environmental service provider (第三方环保服务机构).", entgql.MutationCreate(), entgql.MutationUpdate())
}

// Practitioner is a person practising at a service provider, with qualifications.
type Practitioner struct{ ent.Schema }

// Mixin of the Practitioner.
func (Practitioner) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Practitioner.
func (Practitioner) Fields() []ent.Field {
	return []ent.Field{
		field.Strings("qualifications").Optional().
			Comment("Qualifications held, e.g. 环境影响评价工程师."),
		field.String("certificate_no").Optional().MaxLen(64).Comment("Professional certificate number (职业资格证书编号)."),
		field.Time("started_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("First day at the provider."),
		field.Time("ended_on").SchemaType(dateType).Annotations(dateGQL).Optional().Nillable().Comment("Last day at the provider; empty while it lasts."),
		field.Int("provider_id").Immutable().Comment("The provider."),
		field.Int("person_id").Immutable().Comment("The person."),
	}
}

// Edges of the Practitioner.
func (Practitioner) Edges() []ent.Edge {
	return []ent.Edge{
		owner("provider", ServiceProvider.Type, "practitioners", "provider_id", "The provider the practitioner works at."),
		owner("person", NaturalPerson.Type, "practices", "person_id", "The practitioner as a natural person."),
	}
}

// Indexes of the Practitioner.
func (Practitioner) Indexes() []ent.Index {
	return []ent.Index{index.Fields("provider_id", "person_id").Unique(), index.Fields("person_id")}
}

// Policy of the Practitioner.
func (Practitioner) Policy() ent.Policy {
	return registryPolicy(rule.RegistryOnly, rule.RegistryWriter)
}

// Annotations of the Practitioner.
func (Practitioner) Annotations() []schema.Annotation {
	return editable("A practitioner (从业人员) registered at a third-party service provider.", entgql.MutationCreate(), entgql.MutationUpdate())
}
