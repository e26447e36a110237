package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/vocab"
)

// EvaluationRuleSet is one version of the composite-evaluation method, in force between its
// dates: weights, scales, bands and gates are data (sectors/vocab.RuleSet).
type EvaluationRuleSet struct{ ent.Schema }

// Fields of the EvaluationRuleSet.
func (EvaluationRuleSet) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().NotEmpty().MaxLen(64).Comment("Version name, e.g. JS-COMPOSITE-2026-v1."),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL).Comment("First day it is in force."),
		field.Time("effective_to").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day it is no longer in force; empty while in force."),
		field.JSON("rules", vocab.RuleSet{}).Comment("Weights, scales, bands and gates.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		storedAt(),
	}
}

// Mixin of the EvaluationRuleSet: its API annotations and its policy — readable by all, changed by the policy managers.
func (EvaluationRuleSet) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.PolicyWriter, annotations: listed("A version of the composite-evaluation method (公共信用综合评价规则) with its effective dates.")}}
}

// JointPunishmentMeasure is an entry of the joint-punishment catalogue (联合惩戒措施, domain.md §8):
// which lists it follows, which persons it reaches, for which purposes it restricts, and from
// when to when — the catalogue changes by law (the national 基础清单 replaces what came before;
// a repealed order's ban ends), so a measure applies only on the days it is in force.
type JointPunishmentMeasure struct{ ent.Schema }

// Fields of the JointPunishmentMeasure.
func (JointPunishmentMeasure) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(64).Comment("Catalogue code."),
		field.String("name").NotEmpty().MaxLen(255).Comment("What the measure restricts (措施内容)."),
		field.String("implementing_department").NotEmpty().MaxLen(255).Comment("Who implements it (实施单位)."),
		field.Text("legal_basis").Validate(boundedText).NotEmpty().Comment("Legal basis (设定依据)."),
		// Closed sets stored as JSON lists; the API types them (resolvers convert).
		field.Strings("list_types").Comment("List types whose active entries trigger it.").
			Annotations(entgql.Type("[ListEntryListType!]")),
		field.Strings("extends_to_roles").Optional().
			Comment("Roles at a listed entity the measure reaches (e.g. LEGAL_REPRESENTATIVE, PRINCIPAL).").
			Annotations(entgql.Type("[EntityRoleRole!]")),
		field.Strings("purposes").Comment("Purposes it restricts.").
			Annotations(entgql.Type("[Purpose!]")),
		field.Strings("subject_kinds").Optional().
			Comment("Kinds of subject it applies to; empty for both. An office-holding ban is for persons only.").
			Annotations(entgql.Type("[SubjectKind!]")),
		field.Time("effective_from").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day it applies; empty when it applied before any listing it follows."),
		field.Time("effective_to").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day it no longer applies (repealed or replaced); empty while in force."),
	}
}

// Edges of the JointPunishmentMeasure.
func (JointPunishmentMeasure) Edges() []ent.Edge {
	return []ent.Edge{edge.To("applications", MeasureApplication.Type).Comment("Where it applied.").
		Annotations(entgql.Skip(entgql.SkipAll))}
}

// IncentiveMeasure is an entry of the joint-incentive catalogue (守信联合激励措施): which red lists
// earn it, for which purposes, from when to when. It is dated data like the punishment
// catalogue; an incentive never lifts a restriction (sectors/incentives).
type IncentiveMeasure struct{ ent.Schema }

// Fields of the IncentiveMeasure.
func (IncentiveMeasure) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(64).Comment("Catalogue code."),
		field.String("name").NotEmpty().MaxLen(255).Comment("What the incentive grants (激励措施)."),
		field.String("implementing_department").NotEmpty().MaxLen(255).Comment("Who grants it (实施单位)."),
		field.Text("legal_basis").Validate(boundedText).NotEmpty().Comment("Legal basis (设定依据)."),
		field.Strings("red_list_types").Comment("Red lists whose entries in force earn it.").
			Annotations(entgql.Type("[RedListEntryListType!]")),
		field.Strings("purposes").Comment("Purposes it serves.").Annotations(entgql.Type("[Purpose!]")),
		field.Float("inspection_factor").Optional().Nillable().Range(0.01, 1).
			Comment("For INSPECTION incentives: the share of the tier's sampling ratio an entity earning it is drawn at (0.5 halves its random inspections)."),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL).Comment("First day it applies."),
		field.Time("effective_to").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day it no longer applies; empty while in force."),
	}
}

// Policy of the IncentiveMeasure: a published catalogue; the credit office manages it.
func (IncentiveMeasure) Policy() ent.Policy {
	return registryPolicy(rule.Everyone, rule.ListWriter)
}

// Annotations of the IncentiveMeasure.
func (IncentiveMeasure) Annotations() []schema.Annotation {
	return listed("A joint-incentive measure (守信联合激励措施) of the published catalogue, with its effective dates.")
}

// Policy of the JointPunishmentMeasure: a published catalogue; the credit office manages it.
func (JointPunishmentMeasure) Policy() ent.Policy {
	return registryPolicy(rule.Everyone, rule.ListWriter)
}

// Annotations of the JointPunishmentMeasure.
func (JointPunishmentMeasure) Annotations() []schema.Annotation {
	return listed("A joint-punishment measure (联合惩戒措施) of the published catalogue.")
}

// InspectionPlan is a stored random-inspection draw (双随机抽查计划): reproducible from its
// inputs and seed; results come back as spot checks with its code as task ID.
type InspectionPlan struct{ ent.Schema }

// Fields of the InspectionPlan.
func (InspectionPlan) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(64).Comment("Plan code, used as the spot checks' task ID."),
		field.String("division_code").MaxLen(6).Comment("Division whose entities were drawn (a city or county code)."),
		field.Int64("seed").Comment("Random seed; the same inputs and seed draw the same plan."),
		field.JSON("ratios", map[vocab.Tier]float64{}).Comment("Share drawn per risk tier.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("candidates").Comment("Entities it was drawn from."),
		field.JSON("assignments", []vocab.Assignment{}).Comment("Drawn entities with their tier and inspector.").
			Annotations(entgql.Type("[InspectionAssignment!]"), entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)),
		field.Time("drawn_at").Default(time.Now).Immutable().SchemaType(timeType).Comment("When it was drawn."),
		field.Int("department_id").Immutable().Comment("Department that drew it."),
	}
}

// Edges of the InspectionPlan.
func (InspectionPlan) Edges() []ent.Edge {
	return []ent.Edge{
		owner("department", Department.Type, "inspection_plans", "department_id", "Department that drew it."),
	}
}

// Policy of the InspectionPlan: departments read plans; a department's writers draw them.
func (InspectionPlan) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRegistry(rule.RegistryOnly)},
		Mutation: privacy.MutationPolicy{rule.WriteRecords(false)},
	}
}

// Annotations of the InspectionPlan.
func (InspectionPlan) Annotations() []schema.Annotation {
	return listed("A random inspection plan (双随机抽查计划).")
}

// MeasureApplication is one joint-punishment measure applied to one subject through one
// listing (domain.md §8: MeasureApplication), kept as history so that a past restriction can be
// audited: from the day it applied, to the listing's planned end (or the end of its measures),
// lifted early with the day and the reason. The restrictions query answers from the same rules;
// the write engine keeps these rows in step with every change of a listing, a role or a prior
// notice (sectors/jointpunishment.Sync).
type MeasureApplication struct{ ent.Schema }

// Fields of the MeasureApplication.
func (MeasureApplication) Fields() []ent.Field {
	return []ent.Field{
		field.Int("measure_id").Immutable().Comment("The catalogue measure."),
		field.Int("list_entry_id").Optional().Immutable().
			Comment("The listing that triggers it; always stored (an application is shown only to those who may read its listing)."),
		field.Int("entity_id").Optional().Nillable().Immutable().Comment("The restricted entity, when the subject is an entity."),
		field.Int("person_id").Optional().Nillable().Immutable().Comment("The restricted person, when the subject is a natural person."),
		field.Enum("subject_kind").Values("ENTITY", "PERSON").Immutable().Comment("Kind of the restricted subject."),
		field.String("via").MaxLen(64).Immutable().
			Comment("SELF when the subject is the one listed, or the role the person held at the listed entity on the listing date."),
		field.Text("basis").Validate(boundedText).Comment("Legal basis: the listing's publicity regime and the measure's."),
		field.Time("from_on").SchemaType(dateType).Annotations(dateGQL, entgql.OrderField("FROM_ON")).
			Comment("First day it applied: the listing date, for a reached person not before the prior notice was complete."),
		field.Time("to_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("Last day it applies as planned: the end of the listing's measures or its planned end; empty when open-ended."),
		field.Time("lifted_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day it no longer applied, when lifted before its planned end."),
		field.String("lifted_reason").Optional().MaxLen(64).
			Comment("Why it was lifted: the listing's removal reason (e.g. EARLY_REPAIR), its status (REPAIRED, WITHDRAWN, CORRECTED, EXPIRED), UNDER_OBJECTION, EXEMPT, or NO_LONGER_APPLIES (the role, the notice or the catalogue changed)."),
	}
}

// Edges of the MeasureApplication.
func (MeasureApplication) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("measure", JointPunishmentMeasure.Type).Ref("applications").Field("measure_id").Unique().Required().Immutable().
			Comment("The catalogue measure.").Annotations(noInput),
		edge.From("list_entry", ListEntry.Type).Ref("measure_applications").Field("list_entry_id").Unique().Immutable().
			Comment("The listing that triggers it, when the caller may read it.").Annotations(noInput),
		edge.From("entity", MarketEntity.Type).Ref("measure_applications").Field("entity_id").Unique().Immutable().
			Comment("The restricted entity.").Annotations(noInput),
		edge.From("person", NaturalPerson.Type).Ref("measure_applications").Field("person_id").Unique().Immutable().
			Comment("The restricted person.").Annotations(noInput, entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the MeasureApplication.
func (MeasureApplication) Indexes() []ent.Index {
	return []ent.Index{index.Fields("list_entry_id", "lifted_on"), index.Fields("entity_id", "from_on"), index.Fields("person_id", "from_on")}
}

// Policy of the MeasureApplication: departments read it (it names persons), each only the
// applications of listings it may read — another sector's removed listing stays as hidden as
// the listing; only the write engine writes it.
func (MeasureApplication) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterThrough(rule.RegistryOnly, "list_entry", vocab.RecordListEntry)},
		Mutation: privacy.MutationPolicy{rule.Write(rule.SystemOnly)},
	}
}

// Annotations of the MeasureApplication.
func (MeasureApplication) Annotations() []schema.Annotation {
	return append(listed("A joint-punishment measure applied to a subject through a listing (惩戒措施实施记录), with its dates."), entgql.MultiOrder())
}
