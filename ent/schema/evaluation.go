package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

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

// Policy of the EvaluationRuleSet: readable by all, changed by the policy managers.
func (EvaluationRuleSet) Policy() ent.Policy { return registryPolicy(rule.Everyone, rule.PolicyWriter) }

// Annotations of the EvaluationRuleSet.
func (EvaluationRuleSet) Annotations() []schema.Annotation {
	return listed("A version of the composite-evaluation method (公共信用综合评价规则) with its effective dates.")
}

// JointPunishmentMeasure is an entry of the joint-punishment catalogue (联合惩戒措施, domain.md §8):
// which lists it follows, which persons it reaches, and for which purposes it restricts.
type JointPunishmentMeasure struct{ ent.Schema }

// Fields of the JointPunishmentMeasure.
func (JointPunishmentMeasure) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(64).Comment("Catalogue code."),
		field.String("name").NotEmpty().MaxLen(255).Comment("What the measure restricts (措施内容)."),
		field.String("implementing_department").NotEmpty().MaxLen(255).Comment("Who implements it (实施单位)."),
		field.Text("legal_basis").Validate(boundedText).NotEmpty().Comment("Legal basis (设定依据)."),
		field.Strings("list_types").Comment("List types whose active entries trigger it."),
		field.Strings("extends_to_roles").Optional().
			Comment("Roles at a listed entity the measure reaches (e.g. LEGAL_REPRESENTATIVE, PRINCIPAL)."),
		field.Strings("purposes").Comment("Purposes it restricts: BIDDING, SUBSIDY, LICENSING, OFFICE_HOLDING, NOTIFY_AND_COMMIT, PROCUREMENT, HONOURS, FINANCING."),
		field.Strings("subject_kinds").Optional().
			Comment("Kinds of subject it applies to: ENTITY, PERSON; empty for both. An office-holding ban is for persons only."),
	}
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
