package schema

import (
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/vocab"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/shopspring/decimal"
)

// APIToken is a caller's bearer token. Only a hash of the secret is stored; the secret is shown
// once, when the token is issued. Its role bindings live in the Casbin policy.
type APIToken struct{ ent.Schema }

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Unique().NotEmpty().MaxLen(64).Comment("Unique name; the Casbin subject."),
		field.String("secret_hash").Unique().Sensitive().MaxLen(64).Comment("SHA-256 of the secret, hex."),
		field.String("role").NotEmpty().MaxLen(32).Comment("Role the token was issued with."),
		field.String("department").NotEmpty().MaxLen(32).Comment("Department code the token was issued for."),
		field.String("unit").Optional().MaxLen(64).
			Comment("A clerk's or supervisor's own department within its sector (a Department code, e.g. market-320500): its records are the only ones it writes and the only repairs and objections it handles (谁认定、谁修复). Empty: every department of the sector."),
		field.Strings("scope").Optional().Comment("Departments an auditor token is scoped to; * for all."),
		field.Int("subject_entity_id").Optional().Immutable().Comment("The market entity a subject token acts for."),
		field.Int("subject_person_id").Optional().Immutable().Comment("The natural person a person token acts for."),
		field.Time("created_at").Default(time.Now).Immutable().SchemaType(timeType),
		field.Time("expires_at").Optional().Nillable().SchemaType(timeType).Comment("When it stops working; empty for never."),
		field.Time("revoked_at").Optional().Nillable().SchemaType(timeType).Comment("When it was revoked."),
	}
}

// Policy of the APIToken: only internal jobs (the CLI and the authenticator) touch tokens.
func (APIToken) Policy() ent.Policy { return systemOnly() }

// Annotations of the APIToken: not part of the GraphQL API.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// CasbinRule is one line of the Casbin policy (p or g), persisted so every instance shares it.
type CasbinRule struct{ ent.Schema }

// Fields of the CasbinRule.
func (CasbinRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("ptype").MaxLen(8),
		field.String("v0").Default("").MaxLen(128),
		field.String("v1").Default("").MaxLen(128),
		field.String("v2").Default("").MaxLen(128),
		field.String("v3").Default("").MaxLen(128),
		field.String("v4").Default("").MaxLen(128),
		field.String("v5").Default("").MaxLen(128),
	}
}

// Indexes of the CasbinRule.
func (CasbinRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ptype", "v0", "v1", "v2", "v3").Unique()}
}

// Policy of the CasbinRule: read and written through authz.EntStore only.
func (CasbinRule) Policy() ent.Policy { return systemOnly() }

// Annotations of the CasbinRule: exposed through the policy queries, not directly.
func (CasbinRule) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// AuditLog is the append-only record of every mutation and every auditor or personal-data read.
type AuditLog struct{ ent.Schema }

// Fields of the AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Default(time.Now).Immutable().SchemaType(timeType).
			Comment("When the operation finished.").Annotations(entgql.OrderField("AT")),
		field.String("token_name").Immutable().MaxLen(64).Comment("Name of the caller's token; public for none."),
		field.String("role").Immutable().MaxLen(32).Comment("Role the token was issued with."),
		field.String("department").Immutable().MaxLen(32).Comment("Department code of the caller."),
		field.Enum("kind").Values("MUTATION", "AUDITOR_READ", "PERSONAL_DATA_READ", "EXPORT", "REPORT_FETCH").Immutable().
			Comment("Why it was logged: a mutation, a query by an auditor, a read of unmasked personal data, an export (/export), or an issued credit report fetched again by its number and code (issuedCreditReport; the operation names the report)."),
		field.String("operation").Immutable().MaxLen(128).Comment("GraphQL operation name (or the first field)."),
		field.String("variables_digest").Immutable().MaxLen(64).
			Comment("SHA-256 of the operation's variables; the variables themselves are never stored."),
		field.String("purpose").Optional().Immutable().MaxLen(255).Comment("Purpose stated for unmasked personal data."),
		field.String("outcome").Immutable().MaxLen(32).Comment("OK, or the first error code."),
		field.Int("duration_ms").Immutable().Comment("Time taken, in milliseconds."),
	}
}

// Indexes of the AuditLog.
func (AuditLog) Indexes() []ent.Index {
	return []ent.Index{index.Fields("department", "at"), index.Fields("at")}
}

// Policy of the AuditLog: visible per audited department; written only by the audit logger
// (an internal job); never updated or deleted.
func (AuditLog) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterAudit()},
		Mutation: privacy.MutationPolicy{rule.AppendOnly(), rule.Write(rule.SystemOnly)},
	}
}

// Annotations of the AuditLog.
func (AuditLog) Annotations() []schema.Annotation {
	return listed("An audit-log entry (审计日志): a mutation, an auditor's query or a read of unmasked personal data. Append-only.")
}

// PublicityRule is one row of a publicity-period rule set (公示期规则, domain.md §4): for records
// decided between effectiveFrom and effectiveTo, of a severity (and optionally a sector), how
// long they are published at least (before repair may end it) and at most. Rules that change by
// law are data, with dates, never constants.
type PublicityRule struct{ ent.Schema }

// Fields of the PublicityRule.
func (PublicityRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("rule_set").NotEmpty().MaxLen(64).Comment("Rule set, e.g. NDRC-527-2019, NDRC-ORDER-58, NDRC-ORDER-36."),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL).Comment("First decision date the rule applies to."),
		field.Time("effective_to").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First decision date it no longer applies to; empty while in force."),
		field.Enum("sector").GoType(vocab.Sector("")).Optional().Annotations(entgql.Type("Sector")).Comment("Sector it is limited to; empty for all. A sector's own regime in force on the decision date replaces the general ones for that sector's penalties (SAMR Order 45 for market supervision)."),
		field.Enum("severity").Values("MINOR", "GENERAL", "SERIOUS", "ANY").Comment("Severity it applies to: MINOR, GENERAL or SERIOUS; for list rules, the list type's severity or ANY. For a class rule (penalty categories or domains given), the severity the penalty takes, or ANY to keep its own."),
		field.Strings("penalty_categories").Optional().Annotations(entgql.Type("[PenaltyCategory!]")).
			Comment("Class rule: applies to penalties imposing any of these categories (e.g. REVOKE_LICENCE); a class rule that matches overrides the severity rules, the most severe when several match."),
		field.Strings("domains").Optional().
			Comment("Class rule: applies to penalties in these fields (e.g. FOOD_DRUG, WORK_SAFETY); with penaltyCategories, both must match."),
		field.Bool("categories_only").Default(false).
			Comment("Class rule: matches only when every category the penalty imposes is among penaltyCategories (SAMR Order 45: warning-only penalties; criticism and low fines), instead of any of them."),
		field.Other("fine_at_most", decimal.Decimal{}).SchemaType(decimalType).Optional().Nillable().
			Comment("Class rule: a FINE counts as matching only up to this amount, in 10,000 CNY (较低数额罚款, the threshold the province sets).").
			Annotations(entgql.Type("Decimal")),
		field.Strings("procedures").Optional().Annotations(entgql.Type("[AdministrativePenaltyProcedure!]")).
			Comment("Class rule: applies to penalties decided under these procedures (SUMMARY 简易程序, ORDINARY 普通程序)."),
		field.Bool("published").Default(true).
			Comment("False: penalties the rule matches are not published at all (SAMR Order 45: warning-only and summary-procedure penalties); such a rule wins over every other of its regime."),
		field.Bool("extends_to_valid_until").Default(false).
			Comment("The window lasts at least until the penalty's validUntil (处罚有效期): a restriction of business or employment longer than the maximum is published for its whole period (SAMR Order 45 art. 13)."),
		field.String("list_type").Optional().MaxLen(64).Comment("List type the rule governs; empty for penalty rules."),
		field.Enum("commitment_kind").Values("APPLICATION_NOTIFY_COMMIT", "REPAIR", "VOLUNTARY", "INDUSTRY_SELF_DISCIPLINE").Optional().
			Comment("Kind of credit commitment the rule governs (信用承诺公示), counted from the day signed; empty for penalty and list rules."),
		field.Int("min_months").Min(0).Comment("Minimum publicity before repair can end it early, in months."),
		field.Enum("min_from").Values("START", "OBLIGATIONS_MET").Default("START").
			Comment("Where the minimum counts from: START, the record's start; OBLIGATIONS_MET, the day the subject met its obligations (the wage-arrears list: the arrears paid) — until then no early end."),
		field.Int("max_months").Min(0).Comment("Maximum publicity, after which it stops automatically, in months."),
		field.Bool("order_first").Optional().Nillable().
			Comment("For a list rule: whether a listing is made only after an order to comply by a deadline has passed (the wage-arrears list: the human-resources department orders payment by a deadline first, 人社部令第45号 art. 5); such a listing names the order's deadline (orderDeadline) and is dated after it. Empty counts as no (rows loaded before the column)."),
		field.Enum("start_anchor").Values("DECISION_DATE", "PUBLICATION_DATE").Optional().Nillable().
			Comment("Where a penalty's window counts from: DECISION_DATE (527号, Order 58, Order 36); PUBLICATION_DATE, the day published (SAMR Order 45: 自公示之日起), the decision date when the penalty gives none. Empty counts as DECISION_DATE (rows loaded before the column)."),
		field.Bool("repairable").Default(true).Comment("Whether repair can end publicity early."),
		field.String("basis").Optional().MaxLen(255).Comment("Legal basis of the rule."),
	}
}

// Mixin of the PublicityRule: its API annotations and its policy — reference data for all; changed by the policy managers.
func (PublicityRule) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.PolicyWriter, annotations: listed("A publicity-period rule (公示期规则) with its effective dates.")}}
}

// ScaleRule is one dated version of a scale's thresholds that law sets (domain.md §3, §5):
// the environmental credit colours' score bands, the EIA points thresholds and rectification
// period, the circumstances that waive repair's minimum period. The sector rules read the
// version in force on the day they judge; rules that change by law are data, never constants.
type ScaleRule struct{ ent.Schema }

// Fields of the ScaleRule.
func (ScaleRule) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("scale").GoType(vocab.Scale("")).Comment("Scale the row parameterises.").
			Annotations(entgql.Type("Scale")),
		field.Time("effective_from").SchemaType(dateType).Annotations(dateGQL).Comment("First day the version applies."),
		field.Time("effective_to").Optional().Nillable().SchemaType(dateType).Annotations(dateGQL).
			Comment("First day it no longer applies; empty while in force."),
		field.JSON("params", vocab.ScaleParams{}).Comment("The version's bands, thresholds and periods.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("basis").Optional().MaxLen(255).Comment("Legal basis of the version."),
		storedAt(),
	}
}

// Indexes of the ScaleRule.
func (ScaleRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scale", "effective_from").Unique()}
}

// Mixin of the ScaleRule: its API annotations and its policy — reference data for all; changed by the policy managers.
func (ScaleRule) Mixin() []ent.Mixin {
	return []ent.Mixin{reference{read: rule.Everyone, write: rule.PolicyWriter, annotations: listed("A dated version of a sector scale's thresholds (评价标准) set by law.")}}
}

// systemOnly hides a type from every caller and lets only internal jobs change it.
func systemOnly() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule.FilterRegistry(func(*authz.Permissions) bool { return false })},
		Mutation: privacy.MutationPolicy{rule.Write(rule.SystemOnly)},
	}
}
