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
)

// PriorNotice is the written notice served on a natural person before they are put on a list
// (事先告知, domain.md §7): the facts, reasons and basis, and a deadline to reply. A person can be
// listed only after a notice of the listing department's sector was served and its reply
// deadline passed or its reply was handled; the data layer enforces it for every path.
type PriorNotice struct{ ent.Schema }

// Mixin of the PriorNotice.
func (PriorNotice) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the PriorNotice.
func (PriorNotice) Fields() []ent.Field {
	return []ent.Field{
		field.String("notice_no").NotEmpty().MaxLen(128).Comment("Notice number (告知书文号)."),
		field.String("list_type").NotEmpty().MaxLen(64).Comment("List the person is to be put on."),
		field.Text("facts").NotEmpty().Comment("Facts, reasons and basis stated in the notice."),
		field.Time("served_on").SchemaType(dateType).Annotations(dateGQL).Comment("Day the notice was served (送达日期)."),
		field.Enum("service_method").Values("IN_PERSON", "POST", "ELECTRONIC", "PUBLIC_ANNOUNCEMENT").
			Comment("How it was served: IN_PERSON 直接送达, POST 邮寄送达, ELECTRONIC 电子送达, PUBLIC_ANNOUNCEMENT 公告送达."),
		field.Time("reply_deadline").SchemaType(dateType).Annotations(dateGQL).Comment("Last day to make statements or request a hearing."),
		field.Bool("hearing_requested").Default(false).Comment("Whether the person requested a hearing."),
		field.Text("statements").Optional().Comment("The person's statements and defence (陈述申辩)."),
		field.Bool("reply_handled").Default(false).Comment("Whether the reply (or hearing) has been handled."),
		field.Text("outcome").Optional().Comment("Outcome of handling the reply."),
		field.Int("person_id").Immutable().Comment("The person notified."),
		field.Int("department_id").Immutable().Comment("The department giving notice."),
	}
}

// Edges of the PriorNotice.
func (PriorNotice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("person", NaturalPerson.Type).Ref("prior_notices").Field("person_id").Unique().Required().Immutable().
			Comment("The person notified."),
		edge.From("department", Department.Type).Ref("prior_notices").Field("department_id").Unique().Required().Immutable().
			Comment("The department giving notice."),
	}
}

// Indexes of the PriorNotice.
func (PriorNotice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("person_id", "list_type"), index.Fields("department_id", "notice_no").Unique()}
}

// Policy of the PriorNotice: departments read; a department's writers serve notices.
func (PriorNotice) Policy() ent.Policy { return workflowPolicy() }

// Hooks of the PriorNotice.
func (PriorNotice) Hooks() []ent.Hook { return []ent.Hook{priorNoticeHook} }

// Annotations of the PriorNotice.
func (PriorNotice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A prior notice (事先告知书) served on a person before listing."),
	}
}

// Holiday is a day of the official calendar that differs from the weekly rhythm: a public
// holiday on a weekday, or a make-up working day (调休) on a weekend. Deadlines in working days
// are counted with it; it is data, published yearly by the State Council.
type Holiday struct{ ent.Schema }

// Fields of the Holiday.
func (Holiday) Fields() []ent.Field {
	return []ent.Field{
		field.Time("day").Unique().SchemaType(dateType).Annotations(dateGQL, entgql.OrderField("DAY")).Comment("The day."),
		field.Bool("working").Comment("True for a make-up working day on a weekend, false for a holiday."),
		field.String("name").NotEmpty().MaxLen(64).Comment("Holiday name, e.g. 春节."),
	}
}

// Policy of the Holiday: reference data; the credit office maintains it.
func (Holiday) Policy() ent.Policy { return registryPolicy(rule.Everyone, rule.PolicyWriter) }

// Annotations of the Holiday.
func (Holiday) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField(),
		schema.Comment("A holiday or make-up working day of the official calendar."),
	}
}

// TimeLimit is a procedural time limit in working days (办理时限), with its dates: how long a
// step of the repair or objection procedure may take. Data, not constants.
type TimeLimit struct{ ent.Schema }

// Fields of the TimeLimit.
func (TimeLimit) Fields() []ent.Field {
	return []ent.Field{
		field.String("procedure").NotEmpty().MaxLen(32).Comment("REPAIR or OBJECTION."),
		field.String("step").NotEmpty().MaxLen(32).Comment("Step, e.g. ACCEPT, DECIDE, SYNC, MARK, PLATFORM_CHECK, FORWARD, PROVIDER_CHECK."),
		field.Int("working_days").Min(0).Comment("Working days allowed."),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL).Comment("First day in force."),
		field.String("basis").Optional().MaxLen(255).Comment("Where the limit comes from."),
		field.Time("created_at").Default(time.Now).Immutable().SchemaType(timeType).Comment("When it was stored."),
	}
}

// Policy of the TimeLimit: reference data; the credit office maintains it.
func (TimeLimit) Policy() ent.Policy { return registryPolicy(rule.Everyone, rule.PolicyWriter) }

// Annotations of the TimeLimit.
func (TimeLimit) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField(),
		schema.Comment("A procedural time limit in working days (办理时限)."),
	}
}
