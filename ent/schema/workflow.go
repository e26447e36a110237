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
		field.Text("facts").Validate(boundedText).NotEmpty().Comment("Facts, reasons and basis stated in the notice."),
		field.Time("served_on").SchemaType(dateType).Annotations(dateGQL).Comment("Day the notice was served (送达日期)."),
		field.Enum("service_method").Values("IN_PERSON", "POST", "ELECTRONIC", "PUBLIC_ANNOUNCEMENT").
			Comment("How it was served: IN_PERSON 直接送达, POST 邮寄送达, ELECTRONIC 电子送达, PUBLIC_ANNOUNCEMENT 公告送达."),
		field.Time("reply_deadline").SchemaType(dateType).Annotations(dateGQL).Comment("Last day to make statements or request a hearing."),
		// The reply and its handling are the notice's workflow (replyToPriorNotice,
		// handlePriorNoticeReply), not fields a create or update may set.
		field.Bool("hearing_requested").Default(false).Annotations(noInput).Comment("Whether the person requested a hearing."),
		field.Text("statements").Validate(boundedText).Optional().Annotations(noInput).Comment("The person's statements and defence (陈述申辩)."),
		field.Time("replied_on").SchemaType(dateType).Optional().Nillable().Annotations(dateGQL, noInput).
			Comment("Day the reply (statements or hearing request) was received; never after the reply deadline."),
		field.Bool("reply_handled").Default(false).Annotations(noInput).Comment("Whether the reply (or hearing) has been handled."),
		field.Text("outcome").Validate(boundedText).Optional().Annotations(noInput).Comment("Outcome of handling the reply."),
		field.Time("handled_on").SchemaType(dateType).Optional().Nillable().Annotations(dateGQL, noInput).Comment("Day the reply was handled."),
		field.Int("person_id").Immutable().Comment("The person notified."),
		field.Int("department_id").Immutable().Comment("The department giving notice."),
	}
}

// Edges of the PriorNotice.
func (PriorNotice) Edges() []ent.Edge {
	return []ent.Edge{
		owner("person", NaturalPerson.Type, "prior_notices", "person_id", "The person notified."),
		owner("department", Department.Type, "prior_notices", "department_id", "The department giving notice."),
	}
}

// Indexes of the PriorNotice.
func (PriorNotice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("person_id", "list_type"), index.Fields("department_id", "notice_no").Unique()}
}

// Policy of the PriorNotice: departments read; a department's writers serve notices.
func (PriorNotice) Policy() ent.Policy { return workflowPolicy(nil, "person_id") }

// Annotations of the PriorNotice.
func (PriorNotice) Annotations() []schema.Annotation {
	return editable("A prior notice (事先告知书) served on a person before listing; the person's reply and its handling are recorded by their own mutations.", entgql.MutationCreate())
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
		field.Bool("provisional").Default(false).
			Comment("True until confirmed against the State Council's notice for the year (国务院办公厅关于部分节假日安排的通知): loaded ahead of it, from the statutory holidays."),
	}
}

// Mixin of the Holiday: its API annotations and its policy — reference data; the credit office maintains it.
func (Holiday) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.PolicyWriter, annotations: listed("A holiday or make-up working day of the official calendar.")}}
}

// TimeLimit is a procedural time limit in working days (办理时限), with its dates: how long a
// step of the repair or objection procedure may take. Data, not constants.
type TimeLimit struct{ ent.Schema }

// Fields of the TimeLimit.
func (TimeLimit) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("procedure").Values("REPAIR", "OBJECTION", "PENALTY").Comment("Procedure: REPAIR 信用修复, OBJECTION 异议处理, PENALTY 行政处罚信息公示."),
		field.Enum("step").Values("ACCEPT", "DECIDE", "SYNC", "MARK", "PLATFORM_CHECK", "FORWARD", "PROVIDER_CHECK", "WITHDRAW", "PUBLISH").
			Comment("Step: ACCEPT 受理, DECIDE 决定, SYNC 同步, MARK 异议标注, PLATFORM_CHECK 平台核查, FORWARD 转送认定单位, PROVIDER_CHECK 认定单位核查, WITHDRAW 撤下处罚信息 (a penalty whose decision was revoked), PUBLISH 公示处罚信息 (from the decision, where a rule counts the window from publication)."),
		field.Int("working_days").Min(0).Comment("Working days allowed."),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL).Comment("First day in force."),
		field.String("basis").Optional().MaxLen(255).Comment("Where the limit comes from."),
		storedAt(),
	}
}

// Mixin of the TimeLimit: its API annotations and its policy — reference data; the credit office maintains it.
func (TimeLimit) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.PolicyWriter, annotations: listed("A procedural time limit in working days (办理时限).")}}
}

// RepairApplication is an application for credit repair (信用修复申请, domain.md §5) of one
// penalty or listing, moved through its states by sectors/repair: a writer of the determining
// sector applies on the subject's behalf, the credit office accepts, the determining sector's
// clerk reviews first and its supervisor decides, and the credit office executes — four
// different people.
type RepairApplication struct{ ent.Schema }

// Mixin of the RepairApplication.
func (RepairApplication) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the RepairApplication.
func (RepairApplication) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").Values("DRAFT", "SUBMITTED", "NEEDS_SUPPLEMENT", "NOT_ACCEPTED", "ACCEPTED", "INITIAL_APPROVED",
			"INITIAL_REJECTED", "UNDER_AUTHORITY_REVIEW", "APPROVED", "DENIED", "COMPLETED", "WITHDRAWN", "REVOKED").
			Default("DRAFT").Annotations(noInput, entgql.OrderField("STATE")).
			Comment("State: DRAFT 草稿, SUBMITTED 已提交, NEEDS_SUPPLEMENT 待补正, NOT_ACCEPTED 不予受理, ACCEPTED 已受理, INITIAL_APPROVED 初审通过, INITIAL_REJECTED 初审不通过, UNDER_AUTHORITY_REVIEW 认定单位复审中, APPROVED 准予修复, DENIED 不予修复, COMPLETED 修复完成, WITHDRAWN 已撤回, REVOKED 修复撤销."),
		field.Int("penalty_id").Optional().Immutable().Comment("The penalty to repair."),
		field.Int("list_entry_id").Optional().Immutable().Comment("The listing to repair."),
		field.Int("commitment_id").Optional().Comment("The repair commitment (信用修复承诺); required to submit."),
		field.Int("department_id").Immutable().Comment("The determining department (认定单位): the record's."),
		field.Bool("obligations_fulfilled").Default(false).Comment("Whether the obligations are fulfilled (fine paid, rectified, arrears repaid)."),
		field.JSON("mitigating_flags", []vocab.MitigationFlag{}).Optional().
			Annotations(entgql.Type("[MitigationFlag!]"), entgql.Skip(entgql.SkipWhereInput)).
			Comment("Mitigating circumstances (domain.md §5.4); EPIDEMIC counts only for conduct inside a declared epidemic period."),
		field.Text("materials").Validate(boundedText).Optional().Comment("Materials provided (申请材料)."),
		field.Time("submitted_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).Comment("Day submitted."),
		field.Time("accept_by").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).Comment("Deadline to accept, in working days from submission."),
		field.Time("decide_by").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).Comment("Deadline to decide, in working days from acceptance."),
		field.Time("sync_by").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).Comment("Deadline to execute and share, in working days from approval."),
		field.Time("due_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput, entgql.OrderField("DUE_ON")).
			Comment("Deadline of the current step; an open application past it is overdue."),
		field.Time("completed_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).Comment("Day repair was executed."),
		field.Text("last_reason").Validate(boundedText).Optional().Annotations(noInput).Comment("Reason given with the last transition."),
	}
}

// Edges of the RepairApplication.
func (RepairApplication) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("penalty", AdministrativePenalty.Type).Ref("repair_applications").Field("penalty_id").Unique().Immutable().
			Comment("The penalty to repair."),
		edge.From("list_entry", ListEntry.Type).Ref("repair_applications").Field("list_entry_id").Unique().Immutable().
			Comment("The listing to repair."),
		edge.From("commitment", CreditCommitment.Type).Ref("repair_applications").Field("commitment_id").Unique().
			Comment("The repair commitment."),
		owner("department", Department.Type, "repair_applications", "department_id", "The determining department."),
		edge.To("transitions", RepairTransition.Type).Comment("Every transition, with actor, time and reason.").
			Annotations(noInput),
	}
}

// Indexes of the RepairApplication.
func (RepairApplication) Indexes() []ent.Index {
	return []ent.Index{index.Fields("state", "due_on"), index.Fields("department_id", "state")}
}

// Policy of the RepairApplication: departments read; writers of the determining sector create
// drafts; transitions are made by sectors/repair after its own role table.
func (RepairApplication) Policy() ent.Policy {
	return workflowPolicy(rule.ApplyForOwnRecord(), "penalty", "list_entry")
}

// Annotations of the RepairApplication.
func (RepairApplication) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate()),
		schema.Comment("A credit repair application (信用修复申请) and its state."),
	}
}

// RepairTransition is one step of a repair application, kept for the record.
type RepairTransition struct{ ent.Schema }

// Fields of the RepairTransition.
func (RepairTransition) Fields() []ent.Field {
	return []ent.Field{
		field.String("from_state").MaxLen(32).Immutable().Comment("State before."),
		field.String("to_state").MaxLen(32).Immutable().Comment("State after."),
		field.String("actor").MaxLen(64).Immutable().Comment("Token name of who made it."),
		field.String("actor_role").MaxLen(32).Immutable().Comment("Role of who made it."),
		field.String("actor_department").MaxLen(32).Immutable().Comment("Department code of who made it."),
		field.Text("reason").Validate(boundedText).Optional().Immutable().Comment("Reason given."),
		field.Time("at").Default(time.Now).Immutable().SchemaType(timeType).Comment("When."),
		field.Int("application_id").Immutable().Comment("The application."),
	}
}

// Edges of the RepairTransition.
func (RepairTransition) Edges() []ent.Edge {
	return []ent.Edge{
		owner("application", RepairApplication.Type, "transitions", "application_id", "The application."),
	}
}

// Policy of the RepairTransition: read with the applications; written by the workflow only.
func (RepairTransition) Policy() ent.Policy {
	return registryPolicy(rule.RegistryOnly, rule.SystemOnly)
}

// Annotations of the RepairTransition.
func (RepairTransition) Annotations() []schema.Annotation {
	return []schema.Annotation{schema.Comment("A transition of a repair application (修复流程记录).")}
}

// Objection is an objection (异议) against a record — a penalty, a listing or a sector rating
// (domain.md §6): accepting it marks the record "under objection" for everyone who can see it;
// the platform checks it or forwards it to the providing department, which decides with
// reasons; an upheld objection corrects or withdraws the record. While open, the record triggers no joint punishment and no evaluation gate.
type Objection struct{ ent.Schema }

// Mixin of the Objection.
func (Objection) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Objection.
func (Objection) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("state").Values("SUBMITTED", "NOT_ACCEPTED", "ACCEPTED", "PLATFORM_CHECK", "FORWARDED", "PROVIDER_CHECK",
			"UPHELD", "REJECTED", "CLOSED").Default("SUBMITTED").Annotations(noInput, entgql.OrderField("STATE")).
			Comment("State: SUBMITTED 已提交, NOT_ACCEPTED 不予受理, ACCEPTED 已受理, PLATFORM_CHECK 平台核查, FORWARDED 已转数据提供单位, PROVIDER_CHECK 提供单位核查, UPHELD 异议成立, REJECTED 异议不成立, CLOSED 已办结."),
		field.Enum("grounds").Values("WRONG", "MISSING", "DUPLICATE", "SHOULD_NOT_PUBLISH", "PAST_PERIOD", "DIFFERS_FROM_SOURCE", "PRIVACY").
			Comment("Grounds: WRONG 信息错误, MISSING 信息遗漏, DUPLICATE 重复, SHOULD_NOT_PUBLISH 不应公开, PAST_PERIOD 超期公示, DIFFERS_FROM_SOURCE 与提供单位不一致, PRIVACY 侵犯隐私或商业秘密."),
		field.Text("description").Validate(boundedText).NotEmpty().Comment("What is objected to and why."),
		field.Int("penalty_id").Optional().Immutable().Comment("The penalty objected to."),
		field.Int("list_entry_id").Optional().Immutable().Comment("The listing objected to."),
		field.Int("rating_id").Optional().Immutable().Comment("The sector rating objected to."),
		field.Int("department_id").Immutable().Comment("The providing department: the record's."),
		field.Time("filed_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).Comment("Day filed."),
		field.Time("due_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput, entgql.OrderField("DUE_ON")).
			Comment("Deadline of the current step, in working days."),
		field.Time("forward_by").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).
			Comment("While the platform checks: the last day to forward the objection to the providing department if it cannot decide itself (the forwarding limit, 2 working days by default), within its own check's dueOn."),
		field.Text("decision_reason").Validate(boundedText).Optional().Annotations(noInput).Comment("Reasons of the last decision."),
		field.Text("correction").Validate(boundedText).Optional().Annotations(noInput).
			Comment("What an upheld objection corrected in the record (the record stays public, corrected), or why it left publicity."),
		field.Time("corrected_on").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL, noInput).
			Comment("Day the upheld objection's correction or removal took effect."),
		field.JSON("history", []vocab.WorkflowStep{}).Optional().Annotations(noInput, entgql.Skip(entgql.SkipAll)).
			Comment("Every step with actor, time and reason."),
	}
}

// Edges of the Objection.
func (Objection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("penalty", AdministrativePenalty.Type).Ref("objections").Field("penalty_id").Unique().Immutable().
			Comment("The penalty objected to."),
		edge.From("list_entry", ListEntry.Type).Ref("objections").Field("list_entry_id").Unique().Immutable().
			Comment("The listing objected to."),
		edge.From("rating", SectorRating.Type).Ref("objections").Field("rating_id").Unique().Immutable().
			Comment("The sector rating objected to."),
		owner("department", Department.Type, "objections", "department_id", "The providing department."),
	}
}

// Policy of the Objection: departments read; filed and moved by sectors/objection.
func (Objection) Policy() ent.Policy { return workflowPolicy(nil, "penalty", "list_entry", "rating") }

// Annotations of the Objection.
func (Objection) Annotations() []schema.Annotation {
	return listed("An objection (异议) against a penalty or listing, and its handling.")
}

// ExemptionPeriod is a declared period in which certain dishonest conduct is recorded but
// exempt from listing effects and joint punishment: during COVID-19, that of SMEs caused by
// the epidemic (domain.md §0). Data with dates.
type ExemptionPeriod struct{ ent.Schema }

// Fields of the ExemptionPeriod.
func (ExemptionPeriod) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().NotEmpty().MaxLen(64).Comment("Name, e.g. COVID-19-SME."),
		field.Time("starts_on").SchemaType(dateType).Annotations(dateGQL).Comment("First day of the period."),
		field.Time("ends_on").SchemaType(dateType).Annotations(dateGQL).Comment("Last day of the period."),
		field.Text("basis").Validate(boundedText).NotEmpty().Comment("The declaration it rests on."),
	}
}

// Mixin of the ExemptionPeriod: its API annotations and its policy — reference data; the credit office declares periods.
func (ExemptionPeriod) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.PolicyWriter, annotations: editable("A declared exemption period (e.g. the epidemic exemption of SMEs).", entgql.MutationCreate())}}
}

// workflowPolicy governs workflow documents tied to a department: the departments that read
// its sector, auditors in scope and the credit office read them (not every department, not
// the public), and a subject or person token those about its own records, reached through
// ownEdges; writers of the department's sector create and change them, and own (when given)
// lets a subject act for itself.
func workflowPolicy(own privacy.MutationRule, ownEdges ...string) ent.Policy {
	mutation := privacy.MutationPolicy{rule.WriteRecords(false)}
	if own != nil {
		mutation = append(privacy.MutationPolicy{own}, mutation...)
	}
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterWorkflow(ownEdges...)},
		Mutation: mutation,
	}
}
